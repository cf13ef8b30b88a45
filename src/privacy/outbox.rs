//! Copies of a person's email in the file outbox: found by their address and deleted.

use std::path::Path;

/// Deletes every file in `dir` that mentions one of `addresses` (any case), and returns how
/// many. Each file is read once whatever the number of addresses, so retention sweeps the
/// outbox once for everyone it erased. A missing directory holds nothing.
pub fn sweep(dir: &Path, addresses: &[String]) -> std::io::Result<u64> {
    let needles: Vec<Vec<u8>> = addresses
        .iter()
        .map(|a| a.trim().to_lowercase().into_bytes())
        .filter(|a| !a.is_empty())
        .collect();
    if needles.is_empty() {
        return Ok(0);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let mut text = match std::fs::read(&path) {
            Ok(t) => t,
            // Renamed or deleted meanwhile (a temporary file becoming a message).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        text.make_ascii_lowercase();
        if needles.iter().any(|n| mentions(&text, n)) {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Whether `text` holds `address` as a whole address: `al@example.com` is not mentioned by
/// a message to `hal@example.com` or `al@example.com.au`.
fn mentions(text: &[u8], address: &[u8]) -> bool {
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let mut from = 0;
    while let Some(at) = find(&text[from..], address) {
        let start = from + at;
        let end = start + address.len();
        let before_ok = start == 0 || !local(text[start - 1]);
        let after_ok = match text.get(end) {
            None => true,
            Some(b'.') => !text.get(end + 1).is_some_and(|b| domain(*b)),
            Some(b) => !domain(*b),
        };
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_that_mention_an_address_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1.eml"), "To: Ada <Ada@Example.com>\r\n").unwrap();
        std::fs::write(dir.path().join("2.eml"), "To: Bob <bob@example.com>\r\n").unwrap();
        let n = sweep(dir.path(), &["ada@example.com".into()]).unwrap();
        assert_eq!(n, 1);
        assert!(!dir.path().join("1.eml").exists());
        assert!(dir.path().join("2.eml").exists());
    }

    #[test]
    fn an_address_inside_another_address_is_not_a_mention() {
        let needle = b"al@example.com";
        assert!(!mentions(b"To: <hal@example.com>", needle));
        assert!(!mentions(b"To: <al@example.com.au>", needle));
        assert!(!mentions(b"To: <al@example.community>", needle));
        assert!(mentions(b"To: <al@example.com>", needle));
        assert!(mentions(b"write to al@example.com.\r\n", needle));
        assert!(mentions(b"al@example.com", needle));
        assert!(mentions(b"to hal@example.com, al@example.com", needle));
    }

    #[test]
    fn a_missing_outbox_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let n = sweep(&dir.path().join("none"), &["ada@example.com".into()]).unwrap();
        assert_eq!(n, 0);
    }
}
