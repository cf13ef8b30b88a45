//! Turns byte offsets into the 1-based line numbers people see in their editor.

/// The byte offsets at which each line after the first starts.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(bytes: &[u8]) -> LineIndex {
        let starts = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        LineIndex { starts }
    }

    /// The line holding the byte at `offset` (a `\n` belongs to the line it ends).
    pub(crate) fn line(&self, offset: usize) -> u64 {
        self.starts.partition_point(|s| *s <= offset) as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_from_one() {
        let idx = LineIndex::new(b"ab\ncd\r\n\nef");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(6), 2);
        assert_eq!(idx.line(7), 3);
        assert_eq!(idx.line(8), 4);
        assert_eq!(idx.line(100), 4);
    }
}
