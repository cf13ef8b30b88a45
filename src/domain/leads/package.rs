//! The lead package: what sales receives about one attendee, and what they record back.
//!
//! The lead builder produces one `LeadPackage` per attendee (stored as JSON with the lead);
//! pages, exports and the webhook only read it. Feedback is a fixed list of outcomes.

use serde::{Deserialize, Serialize};

use crate::domain::{
    attendee::{DecisionRole, Industry, PurchaseStage},
    choice::{choice_enum, or_blank},
    leads::next_need::NextNeed,
};

choice_enum!(
    /// A, B, C or X; see DOMAIN.md and `docs/scoring.md`.
    #[derive(PartialOrd, Ord, utoipa::ToSchema)]
    Tier {
        /// Hand to sales now.
        A = "A": "A",
        /// Nurture plus telesales.
        B = "B": "B",
        /// Email nurture only.
        C = "C": "C",
        /// Excluded (competitor, student, staff, speaker, no-show, or a rule of the event).
        X = "X": "X",
    }
    unknown(raw) => format!("unknown tier '{raw}' (A, B, C or X)");
);

impl Tier {
    /// What the tier means for whoever follows it up.
    pub fn meaning(self) -> &'static str {
        match self {
            Tier::A => "hand to sales now",
            Tier::B => "nurture plus telesales",
            Tier::C => "email nurture only",
            Tier::X => "excluded",
        }
    }
}

/// The key contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub job_title: String,
    pub company: String,
    /// Decision-role key (`attendee::DecisionRole`), empty when not given.
    #[serde(with = "or_blank")]
    #[schema(value_type = String)]
    pub decision_role: Option<DecisionRole>,
    /// What the role is responsible for, in plain words.
    pub responsibilities: String,
    pub country: String,
}

/// One session that contributed to the interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionContribution {
    /// The organiser's session id.
    pub session: String,
    pub title: String,
    pub kind: String,
    pub minutes: u32,
}

/// Interest in one topic, 0 to 100, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopicInterest {
    pub slug: String,
    pub name: String,
    pub score: f64,
    /// Minutes present in sessions of this topic (the session's whole minutes).
    pub minutes: u32,
    /// Declared at registration.
    pub declared: bool,
    /// Session ids (organiser's) that produced it, most contributing first.
    pub sessions: Vec<String>,
}

/// What is known of the company and its needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Needs {
    /// Industry in words.
    pub industry: String,
    /// Industry key (`attendee::Industry`), which routing matches; empty when not given.
    #[serde(default, with = "or_blank")]
    #[schema(value_type = String)]
    pub industry_key: Option<Industry>,
    pub company_size: String,
    /// Purchase-stage key (`attendee::PurchaseStage`), empty when not given.
    #[serde(with = "or_blank")]
    #[schema(value_type = String)]
    pub stage: Option<PurchaseStage>,
    /// The stage in plain words.
    pub stage_label: String,
    /// Topic slugs ticked at registration.
    pub declared_interests: Vec<String>,
}

/// A solution or customer case to show the lead, from the marketers' content file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentPick {
    /// `solution` or `case`.
    pub kind: String,
    pub title: String,
    pub url: String,
    /// Why it was picked: the topic and industry it matches.
    pub why: String,
}

/// One factor of the tier decision, with its value and its contribution to its axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Factor {
    /// `fit`, `engagement`, `stage` or `rule`.
    pub axis: String,
    pub label: String,
    pub value: String,
    pub points: f64,
}

/// Who follows the lead up and by when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Routing {
    pub owner: String,
    /// Which routing rule picked the owner, in words ("region EMEA, industry finance").
    pub rule: String,
    /// Feedback deadline, RFC 3339.
    pub due_at: String,
}

/// Everything sales gets about one attendee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeadPackage {
    pub attendee_id: i64,
    pub tier: Tier,
    /// Overall score, 0 to 100.
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    /// Stage points, 0 to 100.
    pub stage_points: f64,
    pub contact: Contact,
    /// Ranked, highest first; only topics with a score above zero.
    pub topics: Vec<TopicInterest>,
    pub sessions: Vec<SessionContribution>,
    /// Sessions attended and minutes present in all.
    pub session_count: u32,
    pub minutes: u32,
    pub needs: Needs,
    pub show: Vec<ContentPick>,
    /// Most contributing first.
    pub factors: Vec<Factor>,
    /// Why this tier, in plain words. Stored in its own column, not in the stored JSON
    /// (`StoredLead::package`), so it is optional when read.
    #[serde(default)]
    pub explanation: String,
    /// Why excluded, for tier X.
    pub exclusion: Option<String>,
    pub routing: Option<Routing>,
    /// A topic they did not choose that people with their interests do, and why.
    #[serde(default)]
    pub next_need: Option<NextNeed>,
    /// The latest outcome sales recorded and what it leads to, from the build that read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
}

/// The latest outcome of a lead, as the package carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUp {
    /// Outcome key (standard or the playbook's own).
    pub outcome: String,
    pub outcome_label: String,
    /// When it was recorded, RFC 3339.
    pub recorded_at: String,
    /// `domain::leads::playbook::NextOwner` key.
    pub next_owner: String,
    /// From when to reach them again, RFC 3339; absent: never.
    pub next_at: Option<String>,
    /// Whether follow-up email may reach them.
    pub email: bool,
    /// Their tag in the data pool (`customer`, `nurture`...).
    pub tag: String,
}

/// The score from which a chosen topic counts as a genuine interest (for the cross-topic
/// insight and the likely next need): its sessions were chosen and it scored this much.
pub const GENUINE_SCORE: f64 = 30.0;

impl LeadPackage {
    pub fn top_topic(&self) -> Option<&TopicInterest> {
        self.topics.first()
    }

    /// Slugs of the topics the person showed genuine interest in: chosen, and scored at
    /// least `GENUINE_SCORE` (what the cross-topic insight and the next need count).
    pub fn genuine_interests(&self) -> Vec<&str> {
        self.topics
            .iter()
            .filter(|t| !t.sessions.is_empty() && t.score >= GENUINE_SCORE)
            .map(|t| t.slug.as_str())
            .collect()
    }

    /// `slug:score;slug:score`, highest first, each score as the package shows it (one
    /// decimal, `72.5`; a whole number without one, `28`): rounded once, from the score
    /// itself, never again from an already rounded figure.
    pub fn topic_scores(&self) -> String {
        topic_scores(self.scored_topics())
    }

    /// (slug, score) of each topic, strongest first, the score rounded as shown.
    pub fn scored_topics(&self) -> impl Iterator<Item = (&str, f64)> {
        self.topics.iter().map(|t| (t.slug.as_str(), t.score))
    }
}

/// `slug:score;slug:score` of topics already in order and rounded (`LeadPackage::topic_scores`).
pub fn topic_scores<'a>(topics: impl Iterator<Item = (&'a str, f64)>) -> String {
    topics
        .map(|(slug, score)| format!("{slug}:{score}"))
        .collect::<Vec<_>>()
        .join(";")
}

choice_enum!(
    /// What sales recorded about a lead.
    Outcome {
    Contacted = "contacted": "Contacted",
    MeetingBooked = "meeting_booked": "Meeting booked",
    BuyingWithinYear = "buying_within_year": "Buying within a year",
    NeedUnclear = "need_unclear": "Need unclear",
    LostToCompetitor = "lost_to_competitor": "Lost to a competitor",
    NotAFit = "not_a_fit": "Not a fit",
    Won = "won": "Won",
    }
);

impl Outcome {
    /// Sales took the lead up (counted as "accepted" in the funnel).
    pub fn accepted(self) -> bool {
        !matches!(self, Outcome::NotAFit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_and_outcomes_round_trip() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Ok(t));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.key()), Ok(o));
        }
        assert_eq!(Outcome::parse("Meeting booked"), Ok(Outcome::MeetingBooked));
        assert!(Outcome::parse("maybe").is_err());
        assert!(Tier::parse("D").is_err());
    }
}
