//! Door activity for the live page: scans per minute per door, and doors that need a look.

use jiff::{SignedDuration, Timestamp};

/// How many recent minutes the scan rates cover.
pub const RATE_MINUTES: usize = 5;

/// A paired door that has not been heard from for this long is shown as quiet.
pub const QUIET_AFTER: SignedDuration = SignedDuration::from_mins(5);

/// Scans per minute over the last `minutes` minutes, oldest first: the last bucket counts
/// scans in `(now - 1 min, now]`, the one before `(now - 2 min, now - 1 min]`, and so on.
/// Scans older than the window, or after `now`, are not counted.
pub fn per_minute(
    times: impl IntoIterator<Item = Timestamp>,
    now: Timestamp,
    minutes: usize,
) -> Vec<u32> {
    let mut buckets = vec![0u32; minutes];
    for t in times {
        let age_ms = now.as_millisecond() - t.as_millisecond();
        if age_ms < 0 {
            continue;
        }
        let from_end = (age_ms / 60_000) as usize;
        if from_end < minutes {
            buckets[minutes - 1 - from_end] += 1;
        }
    }
    buckets
}

/// Why a door is worth a look, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attention {
    /// How long since the door was last heard from, when that is longer than `QUIET_AFTER`;
    /// `None` also for a door that was never heard from (see `never_seen`).
    pub quiet_for: Option<SignedDuration>,
    /// Paired but never sent anything.
    pub never_seen: bool,
    /// Scans the door said were still waiting on it at its last contact.
    pub queued: u32,
}

impl Attention {
    pub fn needed(&self) -> bool {
        self.quiet_for.is_some() || self.never_seen || self.queued > 0
    }
}

/// What a paired, unrevoked door's last contact says about it at `now`.
pub fn attention(
    last_seen: Option<Timestamp>,
    queue_size: Option<i64>,
    now: Timestamp,
    quiet_after: SignedDuration,
) -> Attention {
    let quiet_for = last_seen
        .map(|t| now.duration_since(t))
        .filter(|d| *d >= quiet_after);
    Attention {
        quiet_for,
        never_seen: last_seen.is_none(),
        queued: u32::try_from(queue_size.unwrap_or(0).max(0)).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        format!("2026-05-12T{s}Z").parse().unwrap()
    }

    #[test]
    fn scans_fall_into_minutes_counted_back_from_now() {
        let now = at("10:00:00");
        let times = [
            at("10:00:00"),
            at("09:59:59"),
            at("09:59:00.001"),
            at("09:59:00"),
            at("09:55:00.001"),
            at("09:55:00"),
            at("10:00:01"),
        ];
        // (09:55,09:56] (09:56,09:57] (09:57,09:58] (09:58,09:59] (09:59,10:00]
        assert_eq!(per_minute(times, now, 5), vec![1, 0, 0, 1, 3]);
    }

    #[test]
    fn every_scan_in_the_window_is_counted_once() {
        let now = at("10:00:00");
        let times: Vec<Timestamp> = (0..330)
            .map(|s| now - SignedDuration::from_secs(s))
            .collect();
        let b = per_minute(times.iter().copied(), now, 5);
        assert_eq!(b, vec![60; 5]);
        assert_eq!(per_minute(times, now, 1), vec![60]);
    }

    #[test]
    fn quiet_doors_and_queues_need_a_look() {
        let now = at("10:00:00");
        let fresh = attention(Some(at("09:58:00")), Some(0), now, QUIET_AFTER);
        assert!(!fresh.needed());
        let quiet = attention(Some(at("09:55:00")), Some(0), now, QUIET_AFTER);
        assert_eq!(quiet.quiet_for, Some(SignedDuration::from_mins(5)));
        assert!(quiet.needed());
        let queued = attention(Some(at("09:59:30")), Some(12), now, QUIET_AFTER);
        assert_eq!((queued.quiet_for, queued.queued), (None, 12));
        assert!(queued.needed());
        let never = attention(None, None, now, QUIET_AFTER);
        assert!(never.never_seen && never.needed());
        assert_eq!(attention(None, Some(-3), now, QUIET_AFTER).queued, 0);
    }
}
