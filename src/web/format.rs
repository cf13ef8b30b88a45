//! How dates, times and choices are written for people.

use jiff::{Timestamp, tz::TimeZone};

/// An event as lists show it.
pub struct EventLine {
    pub slug: String,
    pub name: String,
    pub dates: String,
    pub venue: String,
}

impl From<crate::store::EventRecord> for EventLine {
    fn from(e: crate::store::EventRecord) -> EventLine {
        EventLine {
            dates: e.info.dates(),
            slug: e.info.slug.to_string(),
            name: e.info.name,
            venue: e.info.venue,
        }
    }
}

/// A stored time (unix milliseconds) in the event's zone: "2026-05-12 09:30".
pub fn local_time(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The zone's name as people see it beside a time: "Europe/Berlin".
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_owned()
}

/// A stored time in the event's zone, naming the zone: "2026-05-12 09:30 (Europe/Berlin)".
/// Tables name the zone once in the column's header and use `local_time`.
pub fn local_time_zoned(ms: i64, tz: &TimeZone) -> String {
    let t = local_time(ms, tz);
    if t.is_empty() {
        t
    } else {
        format!("{t} ({})", zone_name(tz))
    }
}

/// The day of a moment in the event's time zone: "2027-09-06".
pub fn local_date(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string()
}

/// Minutes as people say them: "45 min", "2h", "2h10".
pub fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}"),
    }
}

/// A score or points value for a page: whole numbers, "-0" shown as "0".
pub fn points(v: f64) -> String {
    let r = v.round();
    if r == 0.0 {
        "0".to_owned()
    } else {
        format!("{r:.0}")
    }
}

/// A share in percent with one decimal: "42.5%".
pub fn percent(v: f64) -> String {
    format!("{v:.1}%")
}

/// The highest page a list link may ask for: far beyond any real list, low enough that
/// `page * page size` cannot overflow whatever number a URL holds.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page number from a query string, clamped to `0..=MAX_PAGE`.
pub fn page_number(raw: i64) -> i64 {
    raw.clamp(0, MAX_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_numbers_read_naturally() {
        assert_eq!(duration(0), "0 min");
        assert_eq!(duration(45), "45 min");
        assert_eq!(duration(120), "2h");
        assert_eq!(duration(130), "2h10");
        assert_eq!(duration(185), "3h05");
        assert_eq!(points(71.6), "72");
        assert_eq!(points(-0.2), "0");
        assert_eq!(percent(100.0 / 3.0), "33.3%");
    }
}
