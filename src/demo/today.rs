//! When the demo's day runs: on the day the demo runs, in the local time zone, placed so that a
//! keynote is on in the Main Hall, where the demo's kiosk stands, right when the demo starts.

use jiff::{SignedDuration, Timestamp, Zoned, civil::Time, tz::TimeZone};

use super::programme;
use crate::domain::programme::Programme;

/// The room the demo's kiosk is bound to; only keynotes run there.
pub const KIOSK_ROOM: &str = "Main Hall";

/// How long a keynote has been running when the demo starts.
const INTO_KEYNOTE: SignedDuration = SignedDuration::from_mins(10);

/// The local time zone's IANA name; UTC when the computer does not say.
pub fn local_time_zone() -> String {
    TimeZone::system()
        .iana_name()
        .filter(|name| TimeZone::get(name).is_ok())
        .unwrap_or("UTC")
        .to_owned()
}

/// The sample programme on `now`'s local date in `time_zone`, at the hours `opening_for`
/// chooses.
pub fn programme_at(now: Timestamp, time_zone: &str) -> Programme {
    let tz = TimeZone::get(time_zone).expect("a known time zone");
    let local = now.to_zoned(tz);
    programme::cloud_summit_on(local.date(), time_zone, opening_for(&local))
}

/// When the opening keynote starts so that the whole day stays on `now`'s date and a Main
/// Hall keynote has been on for about ten minutes at `now`: the closing keynote when the
/// day fits before it, so most of the day at the doors lies in the past; early in the
/// morning the opening keynote; late at night the closing keynote of a day ending at
/// midnight, which still admits scans until ten minutes after it ends.
pub fn opening_for(now: &Zoned) -> Time {
    let p = programme::cloud_summit();
    let start_of = |id: &str| {
        p.sessions
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.starts_at)
            .expect("the keynotes of the sample day")
    };
    let closing = start_of("K3").duration_since(start_of("K1")).as_mins();
    let since_midnight = i64::from(now.hour()) * 60 + i64::from(now.minute());
    let latest = 24 * 60 - programme::day_length().as_mins();
    let into = INTO_KEYNOTE.as_mins();
    let opening = if since_midnight - into - closing >= 0 {
        (since_midnight - into - closing).min(latest)
    } else {
        (since_midnight - into).clamp(0, latest)
    };
    Time::midnight()
        .checked_add(SignedDuration::from_mins(opening))
        .expect("a time of day")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin(s: &str) -> Zoned {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get("Europe/Berlin").unwrap())
            .unwrap()
    }

    /// Whether a Main Hall session admits a scan at `now` in the day placed for `now`.
    fn keynote_on(now: &Zoned) -> bool {
        let p = programme_at(now.timestamp(), now.time_zone().iana_name().unwrap());
        let rules = crate::door::rules();
        p.sessions.iter().any(|s| {
            s.room == KIOSK_ROOM
                && s.starts_at <= now.timestamp()
                && now.timestamp() <= s.ends_at + rules.grace_after_end
        })
    }

    #[test]
    fn the_day_is_on_the_local_date_with_a_keynote_on_at_any_hour() {
        for hm in [
            "00:00", "00:09", "00:10", "07:59", "08:09", "08:10", "08:11", "12:00", "17:30",
            "23:25", "23:26", "23:50", "23:59",
        ] {
            // The day the clocks go forward: 23 hours long.
            let now = berlin(&format!("2026-03-29T{hm}:30"));
            let p = programme_at(now.timestamp(), "Europe/Berlin");
            let tz = TimeZone::get("Europe/Berlin").unwrap();
            let date = now.date();
            assert_eq!((p.event.starts_on, p.event.ends_on), (date, date), "{hm}");
            let midnight = date.tomorrow().unwrap().to_zoned(tz.clone()).unwrap();
            for s in &p.sessions {
                assert_eq!(
                    s.starts_at.to_zoned(tz.clone()).date(),
                    date,
                    "{hm} {}",
                    s.id
                );
                assert!(s.ends_at <= midnight.timestamp(), "{hm} {}", s.id);
            }
            assert!(keynote_on(&now), "{hm}");
        }
    }

    #[test]
    fn in_the_afternoon_the_closing_keynote_is_on() {
        let now = berlin("2026-07-01T18:40:00");
        assert_eq!(opening_for(&now), Time::constant(10, 30, 0, 0));
    }
}
