//! Who gets which follow-up email: one per attendee, the rest excluded with a reason.

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;

use crate::domain::{
    campaigns::campaign::{Content, ContentKey, Tier, pick_content},
    choice::choice_enum,
};

choice_enum!(
    /// Why an address is never sent marketing email again.
    #[derive(PartialOrd, Ord)]
    Suppression {
        Unsubscribed = "unsubscribed": "unsubscribed",
        HardBounce = "hard_bounce": "hard bounce",
        Complaint = "complaint": "complaint",
        /// Too many soft bounces within the soft-bounce window.
        SoftBounces = "soft_bounces": "soft bounces",
    }
    unknown(raw) => format!("unknown suppression '{raw}'");
);

/// One attendee of the event, with everything the audience rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub attendee_id: i64,
    /// Normalised (lower-case) address.
    pub email: String,
    pub tier: Tier,
    /// Slug of the topic the attendee cared about most, from their lead.
    pub top_topic: Option<String>,
    /// The latest consent record: `Some(true)` granted, `Some(false)` withdrawn, `None` never asked.
    pub consent: Option<bool>,
    /// The address's suppressions, if any.
    pub suppressed: Vec<Suppression>,
    /// When this address last got a marketing email from another campaign.
    pub last_marketing_at: Option<Timestamp>,
    /// The latest sales outcome's next action says no follow-up email (the playbook).
    pub no_email_after_feedback: bool,
}

/// What the marketer chose for this campaign.
#[derive(Debug, Clone)]
pub struct AudienceRules<'a> {
    pub excluded_tiers: &'a [Tier],
    /// Nobody who got a marketing email this recently gets another; zero turns it off.
    pub frequency_window: jiff::SignedDuration,
    pub contents: &'a [(ContentKey, Content)],
}

/// Why an attendee gets no email from this campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exclusion {
    Unsubscribed,
    /// A hard bounce, a complaint, or repeated soft bounces.
    Undeliverable,
    NoConsent,
    /// Sales recorded an outcome whose next action says no follow-up email.
    SalesFeedback,
    ExcludedTier,
    RecentlyEmailed,
    /// Neither their topic nor the general fallback has content.
    NoContent,
    /// Another attendee of the event has the same address.
    DuplicateAddress,
}

impl Exclusion {
    pub const ALL: [Exclusion; 8] = [
        Exclusion::NoConsent,
        Exclusion::Unsubscribed,
        Exclusion::Undeliverable,
        Exclusion::SalesFeedback,
        Exclusion::ExcludedTier,
        Exclusion::RecentlyEmailed,
        Exclusion::NoContent,
        Exclusion::DuplicateAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::Unsubscribed => "unsubscribed",
            Exclusion::Undeliverable => "bounced_or_complained",
            Exclusion::NoConsent => "no_marketing_consent",
            Exclusion::SalesFeedback => "sales_feedback_says_no_email",
            Exclusion::ExcludedTier => "excluded_tier",
            Exclusion::RecentlyEmailed => "within_frequency_window",
            Exclusion::NoContent => "no_content",
            Exclusion::DuplicateAddress => "duplicate_address",
        }
    }

    /// The reason `as_str` gave.
    pub fn parse(raw: &str) -> Option<Exclusion> {
        Exclusion::ALL.into_iter().find(|e| e.as_str() == raw)
    }

    /// For people: "no marketing consent".
    pub fn label(self) -> &'static str {
        match self {
            Exclusion::Unsubscribed => "unsubscribed",
            Exclusion::Undeliverable => "hard-bounced or complained",
            Exclusion::NoConsent => "no marketing consent",
            Exclusion::SalesFeedback => {
                "sales recorded an outcome after which the playbook sends no follow-up email"
            }
            Exclusion::ExcludedTier => "tier excluded from this campaign",
            Exclusion::RecentlyEmailed => "got a marketing email within the frequency window",
            Exclusion::NoContent => "no content for their topic and no general content",
            Exclusion::DuplicateAddress => "same address as another attendee",
        }
    }
}

/// One email to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub attendee_id: i64,
    pub email: String,
    pub tier: Tier,
    /// The content topic used; `None` is the general fallback.
    pub topic: Option<String>,
}

/// The planned audience of a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudiencePlan {
    pub recipients: Vec<Recipient>,
    pub excluded: Vec<(i64, Exclusion)>,
}

/// Counts shown before sending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudienceSummary {
    pub recipients: usize,
    /// Content topic ("general" for the fallback) -> count.
    pub by_topic: BTreeMap<String, usize>,
    pub by_tier: BTreeMap<Tier, usize>,
    /// (topic, tier) -> count.
    pub by_topic_and_tier: BTreeMap<(String, Tier), usize>,
    pub excluded: BTreeMap<Exclusion, usize>,
}

impl AudienceSummary {
    pub fn excluded_total(&self) -> usize {
        self.excluded.values().sum()
    }

    /// The exclusion counts as kept with a started campaign: `reason=count` pairs joined
    /// by commas, such as `no_marketing_consent=3,excluded_tier=1`.
    pub fn exclusions_stored(&self) -> String {
        self.excluded
            .iter()
            .map(|(e, n)| format!("{}={n}", e.as_str()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Exclusion counts read back from `AudienceSummary::exclusions_stored`; pairs that do not
/// read are left out.
pub fn exclusions_from_stored(raw: &str) -> BTreeMap<Exclusion, usize> {
    raw.split(',')
        .filter_map(|pair| {
            let (reason, n) = pair.split_once('=')?;
            Some((Exclusion::parse(reason.trim())?, n.trim().parse().ok()?))
        })
        .collect()
}

/// Label of a content topic in summaries and reports.
pub fn topic_label(topic: Option<&str>) -> String {
    topic.unwrap_or("general").to_owned()
}

/// Decides every candidate: the first reason that applies excludes them, in this order:
/// suppressed (unsubscribed, then undeliverable), no consent, sales feedback says no email,
/// excluded tier, within the
/// frequency window, no content. Candidates keep their input order.
pub fn plan(candidates: &[Candidate], rules: &AudienceRules<'_>, now: Timestamp) -> AudiencePlan {
    let window_start = now - rules.frequency_window;
    let window_on = !rules.frequency_window.is_zero();
    let mut seen: HashSet<&str> = HashSet::with_capacity(candidates.len());
    let mut plan = AudiencePlan {
        recipients: Vec::with_capacity(candidates.len()),
        excluded: Vec::new(),
    };
    for c in candidates {
        let decided = if c.suppressed.contains(&Suppression::Unsubscribed) {
            Err(Exclusion::Unsubscribed)
        } else if !c.suppressed.is_empty() {
            Err(Exclusion::Undeliverable)
        } else if c.consent != Some(true) {
            Err(Exclusion::NoConsent)
        } else if c.no_email_after_feedback {
            Err(Exclusion::SalesFeedback)
        } else if rules.excluded_tiers.contains(&c.tier) {
            Err(Exclusion::ExcludedTier)
        } else if window_on && c.last_marketing_at.is_some_and(|t| t > window_start) {
            Err(Exclusion::RecentlyEmailed)
        } else if !seen.insert(c.email.as_str()) {
            Err(Exclusion::DuplicateAddress)
        } else {
            match pick_content(rules.contents, c.top_topic.as_deref(), c.tier) {
                Some((key, _)) => Ok(key.topic.clone()),
                None => Err(Exclusion::NoContent),
            }
        };
        match decided {
            Ok(topic) => plan.recipients.push(Recipient {
                attendee_id: c.attendee_id,
                email: c.email.clone(),
                tier: c.tier,
                topic,
            }),
            Err(reason) => plan.excluded.push((c.attendee_id, reason)),
        }
    }
    plan
}

impl AudiencePlan {
    pub fn summary(&self) -> AudienceSummary {
        let mut s = AudienceSummary {
            recipients: self.recipients.len(),
            ..AudienceSummary::default()
        };
        for r in &self.recipients {
            let topic = topic_label(r.topic.as_deref());
            *s.by_tier.entry(r.tier).or_default() += 1;
            *s.by_topic_and_tier
                .entry((topic.clone(), r.tier))
                .or_default() += 1;
            *s.by_topic.entry(topic).or_default() += 1;
        }
        for (_, reason) in &self.excluded {
            *s.excluded.entry(*reason).or_default() += 1;
        }
        s
    }

    /// Why one attendee is left out, if they are.
    pub fn exclusion_of(&self, attendee_id: i64) -> Option<Exclusion> {
        self.excluded
            .iter()
            .find(|(id, _)| *id == attendee_id)
            .map(|(_, r)| *r)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn exclusion_counts_kept_with_a_campaign_read_back() {
        let mut s = AudienceSummary::default();
        s.excluded.insert(Exclusion::NoConsent, 3);
        s.excluded.insert(Exclusion::ExcludedTier, 1);
        let stored = s.exclusions_stored();
        assert_eq!(exclusions_from_stored(&stored), s.excluded);
        assert!(exclusions_from_stored("").is_empty());
        assert_eq!(
            exclusions_from_stored("no_marketing_consent=2,bogus=4,unsubscribed=x").len(),
            1
        );
        for e in Exclusion::ALL {
            assert_eq!(Exclusion::parse(e.as_str()), Some(e));
        }
    }
    use jiff::{SignedDuration, ToSpan};

    use super::*;

    fn now() -> Timestamp {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    fn candidate(id: i64, tier: Tier, topic: Option<&str>) -> Candidate {
        Candidate {
            attendee_id: id,
            email: format!("p{id}@example.com"),
            tier,
            top_topic: topic.map(str::to_owned),
            consent: Some(true),
            suppressed: vec![],
            last_marketing_at: None,
            no_email_after_feedback: false,
        }
    }

    fn contents(topics: &[&str], general: bool) -> Vec<(ContentKey, Content)> {
        let mut v: Vec<(ContentKey, Content)> = topics
            .iter()
            .map(|t| {
                (
                    ContentKey {
                        topic: Some((*t).to_owned()),
                        tier: None,
                    },
                    Content::default(),
                )
            })
            .collect();
        if general {
            v.push((ContentKey::general(), Content::default()));
        }
        v
    }

    fn rules<'a>(c: &'a [(ContentKey, Content)], excluded: &'a [Tier]) -> AudienceRules<'a> {
        AudienceRules {
            excluded_tiers: excluded,
            frequency_window: SignedDuration::from_hours(72),
            contents: c,
        }
    }

    #[test]
    fn each_consenting_attendee_gets_their_topic_or_the_fallback() {
        let c = contents(&["ai", "big-data"], true);
        let people = vec![
            candidate(1, Tier::A, Some("ai")),
            candidate(2, Tier::B, Some("big-data")),
            candidate(3, Tier::C, Some("security")),
            candidate(4, Tier::None, None),
        ];
        let plan = plan(&people, &rules(&c, &[]), now());
        let topics: Vec<_> = plan.recipients.iter().map(|r| r.topic.clone()).collect();
        assert_eq!(
            topics,
            vec![Some("ai".into()), Some("big-data".into()), None, None]
        );
        assert!(plan.excluded.is_empty());
        let s = plan.summary();
        assert_eq!(s.recipients, 4);
        assert_eq!(s.by_topic["general"], 2);
        assert_eq!(s.by_topic["ai"], 1);
        assert_eq!(s.by_tier[&Tier::None], 1);
        assert_eq!(s.by_topic_and_tier[&("general".to_owned(), Tier::C)], 1);
    }

    #[test]
    fn every_exclusion_has_its_reason() {
        let c = contents(&["ai"], false);
        let mut withdrawn = candidate(1, Tier::A, Some("ai"));
        withdrawn.consent = Some(false);
        let mut never_asked = candidate(2, Tier::A, Some("ai"));
        never_asked.consent = None;
        let mut unsubscribed = candidate(3, Tier::A, Some("ai"));
        unsubscribed.suppressed = vec![Suppression::HardBounce, Suppression::Unsubscribed];
        let mut bounced = candidate(4, Tier::A, Some("ai"));
        bounced.suppressed = vec![Suppression::HardBounce];
        let mut complained = candidate(5, Tier::A, Some("ai"));
        complained.suppressed = vec![Suppression::Complaint];
        let tier_x = candidate(6, Tier::X, Some("ai"));
        let mut recent = candidate(7, Tier::A, Some("ai"));
        recent.last_marketing_at = Some(now() - 71.hours());
        let mut long_ago = candidate(8, Tier::A, Some("ai"));
        long_ago.last_marketing_at = Some(now() - 73.hours());
        let no_content = candidate(9, Tier::B, Some("security"));
        let mut same_address = candidate(10, Tier::A, Some("ai"));
        same_address.email = long_ago.email.clone();
        let mut not_a_fit = candidate(11, Tier::A, Some("ai"));
        not_a_fit.no_email_after_feedback = true;

        let people = vec![
            withdrawn,
            never_asked,
            unsubscribed,
            bounced,
            complained,
            tier_x,
            recent,
            long_ago,
            no_content,
            same_address,
            not_a_fit,
        ];
        let plan = plan(&people, &rules(&c, &[Tier::X]), now());
        assert_eq!(
            plan.recipients
                .iter()
                .map(|r| r.attendee_id)
                .collect::<Vec<_>>(),
            vec![8]
        );
        let reason = |id| plan.exclusion_of(id).unwrap();
        assert_eq!(reason(1), Exclusion::NoConsent);
        assert_eq!(reason(2), Exclusion::NoConsent);
        assert_eq!(reason(3), Exclusion::Unsubscribed);
        assert_eq!(reason(4), Exclusion::Undeliverable);
        assert_eq!(reason(5), Exclusion::Undeliverable);
        assert_eq!(reason(6), Exclusion::ExcludedTier);
        assert_eq!(reason(7), Exclusion::RecentlyEmailed);
        assert_eq!(reason(9), Exclusion::NoContent);
        assert_eq!(reason(10), Exclusion::DuplicateAddress);
        assert_eq!(reason(11), Exclusion::SalesFeedback);
        let s = plan.summary();
        assert_eq!(s.excluded[&Exclusion::NoConsent], 2);
        assert_eq!(s.excluded[&Exclusion::Undeliverable], 2);
        assert_eq!(s.excluded_total(), 10);
    }

    #[test]
    fn a_zero_window_lets_recent_recipients_through() {
        let c = contents(&[], true);
        let mut recent = candidate(1, Tier::A, None);
        recent.last_marketing_at = Some(now() - 1.hours());
        let mut r = rules(&c, &[]);
        r.frequency_window = SignedDuration::ZERO;
        assert_eq!(plan(&[recent.clone()], &r, now()).recipients.len(), 1);
        r.frequency_window = SignedDuration::from_hours(2);
        assert_eq!(plan(&[recent], &r, now()).recipients.len(), 0);
    }

    #[test]
    fn excluding_attendees_without_a_lead() {
        let c = contents(&[], true);
        let people = vec![candidate(1, Tier::None, None), candidate(2, Tier::B, None)];
        let plan = plan(&people, &rules(&c, &[Tier::None]), now());
        assert_eq!(plan.recipients.len(), 1);
        assert_eq!(plan.exclusion_of(1), Some(Exclusion::ExcludedTier));
    }

    #[test]
    fn reasons_have_stable_keys() {
        let keys: HashSet<_> = Exclusion::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(keys.len(), Exclusion::ALL.len());
        for s in ["unsubscribed", "hard_bounce", "complaint", "soft_bounces"] {
            assert_eq!(Suppression::parse(s).unwrap().as_str(), s);
        }
    }
}
