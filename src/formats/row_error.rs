//! `RowError`: one problem in an imported file, located by line and column.

use std::fmt;

/// A problem in an imported file, for showing to the person who wrote the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (a CSV header is line 1); 0 when no line could be found.
    pub line: u64,
    /// The CSV column or the key in an event file, when the problem is about one.
    pub column: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, column: Option<&str>, message: impl Into<String>) -> RowError {
        RowError {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {}: {}", self.line, column, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for RowError {}

/// Names the column in a message that would otherwise start with a bare verb
/// ("must not be empty" becomes "title must not be empty").
pub(crate) fn describe(column: &str, message: &str) -> String {
    if ["is ", "must ", "needs "]
        .iter()
        .any(|p| message.starts_with(p))
    {
        format!("{column} {message}")
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_line_and_column() {
        let e = RowError::new(4, Some("starts_at"), "not a valid time");
        assert_eq!(e.to_string(), "line 4, column starts_at: not a valid time");
    }

    #[test]
    fn bare_verbs_get_their_column() {
        assert_eq!(
            describe("title", "must not be empty"),
            "title must not be empty"
        );
        assert_eq!(describe("email", "is required"), "email is required");
        assert_eq!(
            describe("kind", "'x' is not one of: a"),
            "'x' is not one of: a"
        );
    }

    #[test]
    fn displays_line_alone_without_a_column() {
        let e = RowError::new(7, None, "has 3 fields but the header has 7");
        assert_eq!(e.to_string(), "line 7: has 3 fields but the header has 7");
    }
}
