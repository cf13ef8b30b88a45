//! Follow-up email (campaign) set-up: attendees with leads, the sample campaign file,
//! campaigns made through the pages, the messages a send wrote, and returned mail (DSN).

use std::path::Path;

use badgetrail::{
    domain::{attendee::Registration, leads::package::Tier},
    registration::{self, Source},
    store::{CampaignRecord, EventRecord, LeadSummary},
};
use jiff::Timestamp;

use badgetrail::context::Context;

use super::{
    app::{TestApp, demo_event},
    forms::extract_csrf,
};
use crate::support::forms::registration_input;

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
            let input = registration_input(name, email, *consent);
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
            tier: Tier::parse(tier).expect("a tier"),
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

const HARD_DSN: &str = "From: MAILER-DAEMON@mx.example.net\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
Your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
\r
Final-Recipient: rfc822; RECIPIENT\r
Action: ACTION\r
Status: STATUS\r
Diagnostic-Code: smtp; 550 5.1.1 User unknown\r
--B--\r
";

/// A returned-mail report (DSN) for `recipient` with this action and status.
pub fn dsn(recipient: &str, action: &str, status: &str) -> String {
    HARD_DSN
        .replace("RECIPIENT", recipient)
        .replace("ACTION", action)
        .replace("STATUS", status)
}

/// Seven attendees covering each rule of `CAMPAIGN_FILE`: (ids in order) ada A big-data, bob B big-data,
/// cy C ai, dee no consent, eve tier X, fay no lead, gil B security (no content: general).
pub async fn audience(app: &TestApp) -> (EventRecord, Vec<i64>) {
    let event = app.seed_event().await;
    let ids = register(
        app,
        &event,
        &[
            ("Ada Lovelace", "ada@example.com", true),
            ("Bob Babbage", "bob@example.com", true),
            ("Cy Shannon", "cy@example.com", true),
            ("Dee Hopper", "dee@example.com", false),
            ("Eve Turing", "eve@example.com", true),
            ("Fay Noether", "fay@example.com", true),
            ("Gil Knuth", "gil@example.com", true),
        ],
    )
    .await;
    leads(
        app,
        &event,
        &[
            (ids[0], "A", Some("big-data")),
            (ids[1], "B", Some("big-data")),
            (ids[2], "C", Some("ai")),
            (ids[3], "A", Some("ai")),
            (ids[4], "X", Some("big-data")),
            (ids[6], "B", Some("security")),
        ],
    )
    .await;
    (event, ids)
}

/// Posts a form on `page` to `action` with the CSRF token the page holds.
pub async fn form(
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = app.get_text(page).await;
    let csrf = extract_csrf(&html);
    let mut body: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    body.extend_from_slice(fields);
    app.post_form(action, &body).await
}

/// Creates campaign `name` (`short_name`) through the campaigns page and imports
/// `CAMPAIGN_FILE` into it; the campaign page's path.
pub async fn new_campaign(app: &TestApp, slug: &str, name: &str, short_name: &str) -> String {
    let list = format!("/admin/events/{slug}/campaigns");
    let r = form(
        app,
        &list,
        &list,
        &[("name", name), ("short_name", short_name)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = format!("{list}/{short_name}");
    let r = form(
        app,
        &page,
        &format!("{page}/import"),
        &[("file", CAMPAIGN_FILE)],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    page
}

/// Imports the demo programme through `ctx` and `n` synthetic attendees as an import: the
/// `i`-th drawn with seed `i`, at the address `email(i)`, with marketing consent if
/// `consent(i)`. The event.
pub async fn event_with_recipients(
    ctx: &Context,
    n: usize,
    email: impl Fn(usize) -> String,
    consent: impl Fn(usize) -> bool,
) -> EventRecord {
    let programme = badgetrail::demo::programme::cloud_summit();
    ctx.store
        .events()
        .import_programme(&programme, Timestamp::now())
        .await
        .unwrap();
    let event = demo_event(&ctx.store).await;
    let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();
    let regs: Vec<_> = (0..n)
        .map(|i| {
            let mut input = badgetrail::demo::people::synthetic(1, &topics, i as u64).remove(0);
            input.email = email(i);
            input.marketing_consent = consent(i);
            Registration::parse(&input, &topics).unwrap()
        })
        .collect();
    registration::record(ctx, &event, &regs, Source::Import, false, Timestamp::now())
        .await
        .unwrap();
    event
}
