//! Genuine interest the data pool knows of from other events, and the association rules a
//! build draws across events with it.
//!
//! A person counts once across events: their genuine interests at this event and at every
//! other one they attended (their latest lead there) are one set. The rules for the likely
//! next need are then drawn over everybody with a genuine interest anywhere: this event's
//! attendees, each with what they showed elsewhere too, and the people of other events who
//! did not come. A topic slug names the same topic at every event. The event's own
//! insight page keeps counting this event alone (`insight`).

use std::collections::HashMap;

use crate::domain::leads::insight::{self, Insight};

/// What other events' latest builds found, by person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Elsewhere {
    /// Topics of the other events, (slug, name); one entry per slug.
    pub topics: Vec<(String, String)>,
    /// Genuine interests (slugs) shown at other events by people also at this event, by
    /// the attendee's index in this build's input.
    pub here: HashMap<usize, Vec<String>>,
    /// Genuine interests (slugs) of people not at this event, one entry per person.
    pub others: Vec<Vec<String>>,
    /// Other events these come from.
    pub events: u64,
}

impl Elsewhere {
    /// Nothing known from other events: the rules are this event's own.
    pub fn is_empty(&self) -> bool {
        self.here.is_empty() && self.others.is_empty()
    }

    /// What attendee `i` showed at other events.
    pub fn of(&self, i: usize) -> &[String] {
        self.here.get(&i).map_or(&[], Vec::as_slice)
    }

    /// The rules across events: over every person with a genuine interest anywhere,
    /// attendee `i` of this event with `genuine(i)` and what they showed elsewhere. `topics`
    /// are this event's, (slug, name); topics only other events had follow them.
    pub fn rules<'a>(
        &'a self,
        topics: &[(String, String)],
        attendees: usize,
        genuine: impl Fn(usize) -> Vec<&'a str>,
    ) -> Insight {
        let mut all: Vec<(String, String)> = topics.to_vec();
        for t in &self.topics {
            if !all.iter().any(|(slug, _)| *slug == t.0) {
                all.push(t.clone());
            }
        }
        let here = (0..attendees).map(|i| {
            let mut mine = genuine(i);
            mine.extend(self.of(i).iter().map(String::as_str));
            mine
        });
        let others = self
            .others
            .iter()
            .map(|o| o.iter().map(String::as_str).collect::<Vec<&str>>());
        let mut rules = insight::insight(&all, here.chain(others), insight::MIN_PEOPLE);
        rules.events = self.events + 1;
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(s, n)| ((*s).to_owned(), (*n).to_owned()))
            .collect()
    }

    fn slugs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_person_counts_once_with_what_they_showed_at_every_event() {
        // Here: attendee 0 chose video; elsewhere they chose storage. Five more people of
        // another event chose both.
        let mut e = Elsewhere {
            topics: topics(&[("storage", "Object storage")]),
            events: 1,
            ..Elsewhere::default()
        };
        e.here.insert(0, slugs(&["storage"]));
        e.others = vec![slugs(&["video", "storage"]); 5];
        let here = topics(&[("video", "Video cloud"), ("ai", "AI")]);
        let genuine = |i: usize| if i == 0 { vec!["video"] } else { vec!["ai"] };
        let rules = e.rules(&here, 3, genuine);
        assert_eq!(rules.attendees, 8, "three here, five elsewhere");
        assert_eq!(rules.events, 2);
        let at = |slug: &str| rules.topics.iter().position(|t| t.slug == slug).unwrap();
        assert_eq!(rules.topics[at("storage")].name, "Object storage");
        assert_eq!(
            rules.both[at("video")][at("storage")],
            6,
            "attendee 0 is one person with both"
        );
        assert_eq!(rules.both[at("ai")][at("ai")], 2);
    }

    #[test]
    fn with_nothing_elsewhere_the_rules_are_the_events_own() {
        let e = Elsewhere::default();
        assert!(e.is_empty());
        let here = topics(&[("video", "Video cloud"), ("ai", "AI")]);
        let genuine = |i: usize| {
            if i < 6 {
                vec!["video", "ai"]
            } else {
                vec!["ai"]
            }
        };
        let own = insight::insight(&here, (0..10).map(genuine), insight::MIN_PEOPLE);
        let rules = e.rules(&here, 10, genuine);
        assert_eq!(rules.pairs, own.pairs);
        assert_eq!(rules.both, own.both);
    }
}
