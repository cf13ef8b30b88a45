//! Routing: which sales owner follows a lead up, and by when they must record feedback.
//!
//! A rule matches when every list it gives contains the lead's value (lists left out match
//! anything); the rule naming the most lists wins, the earlier one on a tie; no match goes
//! to the fallback owner. The deadline counts working days (Monday to Friday, minus the
//! file's holidays) in the event's time zone, keeping the time of day.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan, civil::Date, civil::Weekday, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::domain::leads::package::Tier;

/// An event's routing file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    /// Who gets a lead no rule matches.
    pub fallback: String,
    #[serde(default = "default_days")]
    pub deadline_working_days: u32,
    /// Working days after a missed deadline (no outcome) before it is escalated.
    #[serde(default = "default_escalation_days")]
    pub escalate_after_working_days: u32,
    /// Who is told when a missed deadline is escalated (a login name); nobody when left out.
    #[serde(default)]
    pub manager: Option<String>,
    /// At escalation, the lead goes to the fallback owner with a fresh deadline.
    #[serde(default)]
    pub reassign_to_fallback: bool,
    /// All routed leads of a company go to one owner (`domain::leads::account_routing`).
    #[serde(default)]
    pub by_account: bool,
    /// Tiers that are routed to sales; the others stay with marketing.
    #[serde(default = "default_tiers")]
    pub tiers: Vec<Tier>,
    #[serde(default)]
    pub holidays: Vec<Date>,
    /// Region name -> countries, as registered.
    #[serde(default)]
    pub regions: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RouteRule>,
}

fn default_days() -> u32 {
    5
}

fn default_escalation_days() -> u32 {
    2
}

fn default_tiers() -> Vec<Tier> {
    vec![Tier::A, Tier::B]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub owner: String,
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub country: Vec<String>,
    #[serde(default)]
    pub industry: Vec<String>,
    #[serde(default)]
    pub topic: Vec<String>,
}

/// What routing looks at.
#[derive(Debug, Clone, Copy)]
pub struct RouteKey<'a> {
    pub country: &'a str,
    pub industry: &'a str,
    pub top_topic: Option<&'a str>,
}

fn has(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|v| v.trim().eq_ignore_ascii_case(value.trim()))
}

impl RoutingRules {
    pub fn routes(&self, tier: Tier) -> bool {
        self.tiers.contains(&tier)
    }

    fn region_of(&self, country: &str) -> Vec<&str> {
        self.regions
            .iter()
            .filter(|(_, countries)| has(countries, country))
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// The owner and the rule that chose them, in words.
    pub fn route(&self, key: RouteKey<'_>) -> (String, String) {
        let regions = self.region_of(key.country);
        let mut best: Option<(usize, &RouteRule)> = None;
        for rule in &self.rules {
            let region_ok = rule.region.is_empty() || regions.iter().any(|r| has(&rule.region, r));
            let country_ok = rule.country.is_empty() || has(&rule.country, key.country);
            let industry_ok = rule.industry.is_empty() || has(&rule.industry, key.industry);
            let topic_ok =
                rule.topic.is_empty() || key.top_topic.is_some_and(|t| has(&rule.topic, t));
            if !(region_ok && country_ok && industry_ok && topic_ok) {
                continue;
            }
            let named = [&rule.region, &rule.country, &rule.industry, &rule.topic]
                .iter()
                .filter(|l| !l.is_empty())
                .count();
            if best.is_none_or(|(n, _)| named > n) {
                best = Some((named, rule));
            }
        }
        match best {
            Some((_, rule)) => {
                let mut parts = Vec::new();
                if !rule.region.is_empty() {
                    parts.push(format!("region {}", regions.join("/")));
                }
                if !rule.country.is_empty() {
                    parts.push(format!("country {}", key.country));
                }
                if !rule.industry.is_empty() {
                    parts.push(format!("industry {}", key.industry));
                }
                if !rule.topic.is_empty() {
                    parts.push(format!("topic {}", key.top_topic.unwrap_or_default()));
                }
                let why = if parts.is_empty() {
                    "a rule for everyone".to_owned()
                } else {
                    parts.join(", ")
                };
                (rule.owner.clone(), why)
            }
            None => (
                self.fallback.clone(),
                "no rule matched: fallback owner".into(),
            ),
        }
    }

    /// Every account the file names, fallback first (then the manager, then rule owners).
    pub fn owners(&self) -> Vec<&str> {
        let mut out = vec![self.fallback.as_str()];
        let named = self
            .manager
            .iter()
            .chain(self.rules.iter().map(|r| &r.owner));
        for name in named {
            if !out.contains(&name.as_str()) {
                out.push(name);
            }
        }
        out
    }

    /// The feedback deadline for a lead routed at `from`.
    pub fn deadline(&self, from: Timestamp, tz: &TimeZone) -> Timestamp {
        self.working_days_after(from, self.deadline_working_days, tz)
    }

    /// When a deadline `due` missed without an outcome is escalated.
    pub fn escalation_at(&self, due: Timestamp, tz: &TimeZone) -> Timestamp {
        self.working_days_after(due, self.escalate_after_working_days, tz)
    }

    /// `days` working days after `from`, at the same time of day in `tz`.
    fn working_days_after(&self, from: Timestamp, days: u32, tz: &TimeZone) -> Timestamp {
        let start = from.to_zoned(tz.clone());
        let mut day = start.date();
        let mut left = days;
        while left > 0 {
            day = day.checked_add(1.day()).unwrap_or(day);
            let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend && !self.holidays.contains(&day) {
                left -= 1;
            }
        }
        day.to_datetime(start.time())
            .to_zoned(tz.clone())
            .map_or(from, |z| z.timestamp())
    }

    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.fallback.trim().is_empty() {
            problems.push("fallback: an owner is needed for leads no rule matches".into());
        }
        for (i, r) in self.rules.iter().enumerate() {
            if r.owner.trim().is_empty() {
                problems.push(format!("rule {}: owner is empty", i + 1));
            }
            for region in &r.region {
                if !self.regions.keys().any(|k| k.eq_ignore_ascii_case(region)) {
                    problems.push(format!(
                        "rule {}: region '{region}' is not defined under [regions]",
                        i + 1
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RoutingRules {
        toml::from_str(
            r#"
            fallback = "sam"
            holidays = ["2026-12-25"]
            [regions]
            dach = ["Germany", "Austria", "Switzerland"]
            [[rule]]
            owner = "dora"
            region = ["dach"]
            [[rule]]
            owner = "fin"
            region = ["dach"]
            industry = ["finance"]
            [[rule]]
            owner = "vic"
            topic = ["video"]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn the_most_specific_rule_wins_and_the_rest_falls_back() {
        let r = rules();
        assert_eq!(r.check(), Vec::<String>::new());
        let key = |country, industry, topic| RouteKey {
            country,
            industry,
            top_topic: topic,
        };
        assert_eq!(r.route(key("Germany", "finance", None)).0, "fin");
        assert_eq!(r.route(key("austria", "retail", None)).0, "dora");
        assert_eq!(r.route(key("France", "retail", Some("video"))).0, "vic");
        let (owner, why) = r.route(key("France", "retail", Some("ai")));
        assert_eq!(
            (owner.as_str(), why.as_str()),
            ("sam", "no rule matched: fallback owner")
        );
        assert_eq!(
            r.route(key("Germany", "finance", None)).1,
            "region dach, industry finance"
        );
        assert_eq!(r.owners(), ["sam", "dora", "fin", "vic"]);
        assert!(r.routes(Tier::A) && r.routes(Tier::B) && !r.routes(Tier::C));
    }

    #[test]
    fn deadlines_skip_weekends_and_holidays() {
        let r = rules();
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        // Monday 2026-12-21 10:00 Berlin: Tue, Wed, Thu, (Fri 25th is a holiday) Mon, Tue.
        let from: Timestamp = "2026-12-21T09:00:00Z".parse().unwrap();
        let due = r.deadline(from, &tz);
        assert_eq!(due.to_string(), "2026-12-29T09:00:00Z");
        // Friday -> next Friday.
        let fri: Timestamp = "2026-12-04T15:30:00Z".parse().unwrap();
        assert_eq!(r.deadline(fri, &tz).to_string(), "2026-12-11T15:30:00Z");
    }

    #[test]
    fn undefined_regions_and_missing_fallback_are_reported() {
        let r: RoutingRules =
            toml::from_str("fallback = ''\n[[rule]]\nowner = 'x'\nregion = ['mars']\n").unwrap();
        assert_eq!(r.check().len(), 2);
    }
}
