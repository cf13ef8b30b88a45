//! Crash safety of campaign sending: the real binary is killed with SIGKILL in the middle of a
//! campaign sent to a real SMTP server, then started again. Every recipient must end up with
//! exactly one email, except at most the messages in flight at the kill, and nobody skipped.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use badgetrail::{config::Settings, context::Context};
use jiff::Timestamp;

use crate::support::{
    app::{Db, fresh_database, test_settings},
    campaign::{CAMPAIGN_FILE, eml_files, event_with_recipients},
    command::badgetrail,
    smtp_sink::{SinkOptions, SmtpSink},
};

const RECIPIENTS: usize = 240;

crate::on_both_backends!(kill_9_mid_campaign_then_restart_sends_everyone_once);

fn sender(dir: &Path, db_url: &str, smtp_port: u16) -> Child {
    badgetrail(dir, db_url)
        .args(["campaign", "send", "after", "--event", "cloud-summit-2026"])
        .env("BADGETRAIL_MAIL__TRANSPORT", "smtp")
        .env("BADGETRAIL_MAIL__SMTP_HOST", "127.0.0.1")
        .env("BADGETRAIL_MAIL__SMTP_PORT", smtp_port.to_string())
        .env("BADGETRAIL_EDM__RATE_PER_SECOND", "60")
        .env("BADGETRAIL_EDM__CONNECTIONS", "4")
        .env("BADGETRAIL_EDM__BATCH", "16")
        .env("BADGETRAIL_EDM__LEASE_SECS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the badgetrail binary runs")
}

fn received_count(sink: &SmtpSink) -> usize {
    eml_files(&sink.received).len()
}

async fn kill_9_mid_campaign_then_restart_sends_everyone_once(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };

    // The event, attendees and a draft campaign, prepared through the library.
    let mut settings: Settings = test_settings(fresh.url.clone(), dir.path(), 0);
    settings.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(settings).await.unwrap();
    let event = event_with_recipients(
        &ctx,
        RECIPIENTS,
        |i| format!("person{i}@example.com"),
        |_| true,
    )
    .await;
    let (c, _) = badgetrail::edm::import_campaign_file(
        &ctx,
        &event,
        "after",
        CAMPAIGN_FILE,
        Timestamp::now(),
    )
    .await
    .unwrap();

    // First run: kill -9 once a good part is out.
    let mut first = sender(dir.path(), &fresh.url, sink.port);
    let deadline = Instant::now() + Duration::from_secs(60);
    while received_count(&sink) < RECIPIENTS / 3 {
        assert!(
            Instant::now() < deadline,
            "the first sender made no progress"
        );
        if let Ok(Some(status)) = first.try_wait() {
            panic!("the sender ended before the kill: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = received_count(&sink);
    let ledger = ctx.store.campaigns().campaign_ledger(c.id).await.unwrap();
    let in_flight = ledger.iter().filter(|r| r.state == "sending").count();
    let recorded_sent = ledger.iter().filter(|r| r.state == "sent").count();
    assert!(at_kill < RECIPIENTS, "killed too late to test anything");
    assert!(recorded_sent <= at_kill);

    // Second run: carries on, and re-sends what was leased once the lease expires.
    let second = sender(dir.path(), &fresh.url, sink.port);
    let out = second.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("is done"), "{stdout}");

    let ledger = ctx.store.campaigns().campaign_ledger(c.id).await.unwrap();
    assert!(
        ledger.iter().all(|r| r.state == "sent"),
        "every message sent: {ledger:?}"
    );
    assert_eq!(ledger.len(), RECIPIENTS);

    // Both senders have gone, so once the sink has closed their sessions (the killed one's
    // included) nothing more can arrive: count per recipient.
    sink.wait_until_no_session_is_open();
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for eml in eml_files(&sink.received) {
        let envelope = std::fs::read_to_string(eml.with_extension("envelope")).unwrap();
        for rcpt in envelope.lines().skip(1) {
            *per_recipient.entry(rcpt.to_owned()).or_default() += 1;
        }
    }
    let missing: Vec<&String> = ledger
        .iter()
        .map(|r| &r.email)
        .filter(|e| !per_recipient.contains_key(*e))
        .collect();
    assert!(missing.is_empty(), "nobody is skipped: {missing:?}");
    assert_eq!(per_recipient.len(), RECIPIENTS, "no stranger got mail");
    let duplicated = per_recipient.values().filter(|n| **n > 1).count();
    assert!(per_recipient.values().all(|n| *n <= 2));
    println!(
        "kill -9 after {at_kill} of {RECIPIENTS} messages had arrived: {recorded_sent} recorded as sent, \
         {in_flight} leased (in flight) at the kill, {duplicated} recipients got a second copy"
    );
    assert!(
        duplicated <= in_flight,
        "{duplicated} duplicates but only {in_flight} messages were in flight"
    );
    ctx.store.close().await;
}
