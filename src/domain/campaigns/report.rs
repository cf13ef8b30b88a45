//! What a campaign's sends add up to: totals and the shares a marketer compares campaigns by.
//!
//! Delivered is a share of the messages queued; opened, clicked, unsubscribed and bounced
//! are shares of the messages delivered (accepted by the receiving server), since only a
//! delivered message can be opened or bounce back later.

/// Counts of one group of sends (a topic and tier, or the whole campaign).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendCounts {
    pub queued: u64,
    pub delivered: u64,
    pub opened: u64,
    pub clicked: u64,
    pub unsubscribed: u64,
    pub bounced: u64,
    pub failed: u64,
}

impl SendCounts {
    /// The sum of several groups.
    pub fn total<'a>(groups: impl IntoIterator<Item = &'a SendCounts>) -> SendCounts {
        groups
            .into_iter()
            .fold(SendCounts::default(), |t, g| SendCounts {
                queued: t.queued + g.queued,
                delivered: t.delivered + g.delivered,
                opened: t.opened + g.opened,
                clicked: t.clicked + g.clicked,
                unsubscribed: t.unsubscribed + g.unsubscribed,
                bounced: t.bounced + g.bounced,
                failed: t.failed + g.failed,
            })
    }

    /// The shares of these counts; `None` where nothing was there to count from.
    pub fn rates(&self) -> Rates {
        let of = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        Rates {
            delivered: of(self.delivered, self.queued),
            opened: of(self.opened, self.delivered),
            clicked: of(self.clicked, self.delivered),
            unsubscribed: of(self.unsubscribed, self.delivered),
            bounced: of(self.bounced, self.delivered),
        }
    }
}

/// Shares from 0 to 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Of queued.
    pub delivered: Option<f64>,
    /// Of delivered, as are the others.
    pub opened: Option<f64>,
    pub clicked: Option<f64>,
    pub unsubscribed: Option<f64>,
    pub bounced: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(queued: u64, delivered: u64, opened: u64, clicked: u64) -> SendCounts {
        SendCounts {
            queued,
            delivered,
            opened,
            clicked,
            ..SendCounts::default()
        }
    }

    #[test]
    fn delivered_is_a_share_of_queued_and_the_rest_of_delivered() {
        let c = SendCounts {
            unsubscribed: 1,
            bounced: 2,
            failed: 2,
            ..counts(10, 8, 4, 2)
        };
        let r = c.rates();
        assert_eq!(r.delivered, Some(0.8));
        assert_eq!(r.opened, Some(0.5));
        assert_eq!(r.clicked, Some(0.25));
        assert_eq!(r.unsubscribed, Some(0.125));
        assert_eq!(r.bounced, Some(0.25));
    }

    #[test]
    fn nothing_to_count_from_gives_no_rate_rather_than_zero() {
        let r = counts(3, 0, 0, 0).rates();
        assert_eq!(r.delivered, Some(0.0));
        assert_eq!(r.opened, None);
        assert_eq!(SendCounts::default().rates(), Rates::default());
    }

    #[test]
    fn totals_add_every_group() {
        let t = SendCounts::total(&[counts(2, 2, 1, 0), counts(3, 1, 1, 1)]);
        assert_eq!(t, counts(5, 3, 2, 1));
    }
}
