//! The sessions CSV: one session per row, checked against the programme's rooms and
//! topics so that every problem names its CSV line.

use std::collections::HashMap;

use super::csv_table::{CsvOutcome, Row, Table, read_table};
use super::row_error::{RowError, describe};
use super::session_text::{
    format_instant, format_topic_weight, guard_formula, parse_instant, parse_topic_weight,
    split_list, unguard_formula, zone_or_utc,
};
use crate::domain::programme::{Programme, Session, SessionKind};

const REQUIRED: [&str; 7] = [
    "session_id",
    "title",
    "room",
    "starts_at",
    "ends_at",
    "kind",
    "topics",
];
const OPTIONAL: [&str; 1] = ["speakers"];

/// Parses a sessions CSV for `programme`: local times are read in its event's time zone,
/// and rooms and topics must be among its own. All or nothing: any bad row means `Err`
/// with every problem found.
pub fn parse_sessions_csv(
    bytes: &[u8],
    programme: &Programme,
) -> Result<CsvOutcome<Session>, Vec<RowError>> {
    let table = read_table(bytes, &REQUIRED, &OPTIONAL)?;
    let mut errors = Vec::new();
    let tz = programme.event.tz().ok();
    let tz = tz
        .as_ref()
        .map(|tz| (tz, programme.event.time_zone.as_str()));
    // A programme holding only the row's session lets `Programme::validate` apply the
    // same cross-reference rules as for an event file.
    let mut one_session = Programme {
        event: programme.event.clone(),
        topics: programme.topics.clone(),
        rooms: programme.rooms.clone(),
        sessions: Vec::new(),
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut sessions = Vec::new();
    for row in &table.rows {
        let mut row_errors = Vec::new();
        let session = read_row(&table, row, tz, &mut row_errors);
        if let Some(&first) = first_line.get(&session.id) {
            let msg = format!("session_id '{}' is already on line {first}", session.id);
            row_errors.push(RowError::new(row.line, Some("session_id"), msg));
        } else if !session.id.is_empty() {
            first_line.insert(session.id.clone(), row.line);
        }
        if row_errors.is_empty() {
            one_session.sessions = vec![session];
            let problems = one_session.validate().err().unwrap_or_default();
            for p in problems
                .iter()
                .filter(|p| p.subject.starts_with("session "))
            {
                row_errors.push(RowError::new(
                    row.line,
                    Some(p.field),
                    describe(p.field, &p.message),
                ));
            }
            sessions.append(&mut one_session.sessions);
        }
        errors.append(&mut row_errors);
    }
    errors.extend(table.errors);
    if errors.is_empty() {
        Ok(CsvOutcome {
            rows: sessions,
            warnings: table.warnings,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Reads one row's cells; a cell that cannot be read adds an error and a placeholder.
fn read_row(
    table: &Table,
    row: &Row,
    tz: Option<(&jiff::tz::TimeZone, &str)>,
    errors: &mut Vec<RowError>,
) -> Session {
    let cell = |column: &str| table.cell(row, column).trim();
    let mut bad = |column: &str, message: String| {
        errors.push(RowError::new(
            row.line,
            Some(column),
            describe(column, &message),
        ));
    };
    let mut time = |column: &str| match parse_instant(cell(column), tz) {
        Ok(ts) => ts,
        Err(e) => {
            let msg = e.unwrap_or_else(|| {
                "cannot be read as local time: the event's time zone is unknown".into()
            });
            bad(column, msg);
            jiff::Timestamp::UNIX_EPOCH
        }
    };
    let starts_at = time("starts_at");
    let ends_at = time("ends_at");
    let kind = match cell("kind") {
        "" => {
            bad("kind", "is required".into());
            SessionKind::Other
        }
        raw => SessionKind::parse(raw).unwrap_or_else(|e| {
            bad("kind", e);
            SessionKind::Other
        }),
    };
    let mut topics = Vec::new();
    for raw in split_list(cell("topics")) {
        match parse_topic_weight(&raw) {
            Ok(tw) => topics.push(tw),
            Err(e) => bad("topics", e),
        }
    }
    Session {
        id: cell("session_id").to_owned(),
        title: unguard_formula(cell("title")).to_owned(),
        room: unguard_formula(cell("room")).to_owned(),
        starts_at,
        ends_at,
        kind,
        topics,
        speakers: split_list(unguard_formula(cell("speakers"))),
    }
}

/// Writes every session of the programme, times local to the event with their offset.
/// Text cells a spreadsheet would run as a formula get a leading `'`, which
/// `parse_sessions_csv` removes again.
pub fn write_sessions_csv(p: &Programme) -> String {
    let tz = zone_or_utc(&p.event.time_zone);
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = REQUIRED.iter().chain(OPTIONAL.iter());
    out.write_record(header)
        .expect("writing to memory cannot fail");
    for s in &p.sessions {
        let topics: Vec<String> = s.topics.iter().map(format_topic_weight).collect();
        out.write_record([
            s.id.clone(),
            guard_formula(&s.title),
            guard_formula(&s.room),
            format_instant(s.starts_at, &tz),
            format_instant(s.ends_at, &tz),
            s.kind.as_str().to_owned(),
            topics.join(";"),
            guard_formula(&s.speakers.join("; ")),
        ])
        .expect("writing to memory cannot fail");
    }
    let bytes = out.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("every cell is a Rust string")
}

/// Adds the sessions to the programme, replacing any session with the same id in place.
pub fn merge_sessions(p: &mut Programme, sessions: Vec<Session>) {
    for session in sessions {
        match p.sessions.iter_mut().find(|s| s.id == session.id) {
            Some(existing) => *existing = session,
            None => p.sessions.push(session),
        }
    }
}

#[cfg(test)]
#[path = "sessions_csv_tests.rs"]
mod tests;
