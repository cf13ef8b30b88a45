//! A pool segment: which people of the data pool, across events, a campaign reaches (tag,
//! next action due, topic interest, decision role, purchase stage, company, last contact,
//! events attended), checked and said in plain words.

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::domain::{
    attendee::{DecisionRole, PurchaseStage},
    pool,
    slug::Slug,
};

/// Every criterion left empty matches; the ones given must all hold (and, within one
/// list, any of its values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The tag of the person's latest sales outcome (`nurture`, `customer`, `lost`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Their latest outcome's next contact falls on or before this day (and someone, sales
    /// or marketing, owns it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_by: Option<Date>,
    /// The top topic of any of their leads, at any event (topic slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Decision role given at their latest registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DecisionRole>,
    /// Purchase stage given at their latest registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<PurchaseStage>,
    /// Companies by business email domain (`acme.com`) or name (`Acme Ltd`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<String>,
    /// Nobody reached them (a marketing email sent, a sales outcome recorded) on or after
    /// this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_before: Option<Date>,
    /// They came to (were scanned in at) at least this many events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_events: Option<u32>,
    /// They came to at least one of these events (event slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// Who a campaign reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceScope {
    /// The attendees of the campaign's event.
    Event,
    /// The people of the data pool, across events, that the segment picks.
    Pool(Segment),
}

/// The most events a person can be asked to have attended.
const MAX_EVENTS: u32 = 1_000;
/// The most values one criterion may list.
const MAX_VALUES: usize = 200;

/// The segment with every value resolved for the store: times in milliseconds and company
/// keys as the data pool writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentQuery {
    pub tags: Vec<String>,
    /// Next contact before this instant (the end of the `due_by` day).
    pub due_before: Option<Timestamp>,
    pub topics: Vec<String>,
    pub roles: Vec<&'static str>,
    pub stages: Vec<&'static str>,
    pub company_keys: Vec<String>,
    /// No contact at or after this instant (the start of the `last_contact_before` day).
    pub no_contact_since: Option<Timestamp>,
    pub min_events: Option<u32>,
    pub events: Vec<String>,
}

impl Segment {
    /// Tidies the values (trimmed, lower-case keys, no repeats) and lists every problem.
    pub fn checked(mut self) -> Result<Segment, Vec<String>> {
        let mut errors = Vec::new();
        let tidy = |list: &mut Vec<String>, lower: bool| {
            let mut out: Vec<String> = Vec::new();
            for v in list.drain(..) {
                let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
                let v = if lower { v.to_lowercase() } else { v };
                if !v.is_empty() && !out.contains(&v) {
                    out.push(v);
                }
            }
            *list = out;
        };
        tidy(&mut self.tags, true);
        tidy(&mut self.topics, true);
        tidy(&mut self.companies, false);
        tidy(&mut self.events, true);
        unique(&mut self.roles);
        unique(&mut self.stages);
        for (what, list) in [
            ("tags", &self.tags),
            ("topics", &self.topics),
            ("companies", &self.companies),
            ("events", &self.events),
        ] {
            if list.len() > MAX_VALUES {
                errors.push(format!("{what}: at most {MAX_VALUES} values"));
            }
        }
        for t in &self.tags {
            if t.len() > 40 {
                errors.push(format!("tags: '{t}' is longer than 40 characters"));
            }
        }
        for (what, list) in [("topics", &self.topics), ("events", &self.events)] {
            for v in list {
                if let Err(e) = Slug::parse(v) {
                    errors.push(format!("{what}: '{v}' {e}"));
                }
            }
        }
        for c in &self.companies {
            if company_key(c).is_none() {
                errors.push(format!("companies: '{c}' names no company"));
            }
        }
        if let Some(n) = self.min_events
            && !(1..=MAX_EVENTS).contains(&n)
        {
            errors.push(format!("min_events: {n} is not between 1 and {MAX_EVENTS}"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// Whether nothing narrows the segment: the whole pool.
    pub fn is_everyone(&self) -> bool {
        *self == Segment::default()
    }

    /// The values the store filters on; days are read in `tz`.
    pub fn query(&self, tz: &TimeZone) -> SegmentQuery {
        let start_of = |d: Date| d.to_zoned(tz.clone()).map(|z| z.timestamp()).ok();
        SegmentQuery {
            tags: self.tags.clone(),
            due_before: self
                .due_by
                .and_then(|d| d.tomorrow().ok())
                .and_then(start_of),
            topics: self.topics.clone(),
            roles: self.roles.iter().map(|r| r.key()).collect(),
            stages: self.stages.iter().map(|s| s.key()).collect(),
            company_keys: self
                .companies
                .iter()
                .filter_map(|c| company_key(c))
                .collect(),
            no_contact_since: self.last_contact_before.and_then(start_of),
            min_events: self.min_events,
            events: self.events.clone(),
        }
    }

    /// The segment in plain words, one line per criterion; "everyone in the pool" when
    /// nothing narrows it. `name` gives the name of a topic or event slug.
    pub fn in_words(&self, name: impl Fn(&str) -> String) -> Vec<String> {
        let list = |v: &[String]| v.join(" or ");
        let names = |v: &[String]| v.iter().map(|s| name(s)).collect::<Vec<_>>().join(" or ");
        let mut lines = Vec::new();
        if !self.tags.is_empty() {
            lines.push(format!("tagged {}", list(&self.tags)));
        }
        if let Some(d) = self.due_by {
            lines.push(format!("next action due by {}", d.strftime("%-d %b %Y")));
        }
        if !self.topics.is_empty() {
            lines.push(format!("top topic {} at any event", names(&self.topics)));
        }
        if !self.roles.is_empty() {
            let v: Vec<String> = self
                .roles
                .iter()
                .map(|r| r.key().replace('_', " "))
                .collect();
            lines.push(format!("decision role {}", list(&v)));
        }
        if !self.stages.is_empty() {
            let v: Vec<String> = self
                .stages
                .iter()
                .map(|s| s.key().replace('_', " "))
                .collect();
            lines.push(format!("purchase stage {}", list(&v)));
        }
        if !self.companies.is_empty() {
            lines.push(format!("at company {}", list(&self.companies)));
        }
        if let Some(d) = self.last_contact_before {
            lines.push(format!("not contacted since {}", d.strftime("%-d %b %Y")));
        }
        if let Some(n) = self.min_events {
            lines.push(format!(
                "came to at least {n} event{}",
                if n == 1 { "" } else { "s" }
            ));
        }
        if !self.events.is_empty() {
            lines.push(format!("came to {}", names(&self.events)));
        }
        if lines.is_empty() {
            lines.push("everyone in the data pool".into());
        }
        lines
    }
}

/// Keeps the first of each value, in order.
fn unique<T: PartialEq + Copy>(list: &mut Vec<T>) {
    let mut seen = Vec::with_capacity(list.len());
    list.retain(|v| {
        let new = !seen.contains(v);
        if new {
            seen.push(*v);
        }
        new
    });
}

/// The data pool's key of a company as staff type it: a domain (`acme.com`) or a name.
pub fn company_key(typed: &str) -> Option<String> {
    let t = typed.trim();
    let looks_like_domain = t.contains('.') && !t.contains(char::is_whitespace) && !t.contains('@');
    if looks_like_domain {
        let d = t.trim_end_matches('.').to_ascii_lowercase();
        return Some(format!("domain:{d}"));
    }
    let name = pool::normalised_name(t);
    (!name.is_empty()).then(|| format!("name:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_segment_is_the_whole_pool() {
        let s = Segment::default().checked().unwrap();
        assert!(s.is_everyone());
        assert_eq!(s.in_words(str::to_owned), vec!["everyone in the data pool"]);
        assert_eq!(s.query(&TimeZone::UTC), SegmentQuery::default());
    }

    #[test]
    fn values_are_tidied_and_bad_ones_listed_together() {
        let s = Segment {
            tags: vec![" Nurture ".into(), "nurture".into(), "".into()],
            topics: vec!["AI".into()],
            ..Segment::default()
        }
        .checked()
        .unwrap();
        assert_eq!(s.tags, vec!["nurture"]);
        assert_eq!(s.topics, vec!["ai"]);

        let errors = Segment {
            topics: vec!["not a slug!".into()],
            min_events: Some(0),
            companies: vec!["GmbH".into()],
            ..Segment::default()
        }
        .checked()
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("topics: 'not a slug!'"), "{errors:?}");
        assert!(errors[1].contains("'GmbH' names no company"), "{errors:?}");
        assert!(errors[2].contains("min_events: 0"), "{errors:?}");
    }

    #[test]
    fn a_criterion_lists_at_most_200_values() {
        let many = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        let ok = Segment {
            topics: many(200),
            ..Segment::default()
        };
        assert!(ok.checked().is_ok());
        let errors = Segment {
            topics: many(201),
            tags: vec!["x".repeat(41)],
            ..Segment::default()
        }
        .checked()
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e == "topics: at most 200 values"),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("longer than 40")),
            "{errors:?}"
        );
    }

    #[test]
    fn companies_are_found_by_domain_or_by_normalised_name() {
        assert_eq!(company_key("Acme.COM").as_deref(), Some("domain:acme.com"));
        assert_eq!(company_key("ACME GmbH.").as_deref(), Some("name:acme"));
        assert_eq!(company_key("  "), None);
    }

    #[test]
    fn days_are_read_in_the_event_time_zone() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let s = Segment {
            due_by: Some(jiff::civil::date(2027, 3, 1)),
            last_contact_before: Some(jiff::civil::date(2026, 11, 1)),
            roles: vec![DecisionRole::DecisionMaker],
            ..Segment::default()
        };
        let q = s.query(&tz);
        // The end of 1 March in Berlin (UTC+1) is 23:00 UTC that day.
        assert_eq!(q.due_before, Some("2027-03-01T23:00:00Z".parse().unwrap()));
        assert_eq!(
            q.no_contact_since,
            Some("2026-10-31T23:00:00Z".parse().unwrap())
        );
        assert_eq!(q.roles, vec!["decision_maker"]);
        assert_eq!(
            s.in_words(str::to_owned),
            vec![
                "next action due by 1 Mar 2027",
                "decision role decision maker",
                "not contacted since 1 Nov 2026"
            ]
        );
    }

    #[test]
    fn a_segment_reads_back_what_it_wrote() {
        let s = Segment {
            tags: vec!["nurture".into()],
            stages: vec![PurchaseStage::LookForSuppliers],
            min_events: Some(2),
            ..Segment::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"tags":["nurture"],"stages":["look_for_suppliers"],"min_events":2}"#
        );
        assert_eq!(serde_json::from_str::<Segment>(&json).unwrap(), s);
        assert!(serde_json::from_str::<Segment>(r#"{"colour":"red"}"#).is_err());
    }
}
