//! Watch rules: whom sales want to hear about while the person is still in the building.
//! A rule names target accounts, tiers, decision roles and topics (every criterion given
//! must hold; any value of a list will do) and when it fires: the person enters a session, or
//! their lead becomes tier A. What fires is pure: the live worker (`leads::live`) asks
//! `fired` with the person's updated lead and the moment, and claims each alert in the store
//! so that a rule tells about a person at most once per window.

use serde::{Deserialize, Serialize};

use crate::domain::{attendee::DecisionRole, leads::package::Tier};

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// An accepted entry scan at a session door.
    Enters,
    /// The live lead is tier A and was not before.
    TierA,
}

impl Trigger {
    pub fn key(self) -> &'static str {
        match self {
            Trigger::Enters => "enters",
            Trigger::TierA => "tier_a",
        }
    }

    pub fn parse(raw: &str) -> Option<Trigger> {
        match raw {
            "enters" => Some(Trigger::Enters),
            "tier_a" => Some(Trigger::TierA),
            _ => None,
        }
    }
}

/// The watch file of an event (docs/formats.md, "Watch rules").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchRules {
    /// A rule tells about one person at most once in this many minutes.
    pub window_minutes: u32,
    /// An entry scan older than this (a kiosk that was offline delivering late) is no
    /// longer news: it updates the lead but alerts nobody.
    pub fresh_minutes: u32,
    #[serde(rename = "watch")]
    pub rules: Vec<WatchRule>,
}

impl Default for WatchRules {
    fn default() -> Self {
        WatchRules {
            window_minutes: 60,
            fresh_minutes: 15,
            rules: Vec::new(),
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchRule {
    /// Unique within the file; alerts and their windows are kept per rule name.
    pub name: String,
    /// Both triggers when left out.
    #[serde(default = "both_triggers")]
    pub when: Vec<Trigger>,
    /// Company names or email domains ("acme.com"), compared without case.
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub tiers: Vec<Tier>,
    #[serde(default)]
    pub roles: Vec<DecisionRole>,
    /// Topic slugs: one of them must be among the person's two strongest topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Login names told besides the lead's owner; only they when the lead has no owner.
    #[serde(default)]
    pub notify: Vec<String>,
    /// Overrides the file's window for this rule.
    #[serde(default)]
    pub window_minutes: Option<u32>,
}

fn both_triggers() -> Vec<Trigger> {
    vec![Trigger::Enters, Trigger::TierA]
}

/// The longest window a rule may ask for: a week.
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;
/// Rules in one file, and values in one list: enough for any event, and a bound on the cost
/// of checking every accepted scan against them.
pub const MAX_RULES: usize = 100;
pub const MAX_VALUES: usize = 500;

impl WatchRules {
    /// What is wrong with the rules, in words; `topics` are the event's topic slugs and
    /// `owners` the login names that may own leads.
    pub fn check(&self, topics: &[&str], owners: &[&str]) -> Vec<String> {
        let mut problems = Vec::new();
        if self.rules.len() > MAX_RULES {
            problems.push(format!("at most {MAX_RULES} rules"));
        }
        if self.window_minutes == 0 || self.window_minutes > MAX_WINDOW_MINUTES {
            problems.push(format!(
                "window_minutes must be between 1 and {MAX_WINDOW_MINUTES}"
            ));
        }
        if self.fresh_minutes == 0 || self.fresh_minutes > MAX_WINDOW_MINUTES {
            problems.push(format!(
                "fresh_minutes must be between 1 and {MAX_WINDOW_MINUTES}"
            ));
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.rules {
            let name = r.name.trim();
            if name.is_empty() || name.chars().count() > 80 {
                problems.push("every rule needs a name of 1 to 80 characters".into());
            } else if !names.insert(name.to_lowercase()) {
                problems.push(format!("two rules are called '{name}'"));
            }
            if r.when.is_empty() {
                problems.push(format!("rule '{name}': `when` lists no trigger"));
            }
            let longest = [
                r.accounts.len(),
                r.tiers.len(),
                r.roles.len(),
                r.topics.len(),
                r.notify.len(),
            ];
            if longest.iter().any(|n| *n > MAX_VALUES) {
                problems.push(format!("rule '{name}': at most {MAX_VALUES} values a list"));
            }
            for t in &r.topics {
                if !topics.contains(&t.as_str()) {
                    problems.push(format!("rule '{name}': no topic '{t}' at this event"));
                }
            }
            for o in &r.notify {
                if !owners.contains(&o.as_str()) {
                    problems.push(format!(
                        "rule '{name}': '{o}' is not an enabled sales, marketer or admin account"
                    ));
                }
            }
            if r.window_minutes
                .is_some_and(|w| w == 0 || w > MAX_WINDOW_MINUTES)
            {
                problems.push(format!(
                    "rule '{name}': window_minutes must be between 1 and {MAX_WINDOW_MINUTES}"
                ));
            }
        }
        problems
    }

    /// The window of a rule, in minutes.
    pub fn window_of(&self, rule: &WatchRule) -> u32 {
        rule.window_minutes.unwrap_or(self.window_minutes)
    }
}

/// What the rules look at of a person, from their live lead.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'a> {
    pub tier: Tier,
    /// The tier before this update (the live one, else the last build's), if any.
    pub tier_before: Option<Tier>,
    pub role: Option<DecisionRole>,
    pub company: &'a str,
    pub email: &'a str,
    /// Topics (slug, name), strongest first.
    pub topics: &'a [(&'a str, &'a str)],
}

/// One rule that fired for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub rule: String,
    pub trigger: Trigger,
    /// Why, in words, without the person's name (the page adds it from the record).
    pub reason: String,
}

/// The rules that fire for a person: `entered` is the session title of a fresh entry scan
/// in this update, if any.
pub fn fired(rules: &WatchRules, who: &Watched<'_>, entered: Option<&str>) -> Vec<Fired> {
    let became_a = who.tier == Tier::A && who.tier_before != Some(Tier::A);
    let mut out = Vec::new();
    for rule in &rules.rules {
        let Some(why) = matches(rule, who) else {
            continue;
        };
        let trigger = if became_a && rule.when.contains(&Trigger::TierA) {
            Trigger::TierA
        } else if entered.is_some() && rule.when.contains(&Trigger::Enters) {
            Trigger::Enters
        } else {
            continue;
        };
        let what = match (trigger, entered) {
            (Trigger::TierA, _) => "became tier A".to_owned(),
            (Trigger::Enters, Some(title)) => format!("entered \"{title}\""),
            (Trigger::Enters, None) => "entered a session".to_owned(),
        };
        let reason = if why.is_empty() {
            format!("{what} (watched: {})", rule.name.trim())
        } else {
            format!("{what}; {} (watched: {})", why.join("; "), rule.name.trim())
        };
        out.push(Fired {
            rule: rule.name.trim().to_owned(),
            trigger,
            reason,
        });
    }
    out
}

/// The criteria of a rule the person meets, in words, or `None` when one fails.
fn matches(rule: &WatchRule, who: &Watched<'_>) -> Option<Vec<String>> {
    let mut why = Vec::new();
    if !rule.accounts.is_empty() {
        let domain = who
            .email
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_lowercase())
            .unwrap_or_default();
        let company = who.company.trim().to_lowercase();
        let hit = rule.accounts.iter().find(|a| {
            let a = a.trim().to_lowercase();
            !a.is_empty() && (a == domain || a == company)
        })?;
        why.push(format!("target account {}", hit.trim()));
    }
    if !rule.tiers.is_empty() {
        if !rule.tiers.contains(&who.tier) {
            return None;
        }
        why.push(format!("tier {}", who.tier.as_str()));
    }
    if !rule.roles.is_empty() {
        let role = who.role?;
        if !rule.roles.contains(&role) {
            return None;
        }
        why.push(format!("role: {}", role.key().replace('_', " ")));
    }
    if !rule.topics.is_empty() {
        let (_, name) = who
            .topics
            .iter()
            .take(2)
            .find(|(slug, _)| rule.topics.iter().any(|r| r == slug))?;
        why.push(format!("interested in {name}"));
    }
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> WatchRules {
        toml::from_str(text).unwrap()
    }

    fn ada<'a>(topics: &'a [(&'a str, &'a str)]) -> Watched<'a> {
        Watched {
            tier: Tier::B,
            tier_before: Some(Tier::B),
            role: Some(DecisionRole::DecisionMaker),
            company: "Acme Corp",
            email: "ada@acme.example",
            topics,
        }
    }

    #[test]
    fn every_criterion_given_must_hold_and_any_value_of_a_list_will_do() {
        let r = rules(
            r#"
            [[watch]]
            name = "acme"
            accounts = ["other.example", "ACME.example"]
            roles = ["buyer", "decision_maker"]
            topics = ["video", "ai"]
            "#,
        );
        let topics = [("ai", "AI"), ("security", "Security")];
        let fired = fired(&r, &ada(&topics), Some("Video at scale"));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].trigger, Trigger::Enters);
        assert_eq!(
            fired[0].reason,
            "entered \"Video at scale\"; target account ACME.example; role: decision maker; interested in AI (watched: acme)"
        );
        // A topic that is only third strongest does not count.
        let weak = [("security", "Security"), ("cloud", "Cloud"), ("ai", "AI")];
        assert!(super::fired(&r, &ada(&weak), Some("x")).is_empty());
        // Matched by company name as well as by domain.
        let by_name = rules("[[watch]]\nname = 'n'\naccounts = [' acme corp ']\n");
        assert_eq!(super::fired(&by_name, &ada(&topics), Some("x")).len(), 1);
        // A criterion that fails: nothing.
        let buyers = rules("[[watch]]\nname = 'b'\nroles = ['buyer']\n");
        assert!(super::fired(&buyers, &ada(&topics), Some("x")).is_empty());
    }

    #[test]
    fn tier_a_fires_only_on_the_change_to_a_and_entering_only_on_an_entry() {
        let r = rules("[[watch]]\nname = 'any A'\ntiers = ['A']\nwhen = ['tier_a']\n");
        let topics = [];
        let mut who = ada(&topics);
        who.tier = Tier::A;
        who.tier_before = Some(Tier::B);
        let f = fired(&r, &who, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].trigger, Trigger::TierA);
        assert_eq!(f[0].reason, "became tier A; tier A (watched: any A)");
        who.tier_before = Some(Tier::A);
        assert!(
            fired(&r, &who, Some("a talk")).is_empty(),
            "already A, and entering is not watched"
        );
        who.tier_before = None;
        assert_eq!(
            fired(&r, &who, None).len(),
            1,
            "a first live lead at tier A is news"
        );
        let entering = rules("[[watch]]\nname = 'e'\nwhen = ['enters']\n");
        assert!(fired(&entering, &who, None).is_empty());
        assert_eq!(
            fired(&entering, &who, Some("t"))[0].trigger,
            Trigger::Enters
        );
    }

    #[test]
    fn rules_are_checked_against_the_event_and_the_accounts() {
        let r = rules(
            r#"
            window_minutes = 0
            [[watch]]
            name = "x"
            topics = ["nope"]
            notify = ["ghost"]
            when = []
            [[watch]]
            name = "X"
            "#,
        );
        let problems = r.check(&["ai"], &["sally"]);
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("no topic 'nope'")));
        assert!(problems.iter().any(|p| p.contains("'ghost'")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("two rules are called 'X'"))
        );
        assert!(rules("").check(&[], &[]).is_empty());
        assert_eq!(rules("").window_minutes, 60);
    }

    #[test]
    fn unknown_keys_and_triggers_are_refused() {
        assert!(toml::from_str::<WatchRules>("[[watch]]\nname='a'\ncolour='red'\n").is_err());
        assert!(toml::from_str::<WatchRules>("[[watch]]\nname='a'\nwhen=['leaves']\n").is_err());
    }
}
