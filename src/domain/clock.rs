//! How an event writes the time of day: a 24-hour clock ("14:05") or a 12-hour one
//! ("2:05 PM"), chosen per event, by default the one usual where the event takes place.

use std::fmt;

/// The clock an event's times are written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    H24,
    H12,
}

/// Time zones whose people mostly read a 12-hour clock: the United States and Canada
/// (outside Quebec), Australia, New Zealand, India, Pakistan, the Philippines, Egypt,
/// Saudi Arabia. A name ending in `/` covers the zones under it. Everywhere else a 24-hour
/// clock is the safe choice.
const TWELVE_HOUR_PREFIXES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Adak",
    "America/Boise",
    "America/Detroit",
    "America/Indiana/",
    "America/Kentucky/",
    "America/North_Dakota/",
    "America/Juneau",
    "America/Sitka",
    "America/Nome",
    "America/Menominee",
    "America/Toronto",
    "America/Vancouver",
    "America/Edmonton",
    "America/Winnipeg",
    "America/Halifax",
    "America/St_Johns",
    "America/Regina",
    "America/Puerto_Rico",
    "US/",
    "Canada/",
    "Pacific/Honolulu",
    "Australia/",
    "Pacific/Auckland",
    "NZ",
    "Asia/Kolkata",
    "Asia/Calcutta",
    "Asia/Karachi",
    "Asia/Manila",
    "Africa/Cairo",
    "Asia/Riyadh",
];

impl Clock {
    pub const ALL: [Clock; 2] = [Clock::H24, Clock::H12];

    /// The clock usual in `time_zone` (an IANA name).
    pub fn usual_in(time_zone: &str) -> Clock {
        if TWELVE_HOUR_PREFIXES
            .iter()
            .any(|p| time_zone == *p || (p.ends_with('/') && time_zone.starts_with(p)))
        {
            Clock::H12
        } else {
            Clock::H24
        }
    }

    /// The stored setting, or the zone's usual clock when there is none or it does not read.
    pub fn of_event(stored: Option<&str>, time_zone: &str) -> Clock {
        stored
            .and_then(Clock::parse)
            .unwrap_or_else(|| Clock::usual_in(time_zone))
    }

    pub fn parse(raw: &str) -> Option<Clock> {
        match raw.trim() {
            "24h" => Some(Clock::H24),
            "12h" => Some(Clock::H12),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Clock::H24 => "24h",
            Clock::H12 => "12h",
        }
    }

    /// For people choosing: "24-hour (14:05)".
    pub fn label(self) -> &'static str {
        match self {
            Clock::H24 => "24-hour (14:05)",
            Clock::H12 => "12-hour (2:05 PM)",
        }
    }

    /// `strftime` pattern of the time of day.
    pub fn pattern(self) -> &'static str {
        match self {
            Clock::H24 => "%H:%M",
            Clock::H12 => "%-I:%M %p",
        }
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_clock_follows_the_zone() {
        assert_eq!(Clock::usual_in("Europe/Berlin"), Clock::H24);
        assert_eq!(Clock::usual_in("America/Sao_Paulo"), Clock::H24);
        assert_eq!(Clock::usual_in("America/New_York"), Clock::H12);
        assert_eq!(Clock::usual_in("America/Indiana/Knox"), Clock::H12);
        assert_eq!(Clock::usual_in("Australia/Sydney"), Clock::H12);
        assert_eq!(Clock::usual_in("NZ"), Clock::H12);
        assert_eq!(Clock::usual_in("NZ-CHAT"), Clock::H24);
        assert_eq!(Clock::usual_in("UTC"), Clock::H24);
    }

    #[test]
    fn a_stored_choice_wins_and_a_bad_one_falls_back() {
        assert_eq!(Clock::of_event(Some("12h"), "Europe/Berlin"), Clock::H12);
        assert_eq!(Clock::of_event(Some("24h"), "America/Chicago"), Clock::H24);
        assert_eq!(Clock::of_event(Some("13h"), "America/Chicago"), Clock::H12);
        assert_eq!(Clock::of_event(None, "Asia/Tokyo"), Clock::H24);
        for c in Clock::ALL {
            assert_eq!(Clock::parse(c.as_str()), Some(c));
        }
    }
}
