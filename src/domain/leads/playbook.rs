//! The playbook: what each sales outcome means for the person next (who owns them, when
//! to reach them again, with what, and whether follow-up email may reach them).
//!
//! Every outcome has a play. The seven standard outcomes have sensible defaults that an
//! event's `playbook.toml` may change key by key; the file may also add outcomes of its own
//! (with a label), which sales can then record like the standard ones.

use std::{collections::BTreeMap, fmt, str::FromStr};

use jiff::{Span, Timestamp, tz::TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{choice::choice_enum, leads::package::Outcome};

choice_enum!(
    /// Who works the person after the outcome.
    NextOwner {
        Sales = "sales": "sales (the lead's owner)",
        Nurture = "nurture": "marketing nurture",
        Nobody = "nobody": "nobody",
    }
);

choice_enum!(
    /// What to reach them with.
    NextContent {
        TopTopic = "top_topic": "their top topic",
        Educational = "educational": "educational content on their top topic",
        NextNeed = "next_need": "their likely next need",
        Renewal = "renewal": "an offer before their usual renewal",
        Nothing = "nothing": "nothing",
    }
);

/// When to reach the person again, counted from the outcome.
#[derive(Debug, Clone, Copy, Default)]
pub enum Recontact {
    #[default]
    Never,
    After(Span),
}

impl PartialEq for Recontact {
    /// The same units with the same values: "12 months" is not "1 year".
    fn eq(&self, other: &Recontact) -> bool {
        match (self, other) {
            (Recontact::Never, Recontact::Never) => true,
            (Recontact::After(a), Recontact::After(b)) => a.fieldwise() == b.fieldwise(),
            _ => false,
        }
    }
}

impl FromStr for Recontact {
    type Err = String;

    fn from_str(raw: &str) -> Result<Recontact, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("never") {
            return Ok(Recontact::Never);
        }
        let span: Span = raw.parse().map_err(|e| {
            format!("'{raw}' is not a period such as \"9 months\", \"2 weeks\" or \"never\" ({e})")
        })?;
        if span.is_negative() || span.is_zero() {
            return Err(format!("'{raw}' must be a period after the outcome"));
        }
        Ok(Recontact::After(span))
    }
}

impl fmt::Display for Recontact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recontact::Never => f.write_str("never"),
            // The friendly format: "9mo", "2w".
            Recontact::After(span) => write!(f, "{span:#}"),
        }
    }
}

impl Serialize for Recontact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Recontact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Recontact, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// What one outcome leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Play {
    /// Needed for an outcome the playbook adds; the standard ones have their own.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub owner: NextOwner,
    pub recontact_after: Recontact,
    pub content: NextContent,
    /// Whether follow-up email (campaigns) may still reach the person.
    pub email: bool,
    /// The tag the person carries in the data pool (`nurture`, `customer`...).
    pub tag: String,
}

impl Default for Play {
    fn default() -> Play {
        Play {
            label: String::new(),
            owner: NextOwner::Nurture,
            recontact_after: Recontact::Never,
            content: NextContent::TopTopic,
            email: true,
            tag: "nurture".into(),
        }
    }
}

fn play(owner: NextOwner, after: &str, content: NextContent, email: bool, tag: &str) -> Play {
    Play {
        label: String::new(),
        owner,
        recontact_after: after.parse().expect("the default periods parse"),
        content,
        email,
        tag: tag.into(),
    }
}

/// An event's playbook: outcome key -> play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    #[serde(rename = "outcome", default)]
    pub outcomes: BTreeMap<String, Play>,
}

impl Default for Playbook {
    fn default() -> Playbook {
        use NextContent as C;
        use NextOwner as O;
        let plays = [
            // Sales is in conversation: they check back, marketing stays quiet meanwhile.
            (
                Outcome::Contacted,
                play(O::Sales, "2 weeks", C::TopTopic, false, "in_sales"),
            ),
            (
                Outcome::MeetingBooked,
                play(O::Sales, "1 week", C::TopTopic, false, "in_sales"),
            ),
            (
                Outcome::BuyingWithinYear,
                play(O::Nurture, "9 months", C::TopTopic, true, "nurture"),
            ),
            (
                Outcome::NeedUnclear,
                play(O::Nurture, "1 month", C::Educational, true, "nurture"),
            ),
            // Reached again before the usual yearly renewal of what they bought instead.
            (
                Outcome::LostToCompetitor,
                play(O::Nurture, "10 months", C::Renewal, true, "lost"),
            ),
            (
                Outcome::NotAFit,
                play(O::Nobody, "never", C::Nothing, false, "not_a_fit"),
            ),
            (
                Outcome::Won,
                play(O::Sales, "6 months", C::NextNeed, true, "customer"),
            ),
        ];
        Playbook {
            outcomes: plays
                .into_iter()
                .map(|(o, p)| (o.key().to_owned(), p))
                .collect(),
        }
    }
}

/// What happens next for one person, from their latest outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct NextAction {
    pub owner: NextOwner,
    /// From when to reach them again; `None`: never.
    pub due_at: Option<Timestamp>,
    pub content: NextContent,
    pub email: bool,
    pub tag: String,
}

impl NextAction {
    /// "marketing nurture; reach again from 2027-09-06 with their top topic; follow-up email
    /// allowed". `day` renders a timestamp as a date.
    pub fn in_words(&self, day: impl Fn(Timestamp) -> String) -> String {
        let mut parts = vec![self.owner.label().to_owned()];
        match (self.owner, self.due_at) {
            (NextOwner::Nobody, _) => parts.push("no further contact".into()),
            (_, Some(due)) => parts.push(format!(
                "reach again from {} with {}",
                day(due),
                self.content.label()
            )),
            (_, None) => parts.push(format!("no date set; content: {}", self.content.label())),
        }
        parts.push(if self.email {
            "follow-up email allowed".into()
        } else {
            "no follow-up email".into()
        });
        parts.join("; ")
    }
}

/// An outcome sales can record: a standard one or one the playbook adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeChoice {
    pub key: String,
    pub label: String,
}

/// Longest key a playbook may give an outcome of its own.
const KEY_MAX: usize = 40;

impl Playbook {
    /// Every outcome sales can record, the standard ones first in their order.
    pub fn choices(&self) -> Vec<OutcomeChoice> {
        let mut out: Vec<OutcomeChoice> = Outcome::ALL
            .iter()
            .map(|o| OutcomeChoice {
                key: o.key().into(),
                label: o.label().into(),
            })
            .collect();
        for (key, play) in &self.outcomes {
            if Outcome::parse(key).is_err() {
                out.push(OutcomeChoice {
                    key: key.clone(),
                    label: play.label.clone(),
                });
            }
        }
        out
    }

    /// The outcome key for what a person typed or picked (`Meeting booked` ->
    /// `meeting_booked`), if the playbook knows it.
    pub fn outcome(&self, raw: &str) -> Result<OutcomeChoice, String> {
        let key = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        self.choices()
            .into_iter()
            .find(|c| c.key == key)
            .ok_or_else(|| {
                let keys: Vec<String> = self.choices().into_iter().map(|c| c.key).collect();
                format!("'{}' is not one of: {}", raw.trim(), keys.join(", "))
            })
    }

    /// The label of a stored outcome key; the key itself for one no longer in the playbook.
    pub fn label(&self, key: &str) -> String {
        match Outcome::parse(key) {
            Ok(o) => o.label().into(),
            Err(_) => self
                .outcomes
                .get(key)
                .map_or_else(|| key.to_owned(), |p| p.label.clone()),
        }
    }

    /// What an outcome recorded at `at` leads to; months and days count in `tz`. An outcome
    /// the playbook does not know (a custom one since removed) keeps the default play.
    pub fn next_action(&self, outcome: &str, at: Timestamp, tz: &TimeZone) -> NextAction {
        let fallback = Play::default();
        let play = self.outcomes.get(outcome).unwrap_or(&fallback);
        let due_at = match (play.owner, play.recontact_after) {
            (NextOwner::Nobody, _) | (_, Recontact::Never) => None,
            (_, Recontact::After(span)) => at
                .to_zoned(tz.clone())
                .checked_add(span)
                .ok()
                .map(|z| z.timestamp()),
        };
        NextAction {
            owner: play.owner,
            due_at,
            content: play.content,
            email: play.email,
            tag: if play.tag.trim().is_empty() {
                outcome.to_owned()
            } else {
                play.tag.trim().to_owned()
            },
        }
    }

    /// What is wrong with the playbook, one line each.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, play) in &self.outcomes {
            if Outcome::parse(key).is_ok() {
                continue;
            }
            let well_formed = !key.is_empty()
                && key.len() <= KEY_MAX
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !well_formed {
                problems.push(format!(
                    "outcome.{key}: an outcome key is 1 to {KEY_MAX} lower-case letters, digits or _"
                ));
            }
            if play.label.trim().is_empty() {
                problems.push(format!(
                    "outcome.{key}: an outcome the playbook adds needs a label, for sales to pick"
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    fn at() -> Timestamp {
        "2026-12-06T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn every_standard_outcome_has_a_default_play() {
        let book = Playbook::default();
        for o in Outcome::ALL {
            assert!(book.outcomes.contains_key(o.key()), "{}", o.key());
        }
        assert!(book.check().is_empty());
    }

    #[test]
    fn buying_within_a_year_is_nurtured_and_reached_again_in_nine_months() {
        let next = Playbook::default().next_action("buying_within_year", at(), &utc());
        assert_eq!(next.owner, NextOwner::Nurture);
        assert_eq!(next.due_at, Some("2027-09-06T10:00:00Z".parse().unwrap()));
        assert!(next.email);
        assert_eq!(next.tag, "nurture");
    }

    #[test]
    fn not_a_fit_means_no_contact_and_no_email() {
        let next = Playbook::default().next_action("not_a_fit", at(), &utc());
        assert_eq!(next.owner, NextOwner::Nobody);
        assert_eq!(next.due_at, None);
        assert!(!next.email);
        assert!(
            next.in_words(|t| t.to_string())
                .contains("no further contact")
        );
    }

    #[test]
    fn months_count_in_the_events_time_zone() {
        // 23:30 in New York on 31 January is 04:30 UTC on 1 February: a month later is the
        // last day of February there, not 1 March.
        let tz = TimeZone::get("America/New_York").unwrap();
        let book: Playbook = toml::from_str(
            "[outcome.need_unclear]\nowner = \"nurture\"\nrecontact_after = \"1 month\"",
        )
        .unwrap();
        let at: Timestamp = "2027-02-01T04:30:00Z".parse().unwrap();
        let due = book.next_action("need_unclear", at, &tz).due_at.unwrap();
        assert_eq!(due.to_zoned(tz).date().to_string(), "2027-02-28");
    }

    #[test]
    fn a_custom_outcome_is_a_choice_with_its_label() {
        let book = Playbook {
            outcomes: [(
                "demo_requested".to_owned(),
                Play {
                    label: "Demo requested".into(),
                    owner: NextOwner::Sales,
                    ..Play::default()
                },
            )]
            .into(),
        };
        assert!(book.check().is_empty());
        let choice = book.outcome("Demo requested").unwrap();
        assert_eq!(choice.key, "demo_requested");
        assert_eq!(book.label("demo_requested"), "Demo requested");
        assert_eq!(book.outcome("won").unwrap().label, "Won");
        assert!(
            book.outcome("maybe")
                .unwrap_err()
                .contains("demo_requested")
        );
    }

    #[test]
    fn a_custom_outcome_without_a_label_or_with_a_bad_key_is_refused() {
        let book = Playbook {
            outcomes: [("Bad Key".to_owned(), Play::default())].into(),
        };
        let problems = book.check();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn periods_read_and_write_in_words() {
        let nine: Recontact = "9 months".parse().unwrap();
        let again: Recontact = nine.to_string().parse().unwrap();
        assert_eq!(again, nine);
        assert_eq!("never".parse::<Recontact>(), Ok(Recontact::Never));
        assert!("soon".parse::<Recontact>().is_err());
        assert!("-2 days".parse::<Recontact>().is_err());
    }
}
