//! Campaign planning for a large event: every attendee decided by the audience rules
//! (latest consent, suppressions, lead tier, the frequency window, content), then queueing.
//!
//! `cargo bench --bench audience_plan [-- ATTENDEES RUNS]` (defaults 100000 and 5);
//! `BENCH_DATABASE_URL=postgres://...` (an empty database) measures PostgreSQL.

use std::time::{Duration, Instant};

use badgetrail::domain::leads::package::Tier as LeadTier;
use badgetrail::{
    config::Settings,
    context::Context,
    demo,
    domain::{attendee::Registration, campaigns::audience::Recipient, campaigns::campaign::Tier},
    edm, registration,
    store::{BounceReport, LeadSummary, SendOutcome},
};
use jiff::Timestamp;
use secrecy::SecretString;

const FILE: &str = r#"
[campaign]
excluded_tiers = ["X"]
frequency_hours = 72

[[content]]
topic = "big-data"
subject = "{{ first_name }}, big data"
body = "Hello {{ first_name }}"

[[content]]
topic = "ai"
tier = "A"
subject = "{{ first_name }}, AI"
body = "Hello {{ first_name }}"

[[content]]
subject = "Thanks"
body = "Hello {{ first_name }}"
"#;

// The lead builder's summary may carry more fields than the follow-up email reads.
#[allow(clippy::needless_update)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let attendees: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let mut s = Settings {
        database_url: SecretString::from(url.clone()),
        database_max_connections: 8,
        mail_poll_ms: 0,
        ..Settings::default()
    };
    s.edm.poll_ms = 0;
    s.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(s).await?;
    let p = demo::programme::cloud_summit();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await?;
    let event = ctx
        .store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await?
        .unwrap();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();

    let started = Instant::now();
    let mut people = Vec::with_capacity(attendees);
    for (i, input) in demo::people::synthetic(attendees, &topics, 5)
        .into_iter()
        .enumerate()
    {
        let mut input = input;
        input.email = format!("person{i}@example.com");
        // Four in five agreed to marketing email.
        input.marketing_consent = i % 5 != 0;
        people.push(Registration::parse(&input, &topics).unwrap());
    }
    let mut ids = Vec::with_capacity(attendees);
    for chunk in people.chunks(2000) {
        for o in registration::record(&ctx, &event, chunk, registration::Source::Demo, false, now)
            .await?
        {
            ids.push(o.attendee_id);
        }
    }
    let leads: Vec<LeadSummary> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| LeadSummary {
            attendee_id: *id,
            tier: [LeadTier::A, LeadTier::B, LeadTier::C, LeadTier::X][i % 4],
            top_topic: (i % 6 != 0).then(|| topics[i % topics.len()].to_owned()),
        })
        .collect();
    ctx.store
        .leads()
        .replace_event_leads(event.id, &leads, now)
        .await?;
    // 1% hard bounces, and an earlier campaign that reached 10% two days ago.
    for i in (0..attendees).step_by(100) {
        let email = format!("person{i}@example.com");
        ctx.store
            .campaigns()
            .record_bounce(
                &BounceReport {
                    email: &email,
                    kind: "hard",
                    status: "5.1.1",
                    detail: "",
                    message_id: None,
                },
                3,
                0,
                now,
            )
            .await?;
    }
    let (earlier, _) = edm::import_campaign_file(&ctx, &event, "earlier", FILE, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let earlier_recipients: Vec<Recipient> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 == 1)
        .map(|(i, id)| Recipient {
            attendee_id: *id,
            email: format!("person{i}@example.com"),
            tier: Tier::B,
            topic: None,
        })
        .collect();
    ctx.store
        .campaigns()
        .queue_campaign(earlier.id, &earlier_recipients, "", now)
        .await?;
    let sent: Vec<SendOutcome> = ctx
        .store
        .campaigns()
        .campaign_ledger(earlier.id)
        .await?
        .into_iter()
        .map(|r| SendOutcome::Sent {
            id: r.id,
            message_id: format!("m{}", r.id),
            reply: "250 ok".into(),
        })
        .collect();
    for chunk in sent.chunks(5000) {
        ctx.store
            .campaigns()
            .record_send_outcomes(chunk, now - jiff::SignedDuration::from_hours(48))
            .await?;
    }
    println!(
        "audience_plan: {attendees} attendees set up in {:.1?} ({})",
        started.elapsed(),
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let (campaign, _) = edm::import_campaign_file(&ctx, &event, "bench", FILE, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut view = None;
    for _ in 0..runs {
        let t = Instant::now();
        view = Some(edm::audience(&ctx, &campaign, Timestamp::now()).await?);
        times.push(t.elapsed());
    }
    times.sort();
    let view = view.unwrap();
    let s = &view.summary;
    println!(
        "  plan (query + rules), {runs} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "  {} recipients, {} excluded:",
        s.recipients,
        s.excluded_total()
    );
    for (reason, n) in &s.excluded {
        println!("    {}: {n}", reason.label());
    }
    let t = Instant::now();
    let queued = edm::start(&ctx, &campaign, Timestamp::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "  start (plan + queue {queued} ledger rows in one transaction): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
