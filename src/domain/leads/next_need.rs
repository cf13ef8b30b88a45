//! A lead's likely next need: a topic the person did not choose but that people with their
//! interests are markedly more likely to be interested in (an association rule over the
//! event's genuine interests, `lead_insight`, or over every event's when the data pool
//! knows of others, `elsewhere`).
//!
//! For a person with genuine interests G and listed topics L (ticked or chosen), every rule
//! X → Y with X in G and Y not in L is a candidate when at least `MIN_PEOPLE` people share
//! X and Y, its lift is at least `MIN_LIFT` and its confidence at least `MIN_CONFIDENCE`.
//! The strongest lift wins (then confidence, then people in common, then programme order).

use serde::{Deserialize, Serialize};

use crate::domain::leads::insight::Insight;

/// Rules weaker than this are not worth a sales conversation.
pub const MIN_LIFT: f64 = 1.2;
pub const MIN_CONFIDENCE: f64 = 0.15;

/// The topic a lead probably needs next, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NextNeed {
    pub slug: String,
    pub name: String,
    /// The person's interest that points there.
    pub because: String,
    pub because_name: String,
    pub lift: f64,
    pub confidence: f64,
    /// People with both interests (at the event, or across the events the rules span).
    pub people: u64,
    /// In plain words, for the package, the export and follow-up email.
    pub reason: String,
}

/// The likely next need of a person with genuine interests `genuine` (topic slugs) and
/// listed topics `listed`, from the event's `insight` (pairs with too few people in common
/// are already left out of it).
pub fn next_need(insight: &Insight, genuine: &[&str], listed: &[&str]) -> Option<NextNeed> {
    let order = |slug: &str| insight.topics.iter().position(|t| t.slug == slug);
    insight
        .pairs
        .iter()
        .filter(|p| genuine.contains(&p.from.as_str()) && !listed.contains(&p.to.as_str()))
        .filter(|p| p.lift >= MIN_LIFT && p.confidence >= MIN_CONFIDENCE)
        .max_by(|a, b| {
            a.lift
                .total_cmp(&b.lift)
                .then(a.confidence.total_cmp(&b.confidence))
                .then(a.both.cmp(&b.both))
                .then_with(|| order(&b.to).cmp(&order(&a.to)))
                .then_with(|| order(&b.from).cmp(&order(&a.from)))
        })
        .map(|p| {
            let name = insight.topic_name(&p.to).to_owned();
            let because_name = insight.topic_name(&p.from).to_owned();
            let (whom, never) = match insight.events {
                0 | 1 => (
                    format!("{} people", p.both),
                    format!("did not attend {name}"),
                ),
                n => (
                    format!("{} people across {n} events", p.both),
                    format!("has not shown interest in {name} at any of them"),
                ),
            };
            NextNeed {
                reason: format!(
                    "People interested in {because_name} are {:.1} times as likely as the average attendee to be interested in {name} ({:.0}% of them are, {whom}); this person showed interest in {because_name} but {never}.",
                    p.lift,
                    p.confidence * 100.0,
                ),
                slug: p.to.clone(),
                because: p.from.clone(),
                name,
                because_name,
                lift: p.lift,
                confidence: p.confidence,
                people: p.both,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::leads::insight::insight;

    fn topics() -> Vec<(String, String)> {
        [
            ("video", "Video cloud"),
            ("caching", "Caching"),
            ("storage", "Object storage"),
            ("ai", "AI"),
        ]
        .iter()
        .map(|(s, n)| ((*s).to_owned(), (*n).to_owned()))
        .collect()
    }

    /// 10 people into video and storage, 10 into ai only, 10 into caching and ai, 5 into
    /// video only.
    fn event() -> Insight {
        let mut people: Vec<Vec<&str>> = Vec::new();
        people.extend(std::iter::repeat_n(vec!["video", "storage"], 10));
        people.extend(std::iter::repeat_n(vec!["ai"], 10));
        people.extend(std::iter::repeat_n(vec!["caching", "ai"], 10));
        people.extend(std::iter::repeat_n(vec!["video"], 5));
        insight(&topics(), people, 5)
    }

    #[test]
    fn a_video_person_who_skipped_storage_probably_needs_it_next() {
        let i = event();
        let n = next_need(&i, &["video"], &["video"]).unwrap();
        assert_eq!(n.slug, "storage");
        assert_eq!(n.because, "video");
        // P(storage | video) = 10/15; P(storage) = 10/35: lift 2.33.
        assert!((n.lift - 7.0 / 3.0).abs() < 1e-9, "{}", n.lift);
        assert_eq!(n.people, 10);
        assert!(n.reason.starts_with(
            "People interested in Video cloud are 2.3 times as likely as the average attendee to be interested in Object storage (67% of them are, 10 people)"
        ), "{}", n.reason);
        assert!(
            n.reason.ends_with("but did not attend Object storage."),
            "{}",
            n.reason
        );
    }

    #[test]
    fn rules_drawn_across_events_say_so() {
        let mut i = event();
        i.events = 3;
        let n = next_need(&i, &["video"], &["video"]).unwrap();
        assert!(
            n.reason.contains("(67% of them are, 10 people across 3 events); this person showed interest in Video cloud but has not shown interest in Object storage at any of them."),
            "{}",
            n.reason
        );
    }

    #[test]
    fn nothing_already_listed_and_nothing_weak_is_proposed() {
        let i = event();
        // Storage already listed (ticked or attended): nothing left to propose from video.
        assert_eq!(next_need(&i, &["video"], &["video", "storage"]), None);
        // Interest in ai points to caching (lift 35 / 20 = 1.75).
        assert_eq!(next_need(&i, &["ai"], &["ai"]).unwrap().slug, "caching");
        // Nobody's genuine interest, no proposal.
        assert_eq!(next_need(&i, &[], &["ai"]), None);
    }
}
