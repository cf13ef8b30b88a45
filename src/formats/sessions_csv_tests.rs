//! The sessions CSV: rows read and written in the event's time zone, located errors, merging.

use super::*;
use crate::formats::event_file::{EventFileFormat, parse_event_file};
use jiff::Timestamp;

const EXAMPLE_EVENT: &str = include_str!("../../examples/cloud-summit.toml");
const EXAMPLE: &[u8] = include_bytes!("../../examples/cloud-summit-sessions.csv");
const HEADER: &str = "session_id,title,room,starts_at,ends_at,kind,topics,speakers";

fn programme() -> Programme {
    parse_event_file(EXAMPLE_EVENT, EventFileFormat::Toml)
        .unwrap()
        .programme
}

fn parse(text: &str) -> Result<CsvOutcome<Session>, Vec<RowError>> {
    parse_sessions_csv(text.as_bytes(), &programme())
}

fn errors(text: &str) -> Vec<String> {
    parse(text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn csv(rows: &[&str]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    out
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const GOOD: &str = "X1,Intro,Room 1,2026-05-12T09:00,2026-05-12T09:45,talk,ai,Ada";

#[test]
fn the_example_parses_against_the_example_programme() {
    let out = parse_sessions_csv(EXAMPLE, &programme()).unwrap();
    assert!(out.warnings.is_empty());
    assert_eq!(out.rows.len(), 6);
    let etl = &out.rows[0];
    assert_eq!(etl.title, "Streaming ETL with Flink, Kafka and friends");
    assert_eq!(etl.starts_at, ts("2026-05-12T11:00:00Z"));
    let zero_trust = &out.rows[1];
    assert_eq!(zero_trust.speakers, ["Marcus Becker", "Ines Laurent"]);
    let weights: Vec<(&str, f64)> = zero_trust
        .topics
        .iter()
        .map(|t| (t.topic.as_str(), t.weight))
        .collect();
    assert_eq!(weights, [("security", 1.0), ("kubernetes", 0.5)]);
}

#[test]
fn the_documented_example_parses() {
    let doc = include_str!("../../docs/formats.md");
    let start = doc.find("```csv\nsession_id,").unwrap() + "```csv\n".len();
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    assert_eq!(parse(block).unwrap().rows.len(), 2);
}

#[test]
fn a_bom_and_crlf_line_endings_are_fine() {
    let text = format!("\u{FEFF}{HEADER}\r\n{GOOD}\r\n");
    let out = parse(&text).unwrap();
    assert_eq!(out.rows[0].speakers, ["Ada"]);
    assert_eq!(out.rows[0].kind, SessionKind::Talk);
}

#[test]
fn columns_may_come_in_any_order_and_speakers_may_be_left_out() {
    let text = "Topics,Kind,Ends At,Starts At,Room,Title,Session ID\nai,workshop,2026-05-12T11:00Z,2026-05-12T10:00Z,Room 2,Lab,L1\n";
    let out = parse(text).unwrap();
    let s = &out.rows[0];
    assert_eq!(
        (s.id.as_str(), s.room.as_str(), s.kind),
        ("L1", "Room 2", SessionKind::Workshop)
    );
    assert_eq!(s.starts_at, ts("2026-05-12T10:00:00Z"));
    assert!(s.speakers.is_empty());
}

#[test]
fn quoted_commas_and_newlines_keep_line_numbers_right() {
    let text = csv(&[
        "X1,\"Intro, part one\nand two\",Room 1,2026-05-12T09:00,2026-05-12T09:45,talk,ai,\"Ada\r\nLovelace\"",
        "X2,Next,Room 9,2026-05-12T10:00,2026-05-12T10:45,talk,ai,",
    ]);
    assert_eq!(
        errors(&text),
        ["line 5, column room: unknown room 'Room 9'"]
    );
    let fixed = text.replace("Room 9", "Room 2");
    let out = parse(&fixed).unwrap();
    assert_eq!(out.rows[0].title, "Intro, part one\nand two");
}

#[test]
fn latin1_bytes_are_refused_with_their_line() {
    let mut bytes = csv(&[GOOD]).into_bytes();
    bytes.extend_from_slice(b"X2,Caf\xE9 talk,Room 1,2026-05-12T10:00,2026-05-12T10:45,talk,ai,\n");
    let e = parse_sessions_csv(&bytes, &programme()).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].to_string(),
        "line 3: file is not UTF-8 text (save it as CSV UTF-8)"
    );
}

#[test]
fn a_missing_required_column_is_one_error_naming_it() {
    let text = "session_id,title,room,starts_at,ends_at,topics\nX1,Intro,Room 1,2026-05-12T09:00,2026-05-12T09:45,ai\n";
    assert_eq!(
        errors(text),
        ["line 1, column kind: required column 'kind' is missing"]
    );
}

#[test]
fn unknown_columns_are_warnings() {
    let text = format!("{HEADER},notes\n{GOOD},bring a laptop\n");
    let out = parse(&text).unwrap();
    assert_eq!(out.rows.len(), 1);
    assert_eq!(
        out.warnings,
        ["line 1: column 'notes' is not used and was ignored"]
    );
}

#[test]
fn cross_references_are_checked_against_the_programme() {
    let text = csv(&[
        "X1,Intro,Hall Z,2026-05-12T09:00,2026-05-12T09:45,talk,ai;knitting,",
        "X2,Late,Room 1,2026-05-12T10:00,2026-05-12T09:00,talk,ai,",
        "X3,,Room 1,2026-05-12T10:00,2026-05-12T11:00,talk,,",
    ]);
    assert_eq!(
        errors(&text),
        [
            "line 2, column room: unknown room 'Hall Z'",
            "line 2, column topics: unknown topic 'knitting'",
            "line 3, column ends_at: ends_at must be after starts_at",
            "line 4, column title: title must not be empty",
            "line 4, column topics: topics needs at least one topic",
        ]
    );
}

#[test]
fn a_repeated_session_id_names_the_earlier_line() {
    let text = csv(&[
        GOOD,
        "X2,Other,Room 1,2026-05-12T10:00,2026-05-12T10:45,talk,ai,",
        GOOD,
    ]);
    assert_eq!(
        errors(&text),
        ["line 4, column session_id: session_id 'X1' is already on line 2"]
    );
}

#[test]
fn malformed_cells_are_each_reported() {
    let text = csv(&[
        "bad id!,Intro,Room 1,tomorrow,2026-05-12T09:45,party,ai:lots;Big Data,",
        "X2,Gap,Room 1,2026-03-29T02:30,2026-03-29T04:00,,ai,",
        "X3,Short row,Room 1",
    ]);
    assert_eq!(
        errors(&text),
        [
            "line 2, column starts_at: 'tomorrow' is not a valid time (write 2026-05-12T09:00 for event local time, or 2026-05-12T09:00+02:00 with an offset)",
            "line 2, column kind: unknown session kind 'party' (keynote, talk, workshop, panel or other)",
            "line 2, column topics: weight 'lots' of topic 'ai' is not a number",
            "line 2, column topics: topic 'Big Data' may only contain lowercase letters, digits and hyphens",
            "line 3, column starts_at: '2026-03-29T02:30' does not exist in Europe/Berlin: the clocks jump from +01:00 to +02:00 (pick another time, or add the offset)",
            "line 3, column kind: kind is required",
            "line 4: has 3 fields but the header has 8 (a comma inside a value needs the value in double quotes)",
        ]
    );
}

#[test]
fn an_invalid_session_id_is_reported_by_the_domain_rule() {
    let text = csv(&["bad id!,Intro,Room 1,2026-05-12T09:00,2026-05-12T09:45,talk,ai,"]);
    assert_eq!(
        errors(&text),
        ["line 2, column session_id: 'bad id!' may only contain letters, digits, '-', '_' and '.'"]
    );
}

#[test]
fn explicit_offsets_are_taken_as_written() {
    let text = csv(&["X1,Intro,Room 1,2026-05-12T09:00-04:00,2026-05-12T14:00Z,talk,ai,"]);
    let s = &parse(&text).unwrap().rows[0];
    assert_eq!(s.starts_at, ts("2026-05-12T13:00:00Z"));
    assert_eq!(s.ends_at, ts("2026-05-12T14:00:00Z"));
}

#[test]
fn written_csv_is_local_time_and_guards_formulas() {
    let mut p = programme();
    p.sessions.truncate(1);
    p.sessions[0].title = "=HYPERLINK(\"http://evil\")".into();
    p.sessions[0].speakers = vec!["@ada".into(), "Grace".into()];
    let written = write_sessions_csv(&p);
    assert_eq!(
        written,
        format!(
            "{HEADER}\nD1-KEY,\"'=HYPERLINK(\"\"http://evil\"\")\",Hall A,2026-05-12T09:00:00+02:00,\
             2026-05-12T10:00:00+02:00,keynote,ai:0.5;big-data:0.5,'@ada; Grace\n"
        )
    );
    let back = parse_sessions_csv(written.as_bytes(), &p).unwrap();
    assert_eq!(back.rows, p.sessions);
}

#[test]
fn a_leading_quote_is_stripped_only_before_a_formula_character() {
    let text =
        csv(&["X1,'=Sum of parts,Room 1,2026-05-12T09:00,2026-05-12T09:45,talk,ai,'Ada'; '-x"]);
    let s = &parse(&text).unwrap().rows[0];
    assert_eq!(s.title, "=Sum of parts");
    assert_eq!(s.speakers, ["'Ada'", "'-x"]);
}

#[test]
fn the_whole_example_round_trips_through_csv() {
    let mut p = programme();
    let rows = parse_sessions_csv(EXAMPLE, &p).unwrap().rows;
    merge_sessions(&mut p, rows);
    let back = parse_sessions_csv(write_sessions_csv(&p).as_bytes(), &p).unwrap();
    assert_eq!(back.rows, p.sessions);
}

#[test]
fn merging_updates_by_session_id_in_place_and_appends_new_ones() {
    let mut p = programme();
    let before: Vec<String> = p.sessions.iter().map(|s| s.id.clone()).collect();
    let mut changed = p.sessions[1].clone();
    changed.title = "Renamed".into();
    let mut new = p.sessions[0].clone();
    new.id = "NEW".into();
    merge_sessions(&mut p, vec![changed, new]);
    let after: Vec<&str> = p.sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        after[..before.len()],
        before.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert_eq!(after.last(), Some(&"NEW"));
    assert_eq!(p.sessions[1].title, "Renamed");
}

#[test]
fn a_file_of_only_a_header_gives_no_sessions() {
    let out = parse(&format!("{HEADER}\n")).unwrap();
    assert!(out.rows.is_empty());
}
