//! The scans CSV that handheld scanners export: one door scan per row.

use std::collections::HashMap;

use jiff::{Timestamp, tz::TimeZone};

use super::csv_table::{CsvOutcome, read_table};
use super::row_error::{RowError, describe};
use super::session_text::parse_instant;
use crate::domain::door::scan::Direction;

const REQUIRED: [&str; 5] = ["nonce", "badge", "room", "scanned_at", "direction"];

/// One row of a scans file, checked for shape; the door rules decide the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub line: u64,
    pub nonce: String,
    pub badge: String,
    pub room: String,
    pub scanned_at: Timestamp,
    pub direction: Direction,
}

/// Parses a scans CSV. Times without an offset are local to `tz`. Any malformed row rejects
/// the whole file with an error per row; a repeated nonce within the file is an error too.
pub fn parse_scans_csv(
    bytes: &[u8],
    tz: &TimeZone,
    tz_name: &str,
) -> Result<CsvOutcome<ScanRow>, Vec<RowError>> {
    let table = read_table(bytes, &REQUIRED, &[])?;
    let mut errors = table.errors.clone();
    let mut rows = Vec::new();
    let mut nonces: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let cell = |c: &str| table.cell(row, c).trim().to_owned();
        let mut bad =
            |c: &str, m: &str| errors.push(RowError::new(row.line, Some(c), describe(c, m)));
        let nonce = cell("nonce");
        if nonce.is_empty() || nonce.chars().count() > 64 || nonce.chars().any(char::is_control) {
            bad("nonce", "must be 1 to 64 printable characters");
        } else if let Some(first) = nonces.insert(nonce.clone(), row.line) {
            bad("nonce", &format!("'{nonce}' is already on line {first}"));
        }
        let badge = cell("badge");
        if badge.is_empty() {
            bad("badge", "is required");
        }
        let room = cell("room");
        let scanned_at = parse_instant(&cell("scanned_at"), Some((tz, tz_name)))
            .map_err(|e| {
                bad(
                    "scanned_at",
                    &e.unwrap_or_else(|| "is not a valid time".into()),
                )
            })
            .ok();
        let direction = Direction::parse(&cell("direction"))
            .map_err(|e| bad("direction", &e))
            .ok();
        if let (Some(scanned_at), Some(direction)) = (scanned_at, direction) {
            rows.push(ScanRow {
                line: row.line,
                nonce,
                badge,
                room,
                scanned_at,
                direction,
            });
        }
    }
    if errors.is_empty() {
        Ok(CsvOutcome {
            rows,
            warnings: table.warnings,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn parse(text: &str) -> Result<CsvOutcome<ScanRow>, Vec<RowError>> {
        parse_scans_csv(text.as_bytes(), &berlin(), "Europe/Berlin")
    }

    #[test]
    fn rows_parse_with_local_and_offset_times() {
        let out = parse(
            "nonce,badge,room,scanned_at,direction\n\
             a1,TOKEN,Main Hall,2026-05-12T09:10,entry\n\
             a2,TOKEN,Main Hall,2026-05-12T07:20:00Z,Exit\n",
        )
        .unwrap();
        assert_eq!(out.rows.len(), 2);
        assert_eq!(
            out.rows[0].scanned_at,
            "2026-05-12T07:10:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(out.rows[1].direction, Direction::Exit);
        assert_eq!(out.rows[1].line, 3);
    }

    #[test]
    fn every_bad_row_is_reported_with_line_and_column() {
        let errors = parse(
            "nonce,badge,room,scanned_at,direction\n\
             a1,TOKEN,Main Hall,yesterday,entry\n\
             a1,TOKEN,Main Hall,2026-05-12T09:10,sideways\n\
             ,,Main Hall,2026-05-12T09:10,entry\n",
        )
        .unwrap_err();
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (2, Some("scanned_at")),
                (3, Some("nonce")),
                (3, Some("direction")),
                (4, Some("nonce")),
                (4, Some("badge"))
            ]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let errors = parse("nonce,badge,room,direction\n").unwrap_err();
        assert!(
            errors[0].to_string().contains("scanned_at"),
            "{}",
            errors[0]
        );
    }
}
