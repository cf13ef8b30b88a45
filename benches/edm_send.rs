//! Campaign sending to Postfix's smtp-sink on loopback: sustained messages per second with
//! personalised ~8 KB messages, suppression checks and ledger updates included, then the
//! latency of single SMTP exchanges over the same pool.
//!
//! `cargo bench --bench edm_send [-- MESSAGES CONNECTIONS [INSTANCES]]` (defaults 20000, 8
//! and 1; with INSTANCES above 1 that many senders, each with its own database pool and SMTP
//! connections as separate app instances have, send the same campaign at once); needs
//! `/usr/sbin/smtp-sink` (`apt-get install postfix`). `BENCH_DATABASE_URL=postgres://...`
//! (an empty database) measures PostgreSQL instead of an SQLite file.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use badgetrail::domain::leads::package::Tier;
use badgetrail::{
    config::Settings,
    context::Context,
    demo,
    domain::attendee::Registration,
    edm::{self, CampaignMailer, RecipientData},
    jobs::edm_send,
    mail::TransportKind,
    registration,
    store::LeadSummary,
};
use jiff::Timestamp;
use secrecy::SecretString;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

/// About 3 KB of text per block; with the HTML part the message is about 8 KB.
fn body(topic: &str) -> String {
    let paragraph = format!(
        "Thank you, {{{{ first_name }}}}, for spending time with us in the {topic} sessions. \
         We put together the slides, the recordings and two case studies that match what \
         {{{{ company }}}} is working on, so your team can pick up where the talks left off.\n\
         Our engineers are happy to review your architecture with you."
    );
    vec![paragraph; 9].join("\n\n")
}

fn campaign_file(topics: &[&str]) -> String {
    let mut file =
        String::from("[campaign]\nname = \"Bench\"\nexcluded_tiers = []\nfrequency_hours = 0\n");
    for t in topics {
        file.push_str(&format!(
            "\n[[content]]\ntopic = \"{t}\"\nsubject = \"{{{{ first_name }}}}, your {t} follow-up\"\n\
             preheader = \"Slides and case studies for {{{{ company }}}}\"\nbody = \"\"\"\n{}\"\"\"\n\
             cta_label = \"Read the case study\"\ncta_url = \"https://example.com/cases/{t}?utm_source=summit\"\n",
            body(t)
        ));
    }
    file.push_str(&format!(
        "\n[[content]]\nsubject = \"Thanks, {{{{ first_name }}}}\"\nbody = \"\"\"\n{}\"\"\"\n",
        body("summit")
    ));
    file
}

// The lead builder's summary may carry more fields than the follow-up email reads.
#[allow(clippy::needless_update)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let messages: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let connections: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let instances: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // smtp-sink refuses to run as root unless told which user to become.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut sink = Command::new("/usr/sbin/smtp-sink");
    if root {
        sink.args(["-u", "nobody"]);
    }
    let mut sink = sink
        .args([&format!("127.0.0.1:{port}"), "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| anyhow::anyhow!("smtp-sink (apt-get install postfix): {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "smtp-sink did not start");
        std::thread::sleep(Duration::from_millis(20));
    }

    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let mut s = Settings {
        database_url: SecretString::from(url.clone()),
        database_max_connections: 8,
        mail_poll_ms: 0,
        ..Settings::default()
    };
    s.mail.transport = TransportKind::Smtp;
    s.mail.smtp_host = "127.0.0.1".into();
    s.mail.smtp_port = port;
    s.edm.connections = connections;
    s.edm.rate_per_second = 0;
    s.edm.batch = 512;
    s.edm.poll_ms = 0;
    let ctx = Context::build(s.clone()).await?;
    let mut others = Vec::new();
    for _ in 1..instances {
        others.push(Context::build(s.clone()).await?);
    }

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
    let mut ids = Vec::with_capacity(messages);
    let people = demo::people::synthetic(messages, &topics, 11);
    for chunk in people.chunks(1000) {
        let regs: Vec<Registration> = chunk
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let mut input = input.clone();
                input.marketing_consent = true;
                input.email = format!("person{}@example.com", ids.len() + i);
                Registration::parse(&input, &topics).unwrap()
            })
            .collect();
        for o in registration::record(&ctx, &event, &regs, registration::Source::Demo, false, now)
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
            tier: [Tier::A, Tier::B, Tier::C][i % 3],
            top_topic: (i % 8 != 0).then(|| topics[i % topics.len()].to_owned()),
        })
        .collect();
    ctx.store
        .leads()
        .replace_event_leads(event.id, &leads, now)
        .await?;
    let (campaign, _) =
        edm::import_campaign_file(&ctx, &event, "bench", &campaign_file(&topics), now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "edm_send: set-up of {messages} attendees took {:.1?}",
        started.elapsed()
    );

    // One message's size, as sent.
    let mailer = CampaignMailer::load(&ctx, campaign.clone()).await?;
    let sample = &people[0];
    let (message, _, _) = mailer.compose(
        &ctx.edm,
        &RecipientData {
            send_id: 1,
            email: "person0@example.com",
            name: &sample.name,
            company: &sample.answers.company,
            job_title: &sample.answers.job_title,
            topic: Some(topics[0]),
            tier: badgetrail::domain::campaigns::campaign::Tier::A,
            next_need: None,
        },
    )?;
    let size = message.formatted().len();

    let started = Instant::now();
    let queued = edm::start(&ctx, &campaign, Timestamp::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let queue_time = started.elapsed();

    let started = Instant::now();
    let runs = futures_util::future::try_join_all(
        std::iter::once(&ctx).chain(&others).map(edm_send::run_once),
    )
    .await?;
    let elapsed = started.elapsed();
    let progress = ctx.store.campaigns().campaign_progress(campaign.id).await?;
    let sent: usize = runs.iter().map(|r| r.sent).sum();
    // Every message sent, and none twice: the senders together sent as many as the ledger
    // holds, each ledger row once.
    anyhow::ensure!(
        progress.sent as usize == messages && sent == messages,
        "not all sent, or some twice: {progress:?} {runs:?}"
    );
    println!(
        "edm_send: {} ({instances} sender(s), {connections} connections each, no rate limit), message {size} bytes",
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!("  queued {queued} in {queue_time:.2?}");
    println!(
        "  sent {sent} in {:.2?}: {:.0} messages/s (claim, suppression check, render, send, ledger update); per sender {:?}",
        elapsed,
        sent as f64 / elapsed.as_secs_f64(),
        runs.iter().map(|r| r.sent).collect::<Vec<_>>()
    );

    // Latency of one exchange over the warm pool, one at a time.
    let mut latencies = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let t = Instant::now();
        ctx.edm
            .transport
            .send(&message)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "  one SMTP exchange (8 KB, TCP_NODELAY): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    ctx.edm.transport.close().await;
    let _ = sink.kill();
    let _ = sink.wait();
    Ok(())
}
