//! How session values are spelled in files: times, dates, topic weights, speaker lists,
//! and the guard that keeps spreadsheets from running cells as formulas.

use jiff::{
    Timestamp,
    civil::{Date, DateTime},
    tz::{AmbiguousOffset, Offset, TimeZone},
};

use crate::domain::{programme::TopicWeight, slug::Slug};

const TIME_EXAMPLE: &str = "write 2026-05-12T09:00 for event local time, \
or 2026-05-12T09:00+02:00 with an offset";

/// Reads an ISO 8601 time. With an offset (`+02:00`, `Z`) it is taken as is; without one
/// it is local to `tz`, and a local time the clocks skip or repeat is refused rather than
/// guessed. `tz` is `None` when the event's zone is itself invalid: a local time then
/// fails with `Err(None)`, since the zone's own error already says what to fix.
pub(crate) fn parse_instant(
    raw: &str,
    tz: Option<(&TimeZone, &str)>,
) -> Result<Timestamp, Option<String>> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Some("is required".into()));
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let local = if s.contains(':') && !s.contains('[') {
        s.parse::<DateTime>().ok()
    } else {
        None
    };
    let Some(local) = local else {
        return Err(Some(format!("'{s}' is not a valid time ({TIME_EXAMPLE})")));
    };
    let Some((tz, tz_name)) = tz else {
        return Err(None);
    };
    let ambiguous = tz.to_ambiguous_timestamp(local);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous
            .unambiguous()
            .map_err(|e| Some(format!("'{s}' is out of range: {e}"))),
        AmbiguousOffset::Gap { before, after } => Err(Some(format!(
            "'{s}' does not exist in {tz_name}: the clocks jump from {before} to {after} \
             (pick another time, or add the offset)",
            before = hh_mm(before),
            after = hh_mm(after),
        ))),
        AmbiguousOffset::Fold { before, after } => Err(Some(format!(
            "'{s}' happens twice in {tz_name} (at {before} and at {after}): \
             add the offset, e.g. {s}{before}",
            before = hh_mm(before),
            after = hh_mm(after),
        ))),
    }
}

/// `+02:00`, as people write offsets in files.
fn hh_mm(offset: Offset) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = secs.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", mins / 60, mins % 60)
}

/// Writes a time as local time in `tz` with its offset, e.g. `2026-05-12T09:00:00+02:00`.
pub(crate) fn format_instant(ts: Timestamp, tz: &TimeZone) -> String {
    let offset = tz.to_offset(ts);
    ts.display_with_offset(offset).to_string()
}

/// The event's zone, falling back to UTC for writing a programme whose zone is invalid.
pub(crate) fn zone_or_utc(time_zone: &str) -> TimeZone {
    TimeZone::get(time_zone).unwrap_or(TimeZone::UTC)
}

/// Reads a calendar date such as `2026-05-12`.
pub(crate) fn parse_date(raw: &str) -> Result<Date, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is required".into());
    }
    s.parse::<Date>()
        .map_err(|_| format!("'{s}' is not a valid date (write it as 2026-05-12)"))
}

/// Reads `slug` (weight 1) or `slug:weight`.
pub(crate) fn parse_topic_weight(raw: &str) -> Result<TopicWeight, String> {
    let s = raw.trim();
    let (slug, weight) = match s.split_once(':') {
        Some((slug, w)) => {
            let w = w.trim();
            let weight = w
                .parse::<f64>()
                .map_err(|_| format!("weight '{w}' of topic '{}' is not a number", slug.trim()))?;
            (slug, weight)
        }
        None => (s, 1.0),
    };
    let topic = Slug::parse(slug).map_err(|e| format!("topic {e}"))?;
    Ok(TopicWeight { topic, weight })
}

/// Writes `slug` when the weight is 1, otherwise `slug:weight` (shortest exact form).
pub(crate) fn format_topic_weight(tw: &TopicWeight) -> String {
    if tw.weight == 1.0 {
        tw.topic.to_string()
    } else {
        format!("{}:{}", tw.topic, tw.weight)
    }
}

/// Splits a `;`-separated cell, trimming each part and dropping empty ones.
pub(crate) fn split_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Characters that make a spreadsheet treat a cell as a formula.
fn is_formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A cell that, after any leading `'`, starts like a formula. Guarding exactly these
/// cells (and unguarding exactly these) keeps writing and reading a cell lossless.
fn is_guarded(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(is_formula_start)
}

/// Prefixes `'` to a text cell a spreadsheet would otherwise run as a formula.
pub(crate) fn guard_formula(cell: &str) -> String {
    if is_guarded(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Undoes `guard_formula`: drops one leading `'` in front of a formula-like start.
pub(crate) fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_guarded(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn read(raw: &str) -> Result<Timestamp, Option<String>> {
        let tz = berlin();
        parse_instant(raw, Some((&tz, "Europe/Berlin")))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn local_time_is_read_in_the_event_zone() {
        assert_eq!(
            read("2026-05-12T09:00").unwrap(),
            ts("2026-05-12T07:00:00Z")
        );
        assert_eq!(
            read("2026-05-12T09:00:30").unwrap(),
            ts("2026-05-12T07:00:30Z")
        );
        assert_eq!(
            read(" 2026-01-12 09:00 ").unwrap(),
            ts("2026-01-12T08:00:00Z")
        );
    }

    #[test]
    fn an_explicit_offset_is_taken_as_is() {
        assert_eq!(
            read("2026-05-12T09:00+05:30").unwrap(),
            ts("2026-05-12T03:30:00Z")
        );
        assert_eq!(
            read("2026-05-12T09:00Z").unwrap(),
            ts("2026-05-12T09:00:00Z")
        );
        assert_eq!(
            read("2026-05-12T09:00:00-04:00").unwrap(),
            ts("2026-05-12T13:00:00Z")
        );
    }

    #[test]
    fn a_local_time_in_the_spring_gap_is_refused() {
        let e = read("2026-03-29T02:30").unwrap_err().unwrap();
        assert!(e.contains("does not exist in Europe/Berlin"), "{e}");
        assert!(e.contains("jump from +01:00 to +02:00"), "{e}");
    }

    #[test]
    fn a_local_time_in_the_autumn_fold_is_refused_but_an_offset_settles_it() {
        let e = read("2026-10-25T02:30").unwrap_err().unwrap();
        assert!(
            e.contains("happens twice in Europe/Berlin (at +02:00 and at +01:00)"),
            "{e}"
        );
        assert!(e.ends_with("e.g. 2026-10-25T02:30+02:00"), "{e}");
        assert_eq!(
            read("2026-10-25T02:30+02:00").unwrap(),
            ts("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            read("2026-10-25T02:30+01:00").unwrap(),
            ts("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn malformed_and_missing_times_are_refused() {
        for bad in [
            "tomorrow",
            "2026-05-12",
            "2026-13-12T09:00",
            "09:00",
            "2026-05-12T09:00[Europe/Paris]",
        ] {
            let e = read(bad).unwrap_err().unwrap();
            assert!(e.contains("not a valid time"), "{bad}: {e}");
        }
        assert_eq!(read("  ").unwrap_err().unwrap(), "is required");
    }

    #[test]
    fn local_time_without_a_usable_zone_is_left_to_the_zone_error() {
        assert_eq!(parse_instant("2026-05-12T09:00", None), Err(None));
        assert!(parse_instant("2026-05-12T09:00Z", None).is_ok());
    }

    #[test]
    fn times_are_written_local_with_offset() {
        let tz = berlin();
        assert_eq!(
            format_instant(ts("2026-05-12T07:00:00Z"), &tz),
            "2026-05-12T09:00:00+02:00"
        );
        assert_eq!(
            format_instant(ts("2026-01-12T08:00:00Z"), &tz),
            "2026-01-12T09:00:00+01:00"
        );
        let fold = ts("2026-10-25T01:30:00Z");
        assert_eq!(read(&format_instant(fold, &tz)).unwrap(), fold);
        let precise = ts("2026-05-12T07:00:00.123456789Z");
        assert_eq!(read(&format_instant(precise, &tz)).unwrap(), precise);
    }

    #[test]
    fn dates_parse() {
        assert_eq!(
            parse_date("2026-05-12").unwrap(),
            Date::new(2026, 5, 12).unwrap()
        );
        assert!(
            parse_date("12/05/2026")
                .unwrap_err()
                .contains("not a valid date")
        );
        assert_eq!(parse_date("").unwrap_err(), "is required");
    }

    #[test]
    fn topic_weights_parse_and_print() {
        let tw = parse_topic_weight(" big-data : 0.5 ").unwrap();
        assert_eq!((tw.topic.as_str(), tw.weight), ("big-data", 0.5));
        assert_eq!(format_topic_weight(&tw), "big-data:0.5");
        let tw = parse_topic_weight("ai").unwrap();
        assert_eq!((tw.topic.as_str(), tw.weight), ("ai", 1.0));
        assert_eq!(format_topic_weight(&tw), "ai");
        assert!(
            parse_topic_weight("ai:lots")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_topic_weight("Big Data")
                .unwrap_err()
                .starts_with("topic ")
        );
    }

    #[test]
    fn lists_split_on_semicolons() {
        assert_eq!(split_list(" Ada ; ;Grace;"), ["Ada", "Grace"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn formula_cells_are_guarded_and_unguarded_losslessly() {
        for cell in [
            "=1+2", "+49 30", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "''@x",
        ] {
            let written = guard_formula(cell);
            assert!(written.starts_with('\''), "{cell:?}");
            assert_eq!(unguard_formula(&written), cell);
        }
        for cell in ["Plain", "'quoted'", "It's", "", "'", "a=b"] {
            assert_eq!(guard_formula(cell), cell);
            assert_eq!(unguard_formula(cell), cell);
        }
    }
}
