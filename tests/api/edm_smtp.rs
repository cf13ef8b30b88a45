//! Campaigns sent to a real SMTP server (aiosmtpd on loopback), read back with mail-parser:
//! who gets which topic, the list headers, one-click unsubscribe from the received header,
//! suppression, bounces, the rate limit and escaping.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use badgetrail::{config::Settings, jobs::edm_send, mail::TransportKind};
use jiff::Timestamp;
use mail_parser::MessageParser;

use crate::support::{
    app::{Db, TestApp, spawn_app_with},
    campaign::{CAMPAIGN_FILE, campaign, eml_files, leads, list_unsubscribe_url, register},
    smtp_sink::{SinkOptions, SmtpSink},
};

crate::on_both_backends!(
    the_right_people_get_the_right_topic_with_list_headers,
    an_unsubscribe_during_a_campaign_stops_the_next_message,
    a_refused_recipient_is_a_hard_bounce_and_a_deferral_is_retried,
    the_rate_limit_spaces_messages_out,
    dkim_signatures_cover_the_list_headers_and_verify,
);

fn smtp(sink: &SmtpSink) -> impl FnOnce(&mut Settings) + use<> {
    let port = sink.port;
    move |s: &mut Settings| {
        s.mail.transport = TransportKind::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = port;
        s.mail.smtp_timeout_secs = 10;
        s.edm.rate_per_second = 0;
        s.edm.postal_address = "Cloud Summit GmbH\nMesseweg 1\n10115 Berlin".into();
        s.edm.from = Some("Cloud Summit <news@badgetrail.example>".into());
    }
}

struct Mail {
    to: String,
    subject: String,
    raw: Vec<u8>,
}

fn read_all(sink: &SmtpSink, count: usize) -> Vec<Mail> {
    sink.received(count)
        .into_iter()
        .map(|r| {
            let parsed = MessageParser::default().parse(&r.raw).unwrap();
            Mail {
                to: r.rcpt_to.join(","),
                subject: parsed.subject().unwrap_or_default().to_owned(),
                raw: r.raw.clone(),
            }
        })
        .collect()
}

async fn people(app: &TestApp) -> (badgetrail::store::EventRecord, Vec<i64>) {
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
            ("<script>alert('x')</script> Fay", "fay@example.com", true),
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
            (ids[4], "X", Some("ai")),
        ],
    )
    .await;
    (event, ids)
}

async fn the_right_people_get_the_right_topic_with_list_headers(db: Db) {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let Some(app) = spawn_app_with(db, smtp(&sink)).await else {
        return;
    };
    let (event, ids) = people(&app).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    assert_eq!(
        badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
            .await
            .unwrap(),
        4
    );
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 4, "{run:?}");

    let mails = read_all(&sink, 4);
    let by_to: HashMap<&str, &Mail> = mails.iter().map(|m| (m.to.as_str(), m)).collect();
    assert_eq!(by_to.len(), 4, "one message per recipient");
    assert_eq!(
        by_to["ada@example.com"].subject,
        "Ada, a call about your data platform?"
    );
    assert_eq!(
        by_to["bob@example.com"].subject,
        "Bob, your big-data reading"
    );
    assert_eq!(by_to["cy@example.com"].subject, "Cy, AI at scale");
    assert_eq!(
        by_to["fay@example.com"].subject,
        "Thanks for coming to Cloud Summit 2026"
    );
    assert!(!by_to.contains_key("dee@example.com") && !by_to.contains_key("eve@example.com"));

    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    for row in &ledger {
        let mail = by_to[row.email.as_str()];
        let parsed = MessageParser::default().parse(&mail.raw).unwrap();
        assert_eq!(
            parsed.message_id(),
            row.message_id.as_deref(),
            "ledger keeps the Message-ID"
        );
        assert!(
            row.smtp_reply.as_deref().unwrap().starts_with("250 "),
            "{row:?}"
        );
        let unsubscribe = parsed.header_raw("List-Unsubscribe").unwrap();
        let web = list_unsubscribe_url(unsubscribe, "http");
        assert!(web.starts_with(&format!("{}/u/", app.address)), "{web}");
        let mailto = list_unsubscribe_url(unsubscribe, "mailto:");
        assert!(
            mailto.starts_with("mailto:unsubscribe@badgetrail.example?subject=unsubscribe%20"),
            "{mailto}"
        );
        assert_eq!(
            parsed.header_raw("List-Unsubscribe-Post").unwrap().trim(),
            "List-Unsubscribe=One-Click"
        );
        let list_id = parsed.header_raw("List-Id").unwrap();
        let topic = if row.topic.is_empty() {
            "general"
        } else {
            &row.topic
        };
        assert!(
            list_id.contains(&format!("<{topic}.cloud-summit-2026.badgetrail.example>")),
            "{list_id}"
        );
        let text = parsed.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(
            text.contains("Cloud Summit GmbH\nMesseweg 1\n10115 Berlin"),
            "{text}"
        );
        let html = parsed.body_html(0).unwrap();
        assert!(html.contains("Messeweg 1"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
    // Fay's name is data in both parts: escaped in HTML, as typed in text.
    let fay = MessageParser::default()
        .parse(&by_to["fay@example.com"].raw)
        .unwrap();
    assert!(
        fay.body_html(0).unwrap().contains("&lt;script&gt;alert("),
        "escaped"
    );
    assert!(
        fay.body_text(0)
            .unwrap()
            .contains("Hello <script>alert('x')</script>,")
    );
    // Click tracking: the call to action goes through a signed redirect to the real link.
    let ada = MessageParser::default()
        .parse(&by_to["ada@example.com"].raw)
        .unwrap();
    // (minijinja also escapes '/' in attribute values; browsers read it back as '/'.)
    let html = ada
        .body_html(0)
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert!(
        html.contains(&format!("href=\"{}/t/c/", app.address)),
        "{html}"
    );

    // One-click unsubscribe straight from the received header.
    let web = list_unsubscribe_url(
        MessageParser::default()
            .parse(&by_to["bob@example.com"].raw)
            .unwrap()
            .header_raw("List-Unsubscribe")
            .unwrap(),
        "http",
    );
    let r = reqwest::Client::new()
        .post(&web)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.ctx
            .store
            .campaigns()
            .suppressions_of("bob@example.com")
            .await
            .unwrap(),
        ["unsubscribed"]
    );

    // A second campaign: Bob is unsubscribed, everyone else got one within 72 hours.
    let second = campaign(&app, &event, "second", CAMPAIGN_FILE).await;
    let view = badgetrail::edm::audience(&app.ctx, &second, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(view.summary.recipients, 0);
    use badgetrail::domain::campaigns::audience::Exclusion;
    assert_eq!(
        view.plan.exclusion_of(ids[1]),
        Some(Exclusion::Unsubscribed)
    );
    assert_eq!(
        view.plan.exclusion_of(ids[0]),
        Some(Exclusion::RecentlyEmailed)
    );
}

async fn an_unsubscribe_during_a_campaign_stops_the_next_message(db: Db) {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let adjust = smtp(&sink);
    let Some(app) = spawn_app_with(db, |s| {
        adjust(s);
        // Slow and one at a time, so the unsubscribe lands mid-campaign.
        s.edm.rate_per_second = 5;
        s.edm.connections = 1;
        s.edm.batch = 2;
    })
    .await
    else {
        return;
    };
    let event = app.seed_event().await;
    let people: Vec<(String, String)> = (0..8)
        .map(|i| (format!("Person {i}"), format!("p{i}@example.com")))
        .collect();
    let refs: Vec<(&str, &str, bool)> = people
        .iter()
        .map(|(n, e)| (n.as_str(), e.as_str(), true))
        .collect();
    register(&app, &event, &refs).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap();
    let last = ledger.last().unwrap().clone();

    let sender = {
        let ctx = app.ctx.clone();
        tokio::spawn(async move { edm_send::run_once(&ctx).await.unwrap() })
    };
    sink.received(1);
    let token = app.ctx.edm.signer.unsubscribe_token(last.id);
    let r = reqwest::Client::new()
        .post(app.url(&format!("/u/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let run = sender.await.unwrap();
    assert_eq!((run.sent, run.skipped), (7, 1), "{run:?}");
    let received: Vec<String> = sink
        .received(7)
        .into_iter()
        .flat_map(|r| r.rcpt_to)
        .collect();
    assert!(!received.contains(&last.email), "{received:?}");
    // The run has ended and every message of the campaign is settled in the ledger, none
    // claimed for sending: nothing more can go out. The sink stores a message before it
    // acknowledges it, so everything sent is already there.
    let states: Vec<(String, String)> = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.email, r.state))
        .collect();
    let settled = |(email, state): &(String, String)| {
        if *email == last.email {
            state == "skipped"
        } else {
            state == "sent"
        }
    };
    assert!(states.iter().all(settled), "{states:?}");
    assert_eq!(eml_files(&sink.received).len(), 7, "nothing more arrived");
}

async fn a_refused_recipient_is_a_hard_bounce_and_a_deferral_is_retried(db: Db) {
    for (reply, permanent) in [
        ("550 5.1.1 No such user", true),
        ("451 4.3.0 Try again later", false),
    ] {
        let Some(sink) = SmtpSink::start(SinkOptions {
            rcpt_reply: reply,
            ..SinkOptions::default()
        }) else {
            return;
        };
        let Some(app) = spawn_app_with(db, smtp(&sink)).await else {
            return;
        };
        let event = app.seed_event().await;
        register(
            &app,
            &event,
            &[
                ("Ada", "ada@example.com", true),
                ("No One", "nobody@example.com", true),
            ],
        )
        .await;
        let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
        badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
            .await
            .unwrap();
        let run = edm_send::run_once(&app.ctx).await.unwrap();
        assert_eq!(run.sent, 1, "{reply}: {run:?}");
        let ledger = app
            .ctx
            .store
            .campaigns()
            .campaign_ledger(c.id)
            .await
            .unwrap();
        let nobody = ledger
            .iter()
            .find(|r| r.email == "nobody@example.com")
            .unwrap();
        let suppressions = app
            .ctx
            .store
            .campaigns()
            .suppressions_of("nobody@example.com")
            .await
            .unwrap();
        if permanent {
            assert_eq!(nobody.state, "failed");
            assert_eq!(suppressions, ["hard_bounce"]);
            let report = app
                .ctx
                .store
                .campaigns()
                .campaign_report(c.id)
                .await
                .unwrap();
            assert_eq!(report.iter().map(|l| l.bounced).sum::<i64>(), 1);
            assert_eq!(
                app.ctx
                    .store
                    .campaigns()
                    .campaign(c.id)
                    .await
                    .unwrap()
                    .unwrap()
                    .state,
                "done"
            );
        } else {
            assert_eq!(
                (nobody.state.as_str(), nobody.attempts),
                ("queued", 1),
                "retried later"
            );
            assert!(nobody.last_error.as_deref().unwrap().contains("451"));
            assert!(suppressions.is_empty());
            assert_eq!(run.retrying, 1);
            assert_eq!(
                app.ctx
                    .store
                    .campaigns()
                    .campaign(c.id)
                    .await
                    .unwrap()
                    .unwrap()
                    .state,
                "sending"
            );
        }
        assert_eq!(sink.received(1)[0].rcpt_to, ["ada@example.com"]);
    }
}

async fn the_rate_limit_spaces_messages_out(db: Db) {
    const RATE: u32 = 20;
    const COUNT: usize = 21;
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let adjust = smtp(&sink);
    let Some(app) = spawn_app_with(db, |s| {
        adjust(s);
        s.edm.rate_per_second = RATE;
        s.edm.connections = 4;
    })
    .await
    else {
        return;
    };
    let event = app.seed_event().await;
    let people: Vec<(String, String)> = (0..COUNT)
        .map(|i| (format!("Person {i}"), format!("p{i}@example.com")))
        .collect();
    let refs: Vec<(&str, &str, bool)> = people
        .iter()
        .map(|(n, e)| (n.as_str(), e.as_str(), true))
        .collect();
    register(&app, &event, &refs).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(run.sent, COUNT);
    sink.received(COUNT);
    // Arrival times as the server wrote them.
    let times: Vec<SystemTime> = eml_files(&sink.received)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    let span = times
        .iter()
        .max()
        .unwrap()
        .duration_since(*times.iter().min().unwrap())
        .unwrap();
    // 21 messages at 20/s need at least 1 s between the first and the last; allow for
    // scheduling noise with a generous lower bound and no upper bound.
    let floor = Duration::from_millis(((COUNT - 1) as u64 * 1000 / RATE as u64) * 7 / 10);
    println!(
        "rate limit {RATE}/s: {COUNT} messages arrived over {span:?} (sender took {elapsed:?})"
    );
    assert!(
        span >= floor,
        "arrivals spanned {span:?}, expected at least {floor:?}"
    );
    assert!(elapsed >= floor);
}

/// Verifies a message with dkimpy, an independent DKIM implementation, given the DNS record.
const VERIFY_PY: &str = r#"
import sys, dkim
message = open(sys.argv[1], "rb").read()
record = sys.argv[2].encode()
print("pass" if dkim.verify(message, dnsfunc=lambda name, timeout=5: record) else "fail")
"#;

fn dkim_verify(dir: &std::path::Path, raw: &[u8], record: &str) -> String {
    let script = dir.join("verify.py");
    std::fs::write(&script, VERIFY_PY).unwrap();
    let file = dir.join("message.eml");
    std::fs::write(&file, raw).unwrap();
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .arg(record)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dkimpy (python3 -m pip install dkimpy pynacl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn dkim_signatures_cover_the_list_headers_and_verify(db: Db) {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let key_file = keys.path().join("dkim.key");
    std::fs::write(&key_file, data_encoding::BASE64.encode(&seed)).unwrap();
    let public = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    let record = format!(
        "v=DKIM1; k=ed25519; p={}",
        data_encoding::BASE64.encode(&public)
    );
    let adjust = smtp(&sink);
    let Some(app) = spawn_app_with(db, move |s| {
        adjust(s);
        s.edm.dkim = Some(badgetrail::edm::DkimSettings {
            selector: "bt2026".into(),
            domain: "badgetrail.example".into(),
            algorithm: "ed25519".into(),
            key_file,
        });
    })
    .await
    else {
        return;
    };
    let event = app.seed_event().await;
    register(&app, &event, &[("Ada Lovelace", "ada@example.com", true)]).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(edm_send::run_once(&app.ctx).await.unwrap().sent, 1);
    let raw = sink.received(1).remove(0).raw;
    let parsed = MessageParser::default().parse(&raw).unwrap();
    let signature = parsed
        .header_raw("DKIM-Signature")
        .unwrap()
        .replace([' ', '\t', '\r', '\n'], "");
    let signed: Vec<String> = signature
        .split(';')
        .find_map(|tag| tag.strip_prefix("h="))
        .unwrap()
        .split(':')
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for h in [
        "from",
        "subject",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-id",
    ] {
        assert!(signed.iter().any(|s| s == h), "{h} not signed: {signature}");
    }
    assert!(signature.contains("d=badgetrail.example") && signature.contains("s=bt2026"));
    assert_eq!(dkim_verify(keys.path(), &raw, &record), "pass");

    // Changing the unsubscribe link breaks the signature.
    let text = String::from_utf8(raw.clone()).unwrap();
    let tampered = text.replacen("/u/", "/u/X", 1);
    assert_ne!(tampered, text);
    assert_eq!(
        dkim_verify(keys.path(), tampered.as_bytes(), &record),
        "fail"
    );
}
