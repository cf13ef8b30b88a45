//! How long an event keeps personal data after it ends, and whose time is up.

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use serde::Serialize;

/// Days kept after the event for people who agreed to marketing email: two years, so the
/// next edition of a yearly event can still invite them.
pub const DEFAULT_DAYS_CONSENTED: i64 = 730;
/// Days kept for everyone else: long enough for follow-up and sales feedback.
pub const DEFAULT_DAYS_OTHER: i64 = 180;

/// An event's retention periods, in days after the event ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetentionPolicy {
    pub days_consented: i64,
    pub days_other: i64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            days_consented: DEFAULT_DAYS_CONSENTED,
            days_other: DEFAULT_DAYS_OTHER,
        }
    }
}

impl RetentionPolicy {
    /// Checks periods given by people: whole days, not negative, at most a century.
    pub fn new(days_consented: i64, days_other: i64) -> Result<RetentionPolicy, String> {
        for (what, days) in [("consented", days_consented), ("other", days_other)] {
            if !(0..=36_500).contains(&days) {
                return Err(format!(
                    "retention for {what} must be 0 to 36500 days, not {days}"
                ));
            }
        }
        Ok(RetentionPolicy {
            days_consented,
            days_other,
        })
    }

    /// Which groups of the event's people are past their period at `now`.
    pub fn due(&self, event_end: Timestamp, now: Timestamp) -> Due {
        let past = |days: i64| now >= event_end + SignedDuration::from_hours(days * 24);
        Due {
            consented: past(self.days_consented),
            other: past(self.days_other),
        }
    }
}

/// Whose data is to be erased now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    /// People who agreed to marketing email.
    pub consented: bool,
    /// Everyone else.
    pub other: bool,
}

impl Due {
    pub fn any(&self) -> bool {
        self.consented || self.other
    }
}

/// The end of an event: midnight after its last day, in its own time zone.
pub fn event_end(ends_on: Date, tz: &TimeZone) -> Timestamp {
    let next = ends_on.tomorrow().unwrap_or(ends_on);
    next.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end() -> Timestamp {
        event_end(
            "2026-05-12".parse().unwrap(),
            &TimeZone::get("Europe/Berlin").unwrap(),
        )
    }

    #[test]
    fn an_event_ends_at_midnight_after_its_last_day_in_its_own_zone() {
        assert_eq!(end().to_string(), "2026-05-12T22:00:00Z");
    }

    #[test]
    fn nobody_is_due_before_the_shorter_period_has_passed() {
        let p = RetentionPolicy::default();
        let now = end() + SignedDuration::from_hours(179 * 24);
        assert_eq!(p.due(end(), now), Due::default());
    }

    #[test]
    fn people_without_consent_are_due_first() {
        let p = RetentionPolicy::default();
        let now = end() + SignedDuration::from_hours(180 * 24);
        assert_eq!(
            p.due(end(), now),
            Due {
                consented: false,
                other: true
            }
        );
        let later = end() + SignedDuration::from_hours(730 * 24);
        assert!(p.due(end(), later).consented);
    }

    #[test]
    fn periods_out_of_range_are_refused() {
        assert!(RetentionPolicy::new(-1, 10).is_err());
        assert!(RetentionPolicy::new(10, 40_000).is_err());
        assert_eq!(
            RetentionPolicy::new(0, 1),
            Ok(RetentionPolicy {
                days_consented: 0,
                days_other: 1
            })
        );
    }
}
