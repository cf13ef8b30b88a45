//! Campaigns: their life cycle, lead tiers, and which content an attendee's topic and tier get.

use crate::domain::choice::choice_enum;

choice_enum!(
    /// A lead's tier as the follow-up email sees it; `None` is an attendee without a lead.
    #[derive(PartialOrd, Ord, Default)]
    Tier {
        A = "A": "A",
        B = "B": "B",
        C = "C": "C",
        X = "X": "X",
        #[default]
        None = "none": "none",
    }
    unknown(raw) => format!("unknown tier '{}' (A, B, C, X or none)", raw.trim());
);

impl Tier {
    /// A comma-separated list such as "C, X, none"; empty means no tier.
    pub fn parse_list(raw: &str) -> Result<Vec<Tier>, String> {
        let mut tiers = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let tier = Tier::parse(part)?;
            if !tiers.contains(&tier) {
                tiers.push(tier);
            }
        }
        tiers.sort();
        Ok(tiers)
    }

    pub fn list_string(tiers: &[Tier]) -> String {
        tiers
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

choice_enum!(
    /// Where a campaign is in its life.
    CampaignState {
        /// Content and settings are being prepared; nothing is queued.
        Draft = "draft": "Draft",
        /// The audience is queued in the ledger and the sender works through it.
        Sending = "sending": "Sending",
        /// Queued messages wait; resuming carries on where it stopped.
        Paused = "paused": "Paused",
        /// Stopped for good; messages not yet sent are never sent.
        Cancelled = "cancelled": "Cancelled",
        /// Every queued message was sent, skipped or failed.
        Done = "done": "Done",
    }
    unknown(raw) => format!("unknown campaign state '{raw}'");
);

/// What a marketer asks a campaign to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAction {
    Start,
    Pause,
    Resume,
    Cancel,
}

impl CampaignState {
    /// Content and settings can change only before the audience is queued.
    pub fn editable(self) -> bool {
        self == CampaignState::Draft
    }

    /// The state after `action`, or why the action does not apply now.
    pub fn after(self, action: CampaignAction) -> Result<CampaignState, String> {
        use CampaignAction as A;
        use CampaignState as S;
        match (self, action) {
            (S::Draft, A::Start) => Ok(S::Sending),
            (S::Sending, A::Pause) => Ok(S::Paused),
            (S::Paused, A::Resume) => Ok(S::Sending),
            (S::Draft | S::Sending | S::Paused, A::Cancel) => Ok(S::Cancelled),
            (state, action) => Err(format!(
                "a {} campaign cannot be {}",
                state.as_str(),
                match action {
                    A::Start => "started",
                    A::Pause => "paused",
                    A::Resume => "resumed",
                    A::Cancel => "cancelled",
                }
            )),
        }
    }
}

/// Which attendees a content block is for: a topic (or the general fallback) and
/// optionally one tier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentKey {
    /// Topic slug; `None` is the general fallback.
    pub topic: Option<String>,
    /// `None` is every tier.
    pub tier: Option<Tier>,
}

impl ContentKey {
    pub fn general() -> ContentKey {
        ContentKey {
            topic: None,
            tier: None,
        }
    }

    /// As stored: `''` stands for "general" and "every tier".
    pub fn stored(&self) -> (String, String) {
        (
            self.topic.clone().unwrap_or_default(),
            self.tier.map(|t| t.as_str().to_owned()).unwrap_or_default(),
        )
    }

    pub fn from_stored(topic: &str, tier: &str) -> Result<ContentKey, String> {
        Ok(ContentKey {
            topic: (!topic.is_empty()).then(|| topic.to_owned()),
            tier: if tier.is_empty() {
                None
            } else {
                Some(Tier::parse(tier)?)
            },
        })
    }

    /// For marketers, with the topic's name: "Big data and analytics, tier A",
    /// "General, every tier"; the slug stands in for a topic without a name.
    pub fn label_named(&self, topic_name: Option<&str>) -> String {
        let topic = match (&self.topic, topic_name) {
            (None, _) => "General",
            (Some(_), Some(name)) => name,
            (Some(slug), None) => slug,
        };
        format!(
            "{topic}, {}",
            self.tier
                .map_or("every tier".to_owned(), |t| format!("tier {t}"))
        )
    }

    /// "big-data, tier A", "general, every tier".
    pub fn label(&self) -> String {
        format!(
            "{}, {}",
            self.topic.as_deref().unwrap_or("general"),
            self.tier
                .map_or("every tier".to_owned(), |t| format!("tier {t}"))
        )
    }
}

/// What one email says. Every field is a template (see `mail::campaign_compose`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    pub subject: String,
    /// The line mail clients show after the subject.
    pub preheader: String,
    /// Plain text; blank lines separate paragraphs.
    pub body: String,
    pub cta_label: String,
    /// Where the call to action leads (http or https).
    pub cta_url: String,
}

impl Content {
    /// Checks what can be checked without rendering: required fields and a safe link.
    pub fn check(&self) -> Result<(), String> {
        if self.subject.trim().is_empty() {
            return Err("subject is required".into());
        }
        if self.body.trim().is_empty() {
            return Err("body is required".into());
        }
        if self.subject.len() > 300 || self.preheader.len() > 300 || self.cta_label.len() > 200 {
            return Err("subject, preheader and call to action must be short".into());
        }
        if self.body.len() > 50_000 {
            return Err("body is longer than 50,000 characters".into());
        }
        let url = self.cta_url.trim();
        if url.is_empty() != self.cta_label.trim().is_empty() {
            return Err("a call to action needs both a label and a link".into());
        }
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err("the call-to-action link must start with https:// or http://".into());
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the call-to-action link may not contain spaces".into());
        }
        Ok(())
    }
}

/// The content an attendee gets: their topic's variant for their tier, else their topic's
/// content for every tier, else the general fallback for their tier, else the general
/// fallback. `None` when none of those exists.
pub fn pick_content<'a>(
    contents: &'a [(ContentKey, Content)],
    topic: Option<&str>,
    tier: Tier,
) -> Option<&'a (ContentKey, Content)> {
    let find = |topic: Option<&str>, tier: Option<Tier>| {
        contents
            .iter()
            .find(|(k, _)| k.topic.as_deref() == topic && k.tier == tier)
    };
    let by_topic = topic.and_then(|t| find(Some(t), Some(tier)).or_else(|| find(Some(t), None)));
    by_topic
        .or_else(|| find(None, Some(tier)))
        .or_else(|| find(None, None))
}

/// A campaign slug or name check, for forms and files.
pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.trim().chars().count();
    if n == 0 {
        return Err("name is required".into());
    }
    if n > 120 {
        return Err("name must be at most 120 characters".into());
    }
    Ok(())
}

/// Frequency windows people can set: 0 (off) to 90 days.
pub fn check_frequency_hours(hours: i64) -> Result<(), String> {
    if (0..=24 * 90).contains(&hours) {
        Ok(())
    } else {
        Err("the frequency window must be between 0 and 2160 hours".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(topic: Option<&str>, tier: Option<Tier>) -> ContentKey {
        ContentKey {
            topic: topic.map(str::to_owned),
            tier,
        }
    }

    fn content(subject: &str) -> Content {
        Content {
            subject: subject.into(),
            body: "Hello".into(),
            ..Content::default()
        }
    }

    #[test]
    fn tiers_parse_in_any_case_and_lists_dedupe() {
        assert_eq!(Tier::parse("a").unwrap(), Tier::A);
        assert_eq!(Tier::parse(" NONE ").unwrap(), Tier::None);
        assert!(Tier::parse("D").is_err());
        assert_eq!(
            Tier::parse_list("x, C,x, none").unwrap(),
            vec![Tier::C, Tier::X, Tier::None]
        );
        assert_eq!(Tier::parse_list("").unwrap(), Vec::<Tier>::new());
        assert_eq!(Tier::list_string(&[Tier::C, Tier::None]), "C,none");
    }

    #[test]
    fn content_falls_back_from_tier_to_topic_to_general() {
        let contents = vec![
            (key(Some("ai"), Some(Tier::A)), content("ai-A")),
            (key(Some("ai"), None), content("ai")),
            (key(None, Some(Tier::B)), content("general-B")),
            (key(None, None), content("general")),
        ];
        let subject = |topic: Option<&str>, tier| {
            pick_content(&contents, topic, tier)
                .map(|(_, c)| c.subject.as_str())
                .unwrap()
        };
        assert_eq!(subject(Some("ai"), Tier::A), "ai-A");
        assert_eq!(subject(Some("ai"), Tier::B), "ai");
        assert_eq!(subject(Some("big-data"), Tier::B), "general-B");
        assert_eq!(subject(Some("big-data"), Tier::C), "general");
        assert_eq!(subject(None, Tier::None), "general");
        assert!(pick_content(&contents[..1], Some("ai"), Tier::B).is_none());
    }

    #[test]
    fn state_changes_follow_the_life_cycle() {
        use CampaignAction as A;
        use CampaignState as S;
        assert_eq!(S::Draft.after(A::Start), Ok(S::Sending));
        assert_eq!(S::Sending.after(A::Pause), Ok(S::Paused));
        assert_eq!(S::Paused.after(A::Resume), Ok(S::Sending));
        assert_eq!(S::Paused.after(A::Cancel), Ok(S::Cancelled));
        assert!(S::Sending.after(A::Start).is_err());
        assert!(S::Done.after(A::Cancel).is_err());
        assert!(S::Cancelled.after(A::Resume).is_err());
        assert!(S::Draft.after(A::Pause).is_err());
        for s in [S::Draft, S::Sending, S::Paused, S::Cancelled, S::Done] {
            assert_eq!(S::parse(s.as_str()), Ok(s));
        }
        assert!(S::Draft.editable() && !S::Sending.editable());
    }

    #[test]
    fn content_needs_subject_body_and_a_web_link() {
        let mut c = content("Hi");
        assert!(c.check().is_ok());
        c.cta_label = "Read".into();
        assert!(c.check().is_err(), "label without link");
        c.cta_url = "javascript:alert(1)".into();
        assert!(c.check().is_err());
        c.cta_url = "https://example.com/a b".into();
        assert!(c.check().is_err());
        c.cta_url = "https://example.com/case-study?x=1".into();
        assert!(c.check().is_ok());
        c.subject = " ".into();
        assert!(c.check().is_err());
    }

    #[test]
    fn stored_keys_round_trip() {
        for k in [
            key(None, None),
            key(Some("ai"), None),
            key(None, Some(Tier::X)),
            key(Some("ai"), Some(Tier::None)),
        ] {
            let (topic, tier) = k.stored();
            assert_eq!(ContentKey::from_stored(&topic, &tier).unwrap(), k);
        }
        assert_eq!(key(None, None).label(), "general, every tier");
        assert_eq!(key(Some("ai"), Some(Tier::A)).label(), "ai, tier A");
        assert_eq!(
            key(Some("ai"), Some(Tier::A)).label_named(Some("Applied AI")),
            "Applied AI, tier A"
        );
        assert_eq!(key(None, None).label_named(None), "General, every tier");
    }
}
