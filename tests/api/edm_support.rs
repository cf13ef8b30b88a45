//! Shared set-up of the follow-up email tests: attendees with leads, a campaign file, mail reading.

use std::path::Path;

use badgetrail::{
    domain::{
        attendee::{Answers, Registration, RegistrationInput},
        lead::Tier,
    },
    registration::{self, Source},
    store::{CampaignRecord, EventRecord, LeadSummary},
};
use jiff::Timestamp;

use crate::helpers::TestApp;

/// Content for two topics (one with a tier-A variant) and the general fallback.
pub const CAMPAIGN_FILE: &str = r#"
[campaign]
name = "After the summit"
excluded_tiers = ["X"]
frequency_hours = 72
track_opens = true
track_clicks = true

[[content]]
topic = "big-data"
subject = "{{ first_name }}, your big-data reading"
preheader = "Slides from the big-data track"
body = """
Hello {{ first_name }},

thanks for joining the big-data sessions at {{ event_name }}."""
cta_label = "Read the lakehouse case study"
cta_url = "https://example.com/cases/lakehouse?from=summit&lang=en"

[[content]]
topic = "big-data"
tier = "A"
subject = "{{ first_name }}, a call about your data platform?"
body = "Hello {{ first_name }} at {{ company }}, our architects would like to talk."
cta_label = "Book a call"
cta_url = "https://example.com/book"

[[content]]
topic = "ai"
subject = "{{ first_name }}, AI at scale"
body = "Hello {{ name }}, here is the GPU serving guide."
cta_label = "Get the guide"
cta_url = "https://example.com/ai-guide"

[[content]]
subject = "Thanks for coming to {{ event_name }}"
body = "Hello {{ first_name }}, see you next year."
"#;

/// One attendee to register: (name, email, marketing consent).
pub type Person<'a> = (&'a str, &'a str, bool);

/// Registers people (no badge email) and returns their attendee ids, in order.
pub async fn register(app: &TestApp, event: &EventRecord, people: &[Person<'_>]) -> Vec<i64> {
    let topics = app.ctx.store.events().event_topics(event.id).await.unwrap();
    let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let regs: Vec<Registration> = people
        .iter()
        .map(|(name, email, consent)| {
            let input = RegistrationInput {
                email: (*email).to_owned(),
                name: (*name).to_owned(),
                answers: Answers {
                    company: "Analytical Engines".into(),
                    job_title: "CTO".into(),
                    decision_role: "decision_maker".into(),
                    purchase_stage: "look_for_suppliers".into(),
                    industry: "software".into(),
                    company_size: "51_200".into(),
                    country: "United Kingdom".into(),
                },
                phone: String::new(),
                interests: vec![],
                marketing_consent: *consent,
            };
            Registration::parse(&input, &known).unwrap()
        })
        .collect();
    registration::record(
        &app.ctx,
        event,
        &regs,
        Source::Import,
        false,
        Timestamp::now(),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|o| o.attendee_id)
    .collect()
}

/// Stores leads as the lead builder would: (attendee, tier, top topic).
pub async fn leads(app: &TestApp, event: &EventRecord, leads: &[(i64, &str, Option<&str>)]) {
    let rows: Vec<LeadSummary> = leads
        .iter()
        .map(|(id, tier, topic)| LeadSummary {
            attendee_id: *id,
            tier: Tier::parse(tier).unwrap(),
            top_topic: topic.map(str::to_owned),
        })
        .collect();
    app.ctx
        .store
        .leads()
        .replace_event_leads(event.id, &rows, Timestamp::now())
        .await
        .unwrap();
}

/// Imports `CAMPAIGN_FILE` (or `text`) as campaign `slug`.
pub async fn campaign(
    app: &TestApp,
    event: &EventRecord,
    slug: &str,
    text: &str,
) -> CampaignRecord {
    badgetrail::edm::import_campaign_file(&app.ctx, event, slug, text, Timestamp::now())
        .await
        .unwrap()
        .0
}

/// The `.eml` files a sink directory holds, in arrival order.
pub fn eml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    names
}

/// The URL inside `<...>` of a List-Unsubscribe value that starts with `scheme`.
pub fn list_unsubscribe_url(header: &str, scheme: &str) -> String {
    header
        .split(',')
        .map(|p| p.trim().trim_start_matches('<').trim_end_matches('>'))
        .find(|p| p.starts_with(scheme))
        .unwrap_or_else(|| panic!("no {scheme} in {header}"))
        .to_owned()
}
