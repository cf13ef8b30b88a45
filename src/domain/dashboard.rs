//! The staff dashboard: which events come first, and each event's figures made from the
//! counts the store grouped (scan rates, tier mix, campaigns in flight, people in rooms).

use jiff::civil::Date;

use super::{
    campaigns::campaign::CampaignState, choice::choice_enum, door::occupancy::RoomOccupancy,
    leads::package::Tier,
};

/// The window the scan rate covers, in minutes.
pub const RATE_WINDOW_MINUTES: u32 = 15;

/// Where an event is in time, seen from its own time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Today is one of its days.
    On,
    Upcoming,
    Over,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::On => "on",
            Phase::Upcoming => "upcoming",
            Phase::Over => "over",
        }
    }
}

/// An event's days and today's date in the event's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub starts_on: Date,
    pub ends_on: Date,
    pub today: Date,
}

impl Days {
    pub fn phase(&self) -> Phase {
        if self.today < self.starts_on {
            Phase::Upcoming
        } else if self.today > self.ends_on {
            Phase::Over
        } else {
            Phase::On
        }
    }

    /// In words: "Day 1 of 2", "Today", "Starts tomorrow", "Starts in 12 days",
    /// "Ended yesterday", "Ended 3 days ago".
    pub fn status(&self) -> String {
        let days = |a: Date, b: Date| (b - a).get_days();
        match self.phase() {
            Phase::On => {
                let length = days(self.starts_on, self.ends_on) + 1;
                if length == 1 {
                    "On today".to_owned()
                } else {
                    let day = days(self.starts_on, self.today) + 1;
                    format!("On now: day {day} of {length}")
                }
            }
            Phase::Upcoming => match days(self.today, self.starts_on) {
                1 => "Starts tomorrow".to_owned(),
                n => format!("Starts in {n} days"),
            },
            Phase::Over => match days(self.ends_on, self.today) {
                1 => "Ended yesterday".to_owned(),
                n => format!("Ended {n} days ago"),
            },
        }
    }
}

/// The events in the order the dashboard shows them: those on today first, then the
/// upcoming ones (soonest first), then those that are over (most recent first). The first
/// one is the event the organiser looks for.
pub fn arrange<T>(events: Vec<T>, days: impl Fn(&T) -> Days) -> Vec<(Days, T)> {
    let mut dated: Vec<(Days, T)> = events.into_iter().map(|e| (days(&e), e)).collect();
    // A stable sort keeps the caller's order among events of the same dates.
    dated.sort_by(|(a, _), (b, _)| {
        a.phase().cmp(&b.phase()).then(match a.phase() {
            Phase::On | Phase::Upcoming => a.starts_on.cmp(&b.starts_on),
            Phase::Over => b.ends_on.cmp(&a.ends_on),
        })
    });
    dated
}

/// Counted scans of one minute of the window and one decision, as the store groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteCount {
    /// Minutes since the window's start, 0 for the oldest.
    pub minute: i64,
    pub decision: Decision,
    pub scans: u64,
}

choice_enum!(
    /// A stored scan's decision.
    Decision {
        Accepted = "accepted": "Accepted",
        Duplicate = "duplicate": "Duplicate",
        Refused = "refused": "Refused",
    }
    unknown(raw) => format!("unknown scan decision '{raw}'");
);

/// Door scans of the last `RATE_WINDOW_MINUTES` minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRate {
    pub accepted: u64,
    pub duplicate: u64,
    pub refused: u64,
    /// Every scan per minute, oldest minute first.
    pub per_minute: Vec<u64>,
}

impl ScanRate {
    pub fn total(&self) -> u64 {
        self.accepted + self.duplicate + self.refused
    }

    /// Scans per minute over the window, every decision counted.
    pub fn average(&self) -> f64 {
        self.total() as f64 / self.per_minute.len().max(1) as f64
    }

    /// The busiest minute of the window.
    pub fn peak(&self) -> u64 {
        self.per_minute.iter().copied().max().unwrap_or(0)
    }
}

/// The scan rate of a window of `minutes` minutes from the store's grouped counts; counts
/// outside the window are ignored.
pub fn scan_rate(counts: &[MinuteCount], minutes: u32) -> ScanRate {
    let mut rate = ScanRate {
        accepted: 0,
        duplicate: 0,
        refused: 0,
        per_minute: vec![0; minutes as usize],
    };
    for c in counts {
        let Some(slot) = usize::try_from(c.minute)
            .ok()
            .and_then(|m| rate.per_minute.get_mut(m))
        else {
            continue;
        };
        *slot += c.scans;
        match c.decision {
            Decision::Accepted => rate.accepted += c.scans,
            Decision::Duplicate => rate.duplicate += c.scans,
            Decision::Refused => rate.refused += c.scans,
        }
    }
    rate
}

/// Leads of one tier, with how many of them are overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierCount {
    pub tier: Tier,
    pub leads: u64,
    /// Past the feedback deadline without feedback (`lead_report::is_overdue`).
    pub overdue: u64,
}

/// One tier's part of the mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierShare {
    pub tier: Tier,
    pub leads: u64,
    /// Share of all leads, 0 to 100.
    pub percent: f64,
}

/// The latest build's leads by tier.
#[derive(Debug, Clone, PartialEq)]
pub struct TierMix {
    /// Every tier, A to X, including those with no leads.
    pub tiers: Vec<TierShare>,
    pub total: u64,
    pub overdue: u64,
}

impl TierMix {
    /// Tiers A, B and C: the leads someone follows up.
    pub fn tiered(&self) -> u64 {
        self.tiers
            .iter()
            .filter(|t| t.tier != Tier::X)
            .map(|t| t.leads)
            .sum()
    }
}

pub fn tier_mix(counts: &[TierCount]) -> TierMix {
    let total: u64 = counts.iter().map(|c| c.leads).sum();
    let tiers = Tier::ALL
        .into_iter()
        .map(|tier| {
            let leads = counts
                .iter()
                .filter(|c| c.tier == tier)
                .map(|c| c.leads)
                .sum();
            TierShare {
                tier,
                leads,
                percent: if total == 0 {
                    0.0
                } else {
                    leads as f64 * 100.0 / total as f64
                },
            }
        })
        .collect();
    TierMix {
        tiers,
        total,
        overdue: counts.iter().map(|c| c.overdue).sum(),
    }
}

/// A campaign that is sending or paused, with its ledger counts.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignInFlight {
    pub slug: String,
    pub name: String,
    pub state: CampaignState,
    pub sent: u64,
    /// Queued or being sent now.
    pub waiting: u64,
    /// Failed, skipped (suppressed) or cancelled.
    pub not_sent: u64,
}

impl CampaignInFlight {
    pub fn total(&self) -> u64 {
        self.sent + self.waiting + self.not_sent
    }

    /// Messages that reached an end state, in percent of all, rounded down.
    pub fn percent_done(&self) -> u64 {
        match self.total() {
            0 => 0,
            total => (self.sent + self.not_sent) * 100 / total,
        }
    }
}

/// People in the event's rooms now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InRooms {
    pub present: u64,
    /// Rooms with at least one person.
    pub rooms_in_use: usize,
    pub rooms: usize,
    /// The fullest room with a capacity: (index in the rooms given, percent of capacity).
    pub fullest: Option<(usize, u32)>,
}

/// Sums the live page's occupancy of each room (`occupancy::occupancy`).
pub fn in_rooms(rooms: &[RoomOccupancy]) -> InRooms {
    let fullest = rooms
        .iter()
        .enumerate()
        .filter(|(_, r)| r.present > 0)
        .filter_map(|(i, r)| r.percent().map(|p| (i, p)))
        // The first of equally full rooms, in programme order.
        .fold(None, |best: Option<(usize, u32)>, (i, p)| match best {
            Some((_, bp)) if bp >= p => best,
            _ => Some((i, p)),
        });
    InRooms {
        present: rooms.iter().map(|r| u64::from(r.present)).sum(),
        rooms_in_use: rooms.iter().filter(|r| r.present > 0).count(),
        rooms: rooms.len(),
        fullest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::door::occupancy::Fill;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn days(start: &str, end: &str, today: &str) -> Days {
        Days {
            starts_on: date(start),
            ends_on: date(end),
            today: date(today),
        }
    }

    #[test]
    fn an_event_is_on_from_its_first_to_its_last_day() {
        assert_eq!(
            days("2026-05-12", "2026-05-13", "2026-05-11").phase(),
            Phase::Upcoming
        );
        assert_eq!(
            days("2026-05-12", "2026-05-13", "2026-05-12").phase(),
            Phase::On
        );
        assert_eq!(
            days("2026-05-12", "2026-05-13", "2026-05-13").phase(),
            Phase::On
        );
        assert_eq!(
            days("2026-05-12", "2026-05-13", "2026-05-14").phase(),
            Phase::Over
        );
    }

    #[test]
    fn the_status_says_where_the_event_is_in_words() {
        let s = |a, b, t| days(a, b, t).status();
        assert_eq!(
            s("2026-05-12", "2026-05-13", "2026-05-13"),
            "On now: day 2 of 2"
        );
        assert_eq!(s("2026-05-12", "2026-05-12", "2026-05-12"), "On today");
        assert_eq!(
            s("2026-05-12", "2026-05-13", "2026-05-11"),
            "Starts tomorrow"
        );
        assert_eq!(
            s("2026-05-12", "2026-05-13", "2026-04-30"),
            "Starts in 12 days"
        );
        assert_eq!(
            s("2026-05-12", "2026-05-13", "2026-05-14"),
            "Ended yesterday"
        );
        assert_eq!(
            s("2026-05-12", "2026-05-13", "2026-05-20"),
            "Ended 7 days ago"
        );
    }

    #[test]
    fn events_on_now_come_first_then_the_soonest_then_the_latest_past() {
        let today = "2026-05-12";
        let events = vec![
            ("old", days("2025-01-10", "2025-01-11", today)),
            ("later", days("2026-09-01", "2026-09-02", today)),
            ("recent", days("2026-04-01", "2026-04-02", today)),
            ("now", days("2026-05-11", "2026-05-12", today)),
            ("soon", days("2026-06-01", "2026-06-01", today)),
        ];
        let order: Vec<&str> = arrange(events, |(_, d)| *d)
            .into_iter()
            .map(|(_, (name, _))| name)
            .collect();
        assert_eq!(order, ["now", "soon", "later", "recent", "old"]);
    }

    #[test]
    fn the_scan_rate_counts_every_decision_per_minute_of_the_window() {
        let c = |minute, decision, scans| MinuteCount {
            minute,
            decision,
            scans,
        };
        let rate = scan_rate(
            &[
                c(0, Decision::Accepted, 10),
                c(0, Decision::Refused, 2),
                c(14, Decision::Accepted, 4),
                c(14, Decision::Duplicate, 1),
                // Outside the window: ignored.
                c(15, Decision::Accepted, 100),
                c(-1, Decision::Accepted, 100),
            ],
            RATE_WINDOW_MINUTES,
        );
        assert_eq!((rate.accepted, rate.duplicate, rate.refused), (14, 1, 2));
        assert_eq!(rate.total(), 17);
        assert_eq!(rate.per_minute.len(), 15);
        assert_eq!((rate.per_minute[0], rate.per_minute[14]), (12, 5));
        assert_eq!(rate.peak(), 12);
        assert!((rate.average() - 17.0 / 15.0).abs() < 1e-9);
        assert_eq!(scan_rate(&[], 15).average(), 0.0);
    }

    #[test]
    fn the_tier_mix_lists_every_tier_with_its_share() {
        let mix = tier_mix(&[
            TierCount {
                tier: Tier::A,
                leads: 1,
                overdue: 1,
            },
            TierCount {
                tier: Tier::C,
                leads: 2,
                overdue: 0,
            },
            TierCount {
                tier: Tier::X,
                leads: 1,
                overdue: 0,
            },
        ]);
        assert_eq!(mix.total, 4);
        assert_eq!(mix.overdue, 1);
        assert_eq!(mix.tiered(), 3);
        let shares: Vec<(Tier, u64, f64)> = mix
            .tiers
            .iter()
            .map(|t| (t.tier, t.leads, t.percent))
            .collect();
        assert_eq!(
            shares,
            [
                (Tier::A, 1, 25.0),
                (Tier::B, 0, 0.0),
                (Tier::C, 2, 50.0),
                (Tier::X, 1, 25.0)
            ]
        );
        assert_eq!(tier_mix(&[]).tiers[0].percent, 0.0);
    }

    #[test]
    fn a_campaign_is_done_in_the_share_of_messages_that_reached_an_end() {
        let c = CampaignInFlight {
            slug: "x".into(),
            name: "X".into(),
            state: CampaignState::Sending,
            sent: 30,
            waiting: 60,
            not_sent: 10,
        };
        assert_eq!((c.total(), c.percent_done()), (100, 40));
        let empty = CampaignInFlight {
            sent: 0,
            waiting: 0,
            not_sent: 0,
            ..c
        };
        assert_eq!(empty.percent_done(), 0);
    }

    #[test]
    fn people_in_rooms_add_up_and_the_fullest_room_is_named() {
        let room = |room_id, capacity, present| RoomOccupancy {
            room_id,
            capacity,
            present,
            entries: present,
            exit_scans: 0,
            left_for_other_room: 0,
            session_ended: 0,
            fill: Fill::of(present, capacity),
        };
        let now = in_rooms(&[
            room(1, 100, 50),
            room(2, 0, 7),
            room(3, 10, 9),
            room(4, 20, 0),
        ]);
        assert_eq!(now.present, 66);
        assert_eq!((now.rooms_in_use, now.rooms), (3, 4));
        assert_eq!(now.fullest, Some((2, 90)));
        assert_eq!(in_rooms(&[room(1, 10, 0)]).fullest, None);
    }
}
