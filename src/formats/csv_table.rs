//! Reading a CSV the way spreadsheets save it: UTF-8 (a BOM is fine), a header row naming
//! the columns in any order, and each row located by the line it starts on.

use std::collections::HashMap;

use super::line_index::LineIndex;
use super::row_error::RowError;

/// The rows of an imported CSV, and what was noticed but did not stop the import.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOutcome<T> {
    pub rows: Vec<T>,
    /// For example an unknown column that was ignored; each names its line.
    pub warnings: Vec<String>,
}

/// One data row: the line it starts on and its cells.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) line: u64,
    cells: Vec<String>,
}

/// A CSV whose header has every required column.
#[derive(Debug)]
pub(crate) struct Table {
    columns: HashMap<String, usize>,
    /// Rows with the right number of cells; blank rows are skipped.
    pub(crate) rows: Vec<Row>,
    /// Rows with the wrong number of cells.
    pub(crate) errors: Vec<RowError>,
    pub(crate) warnings: Vec<String>,
}

impl Table {
    /// The cell of a known column, or `""` for an optional column the file leaves out.
    pub(crate) fn cell<'r>(&self, row: &'r Row, column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|i| row.cells.get(*i))
            .map_or("", String::as_str)
    }
}

const NOT_UTF8: &str = "file is not UTF-8 text (save it as CSV UTF-8)";

/// Header names are matched loosely: `Session ID`, `session-id` and `session_id` agree.
fn column_key(header: &str) -> String {
    header.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// Reads the header and rows. Header problems (not UTF-8, a required column missing,
/// a column twice) stop here; row shape problems are left in `Table::errors` so callers
/// report them together with their own.
pub(crate) fn read_table(
    bytes: &[u8],
    required: &[&str],
    optional: &[&str],
) -> Result<Table, Vec<RowError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let lines = LineIndex::new(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(vec![RowError::new(
            lines.line(e.valid_up_to()),
            None,
            NOT_UTF8,
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            vec![RowError::new(line, None, format!("cannot read CSV: {e}"))]
        })?;
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let cells: Vec<String> = record
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        records.push((record_line(bytes, &lines, start), cells));
    }
    let mut records = records.into_iter();
    let expected = required.join(", ");
    let Some((header_line, header)) = records.next() else {
        let msg = format!("the file is empty; the first line must name the columns: {expected}");
        return Err(vec![RowError::new(1, None, msg)]);
    };
    let columns = read_header(header_line, &header, required, optional)?;
    let mut table = Table {
        columns: columns.known,
        rows: Vec::new(),
        errors: Vec::new(),
        warnings: columns.warnings,
    };
    for (line, cells) in records {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cells.len() != header.len() {
            let msg = format!(
                "has {} fields but the header has {} (a comma inside a value needs the value in double quotes)",
                cells.len(),
                header.len()
            );
            table.errors.push(RowError::new(line, None, msg));
            continue;
        }
        table.rows.push(Row { line, cells });
    }
    Ok(table)
}

/// csv reports a record's position just after the previous record's first terminator
/// byte; the record itself starts after any remaining `\r`/`\n` (and skipped blank lines).
fn record_line(bytes: &[u8], lines: &LineIndex, position: usize) -> u64 {
    let skipped = bytes[position.min(bytes.len())..]
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    lines.line(position + skipped)
}

struct Columns {
    known: HashMap<String, usize>,
    warnings: Vec<String>,
}

fn read_header(
    line: u64,
    header: &[String],
    required: &[&str],
    optional: &[&str],
) -> Result<Columns, Vec<RowError>> {
    if header.len() == 1 && header[0].contains(';') {
        let msg = "the header has a single column: this file seems to use ';' between columns; \
                   save it as CSV UTF-8 (comma-separated)";
        return Err(vec![RowError::new(line, None, msg)]);
    }
    let mut known = HashMap::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let key = column_key(raw);
        if key.is_empty() {
            warnings.push(format!(
                "line {line}: column {} has no name and was ignored",
                i + 1
            ));
        } else if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            warnings.push(format!(
                "line {line}: column '{}' is not used and was ignored",
                raw.trim()
            ));
        } else if known.insert(key.clone(), i).is_some() {
            errors.push(RowError::new(
                line,
                Some(&key),
                format!("column '{key}' appears twice"),
            ));
        }
    }
    for column in required {
        if !known.contains_key(*column) {
            let msg = format!("required column '{column}' is missing");
            errors.push(RowError::new(line, Some(column), msg));
        }
    }
    if errors.is_empty() {
        Ok(Columns { known, warnings })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(bytes: &[u8]) -> Result<Table, Vec<RowError>> {
        read_table(bytes, &["a", "b"], &["c"])
    }

    fn lines_of(t: &Table) -> Vec<u64> {
        t.rows.iter().map(|r| r.line).collect()
    }

    #[test]
    fn rows_know_their_lines_across_quoted_newlines_blank_lines_and_crlf() {
        let t = table(b"a,b\r\n1,\"x\r\ny, z\"\r\n\r\n2,3\r\n,\r\n4,5").unwrap();
        assert_eq!(lines_of(&t), [2, 5, 7]);
        assert_eq!(t.cell(&t.rows[0], "b"), "x\r\ny, z");
        assert_eq!(t.cell(&t.rows[0], "c"), "");
    }

    #[test]
    fn blank_lines_before_the_header_do_not_shift_lines() {
        let t = table(b"\n\na,b\n1,2\n").unwrap();
        assert_eq!(lines_of(&t), [4]);
    }

    #[test]
    fn a_bom_is_skipped_and_headers_match_loosely() {
        let t = table(b"\xEF\xBB\xBF A ,B\n1,2\n").unwrap();
        assert_eq!(t.cell(&t.rows[0], "a"), "1");
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let e = table(b"a,b\n1,2\nRen\xE9,3\n").unwrap_err();
        assert_eq!(e, [RowError::new(3, None, NOT_UTF8)]);
    }

    #[test]
    fn missing_and_repeated_columns_are_header_errors() {
        let e = table(b"a,A,x\n1,2,3\n").unwrap_err();
        assert_eq!(
            e.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "line 1, column a: column 'a' appears twice",
                "line 1, column b: required column 'b' is missing"
            ]
        );
    }

    #[test]
    fn unknown_and_unnamed_columns_are_warnings() {
        let t = table(b"a,notes,b,\n1,x,2,\n").unwrap();
        assert_eq!(
            t.warnings,
            [
                "line 1: column 'notes' is not used and was ignored",
                "line 1: column 4 has no name and was ignored"
            ]
        );
        assert_eq!(t.cell(&t.rows[0], "b"), "2");
    }

    #[test]
    fn rows_with_the_wrong_number_of_fields_are_errors() {
        let t = table(b"a,b\n1,2,3\n4\n5,6\n").unwrap();
        assert_eq!(lines_of(&t), [4]);
        let lines: Vec<u64> = t.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3]);
        assert!(
            t.errors[0]
                .message
                .starts_with("has 3 fields but the header has 2")
        );
    }

    #[test]
    fn empty_and_semicolon_files_get_a_hint() {
        assert!(
            table(b"").unwrap_err()[0]
                .message
                .contains("the file is empty")
        );
        let e = table(b"a;b\n1;2\n").unwrap_err();
        assert!(e[0].message.contains("';' between columns"), "{}", e[0]);
    }
}
