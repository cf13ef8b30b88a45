//! The rules and weights of lead scoring, with the documented defaults (`docs/scoring.md`).
//!
//! An event's scoring file (TOML, `formats::scoring_file`) overrides any of them; whatever
//! it leaves out keeps the default below. `check` refuses values that would make scores
//! meaningless (negative weights, thresholds outside 0-100).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// All scoring rules of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadRules {
    pub interest: InterestRules,
    pub fit: FitRules,
    pub engagement: EngagementRules,
    /// Points (0-100) per purchase-stage key.
    pub stage: BTreeMap<String, f64>,
    pub score: ScoreWeights,
    pub tiers: TierThresholds,
    pub exclude: ExcludeRules,
}

/// How trails become topic interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InterestRules {
    /// Weight per session kind (keynote, talk, workshop, panel, other).
    pub kind_weight: BTreeMap<String, f64>,
    /// Presence below this many minutes in a session counts as passing through.
    pub min_minutes: u32,
    /// Staying this share of a session counts as a full stay; shorter stays count less and
    /// less (a few minutes' peek almost nothing).
    pub full_stay_share: f64,
    /// Where a topic ticked at registration starts on the preference scale (others start at
    /// 0): the prior that the trail confirms or overrides.
    pub declared_prior: f64,
    /// How strongly preferences are held to that prior; smaller lets fewer choices move them.
    pub prior_strength: f64,
    /// The preference that gives a score of 63 (1 - 1/e); scores approach 100 beyond.
    pub score_scale: f64,
    /// Added to a topic's preference, times the odds that it is the person's main topic
    /// (0 leaves the main topic out).
    pub main_weight: f64,
    /// How much a person's main topic outweighs a lesser interest when they choose.
    pub main_focus: f64,
    /// How much likelier a ticked topic is to be the main one, before the trail (1: the
    /// form says nothing about the main topic).
    pub main_ticked_odds: f64,
}

/// Fit: who the person is in the buying decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitRules {
    /// Points per decision-role key.
    pub role: BTreeMap<String, f64>,
    /// Seniority read from the job title: the first level with a matching word wins.
    pub seniority: Vec<SeniorityLevel>,
    /// Points when no seniority word matches.
    pub seniority_default: f64,
    /// Points per company-size key.
    pub company_size: BTreeMap<String, f64>,
    /// Industries the event targets, and the points for being in one or not.
    pub target_industries: Vec<String>,
    pub target_industry_points: f64,
    pub other_industry_points: f64,
    /// Companies on the target-account list (matched without case), and their points.
    pub target_accounts: Vec<String>,
    pub target_account_points: f64,
}

/// One seniority level: any of `words` in the job title (whole words, any case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeniorityLevel {
    pub name: String,
    pub words: Vec<String>,
    pub points: f64,
}

/// Engagement: how strongly the person showed interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngagementRules {
    /// Share of the top topic's score that counts (0-1).
    pub top_topic_share: f64,
    /// Points for sessions attended, reached at `full_sessions`.
    pub session_points: f64,
    pub full_sessions: u32,
    /// Points for minutes present, reached at `full_minutes`.
    pub minute_points: f64,
    pub full_minutes: u32,
    /// Points for opening and for clicking a follow-up email.
    pub email_open_points: f64,
    pub email_click_points: f64,
}

/// How the three axes add up to the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    pub fit: f64,
    pub engagement: f64,
    pub stage: f64,
}

/// The least each axis and the score must reach for tiers A and B; the rest is C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierThresholds {
    pub a: Threshold,
    pub b: Threshold,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Threshold {
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    pub stage: f64,
}

/// Who is excluded (tier X) whatever their scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExcludeRules {
    /// Email domains of the organiser's own staff.
    pub staff_domains: Vec<String>,
    /// Competitors, by company name (any case) and by email domain.
    pub competitors: Vec<String>,
    pub competitor_domains: Vec<String>,
    /// Words in a job title that mark a student.
    pub student_words: Vec<String>,
    /// Speakers of the event's sessions are excluded.
    pub speakers: bool,
    /// Attendees without any session visit are excluded.
    pub no_shows: bool,
    /// Further rules of the event.
    pub rules: Vec<ExcludeRule>,
}

/// Excludes attendees whose `field` contains `contains` (any case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeRule {
    /// `email`, `company`, `job_title`, `country` or `industry`.
    pub field: String,
    pub contains: String,
    pub reason: String,
}

pub const EXCLUDE_FIELDS: [&str; 5] = ["email", "company", "job_title", "country", "industry"];

fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

impl Default for LeadRules {
    fn default() -> Self {
        LeadRules {
            interest: InterestRules::default(),
            fit: FitRules::default(),
            engagement: EngagementRules::default(),
            stage: map(&[
                ("recognise_problem", 60.0),
                ("analyse_need", 70.0),
                ("settle_specification", 90.0),
                ("look_for_suppliers", 100.0),
                ("call_for_proposals", 100.0),
                ("choose_supplier", 70.0),
                ("implementing", 30.0),
                ("evaluating", 45.0),
                ("just_learning", 15.0),
            ]),
            score: ScoreWeights::default(),
            tiers: TierThresholds::default(),
            exclude: ExcludeRules::default(),
        }
    }
}

impl Default for InterestRules {
    fn default() -> Self {
        InterestRules {
            kind_weight: map(&[
                ("keynote", 0.5),
                ("talk", 1.0),
                ("panel", 0.8),
                ("workshop", 1.6),
                ("other", 0.6),
            ]),
            min_minutes: 5,
            full_stay_share: 0.75,
            declared_prior: 1.0,
            prior_strength: 0.3,
            score_scale: 3.0,
            main_weight: 1.0,
            main_focus: 3.0,
            main_ticked_odds: 2.0,
        }
    }
}

impl Default for FitRules {
    fn default() -> Self {
        let level = |name: &str, w: &[&str], points: f64| SeniorityLevel {
            name: name.into(),
            words: words(w),
            points,
        };
        FitRules {
            role: map(&[
                ("decision_maker", 35.0),
                ("initiator", 28.0),
                ("influencer", 24.0),
                ("buyer", 22.0),
                ("user", 14.0),
                ("auditor", 10.0),
                ("other", 4.0),
            ]),
            seniority: vec![
                level(
                    "C-level or founder",
                    &[
                        "chief",
                        "ceo",
                        "cto",
                        "cio",
                        "cfo",
                        "coo",
                        "ciso",
                        "cdo",
                        "founder",
                        "co-founder",
                        "owner",
                        "president",
                        "partner",
                    ],
                    25.0,
                ),
                level("vice president", &["vp", "svp", "evp", "vice"], 22.0),
                level("director or head", &["director", "head"], 18.0),
                level(
                    "manager or lead",
                    &["manager", "lead", "principal", "architect"],
                    12.0,
                ),
                level("senior", &["senior", "sr", "staff"], 8.0),
            ],
            seniority_default: 4.0,
            company_size: map(&[
                ("1_10", 2.0),
                ("11_50", 6.0),
                ("51_200", 10.0),
                ("201_1000", 14.0),
                ("1001_5000", 18.0),
                ("5000_plus", 20.0),
            ]),
            target_industries: words(&[
                "software", "finance", "retail", "media", "gaming", "telecom",
            ]),
            target_industry_points: 10.0,
            other_industry_points: 4.0,
            target_accounts: Vec::new(),
            target_account_points: 15.0,
        }
    }
}

impl Default for EngagementRules {
    fn default() -> Self {
        EngagementRules {
            top_topic_share: 0.6,
            session_points: 20.0,
            full_sessions: 8,
            minute_points: 15.0,
            full_minutes: 360,
            email_open_points: 2.0,
            email_click_points: 3.0,
        }
    }
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            fit: 0.4,
            engagement: 0.4,
            stage: 0.2,
        }
    }
}

impl Default for TierThresholds {
    fn default() -> Self {
        TierThresholds {
            a: Threshold {
                score: 70.0,
                fit: 50.0,
                engagement: 40.0,
                stage: 60.0,
            },
            b: Threshold {
                score: 50.0,
                fit: 0.0,
                engagement: 20.0,
                stage: 0.0,
            },
        }
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            score: 0.0,
            fit: 0.0,
            engagement: 0.0,
            stage: 0.0,
        }
    }
}

impl Default for ExcludeRules {
    fn default() -> Self {
        ExcludeRules {
            staff_domains: Vec::new(),
            competitors: Vec::new(),
            competitor_domains: Vec::new(),
            student_words: words(&["student", "intern", "trainee", "apprentice", "phd"]),
            speakers: true,
            no_shows: true,
            rules: Vec::new(),
        }
    }
}

impl LeadRules {
    /// Every value that would make scores meaningless, in words.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut non_negative = |what: String, v: f64| {
            if !v.is_finite() || v < 0.0 {
                problems.push(format!("{what} must be a number of zero or more, not {v}"));
            }
        };
        for (k, v) in &self.interest.kind_weight {
            non_negative(format!("interest.kind_weight.{k}"), *v);
        }
        non_negative(
            "interest.declared_prior".into(),
            self.interest.declared_prior,
        );
        non_negative("interest.main_weight".into(), self.interest.main_weight);
        non_negative("interest.main_focus".into(), self.interest.main_focus);
        for (k, v) in self
            .fit
            .role
            .iter()
            .chain(&self.fit.company_size)
            .chain(&self.stage)
        {
            non_negative(format!("points for '{k}'"), *v);
        }
        for l in &self.fit.seniority {
            non_negative(format!("fit.seniority '{}'", l.name), l.points);
        }
        let w = &self.score;
        for (name, v) in [
            ("score.fit", w.fit),
            ("score.engagement", w.engagement),
            ("score.stage", w.stage),
        ] {
            non_negative(name.into(), v);
        }
        if !(self.interest.full_stay_share > 0.0 && self.interest.full_stay_share <= 1.0) {
            problems.push("interest.full_stay_share must be above 0 and at most 1".into());
        }
        if self.interest.prior_strength.is_nan() || self.interest.prior_strength <= 0.0 {
            problems.push("interest.prior_strength must be above 0".into());
        }
        if self.interest.score_scale.is_nan() || self.interest.score_scale <= 0.0 {
            problems.push("interest.score_scale must be above 0".into());
        }
        if (w.fit + w.engagement + w.stage).is_nan() || w.fit + w.engagement + w.stage <= 0.0 {
            problems.push("the score weights must not all be zero".into());
        }
        if !(0.0..=1.0).contains(&self.engagement.top_topic_share) {
            problems.push("engagement.top_topic_share must be between 0 and 1".into());
        }
        for (tier, t) in [("a", &self.tiers.a), ("b", &self.tiers.b)] {
            for (axis, v) in [
                ("score", t.score),
                ("fit", t.fit),
                ("engagement", t.engagement),
                ("stage", t.stage),
            ] {
                if !(0.0..=100.0).contains(&v) {
                    problems.push(format!(
                        "tiers.{tier}.{axis} must be between 0 and 100, not {v}"
                    ));
                }
            }
        }
        for r in &self.exclude.rules {
            if !EXCLUDE_FIELDS.contains(&r.field.as_str()) {
                problems.push(format!(
                    "exclude.rules: unknown field '{}' (one of {})",
                    r.field,
                    EXCLUDE_FIELDS.join(", ")
                ));
            }
            if r.contains.trim().is_empty() {
                problems.push("exclude.rules: 'contains' must not be empty".into());
            }
        }
        let odds = self.interest.main_ticked_odds;
        if !odds.is_finite() || odds <= 0.0 {
            problems.push(format!(
                "interest.main_ticked_odds must be a number above zero, not {odds}"
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_their_own_checks() {
        assert_eq!(LeadRules::default().check(), Vec::<String>::new());
    }

    #[test]
    fn nonsense_values_are_named() {
        let mut r = LeadRules::default();
        r.interest.full_stay_share = 1.5;
        r.tiers.a.score = 130.0;
        r.fit.role.insert("buyer".into(), -1.0);
        r.interest.main_ticked_odds = 0.0;
        r.interest.main_weight = f64::NAN;
        let problems = r.check();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("main_ticked_odds")));
        assert!(problems.iter().any(|p| p.contains("main_weight")));
        assert!(problems.iter().any(|p| p.contains("full_stay_share")));
        assert!(problems.iter().any(|p| p.contains("tiers.a.score")));
        assert!(problems.iter().any(|p| p.contains("'buyer'")));
    }
}
