//! Snapshots of what people receive and download: the badge email and a follow-up (campaign)
//! email as the app writes them to the outbox, and the lead report's JSON. What changes from
//! run to run (the app's address, signed tokens) is replaced by fixed names first, and the
//! date, message id and MIME boundaries are left out. `tests/api/snapshots/` holds the
//! reviewed copies: a run fails when one is missing or differs (`INSTA_UPDATE=no` in
//! `./scripts/test`), and `cargo insta review` accepts a deliberate change.

use badgetrail::{
    domain::user::Role,
    jobs::{badge_mail, edm_send},
};
use jiff::Timestamp;
use mail_parser::{Message, MessageParser, MimeHeaders};

use crate::{
    on_both_backends,
    support::{
        app::{Db, TestApp, spawn_app},
        campaign::{CAMPAIGN_FILE, audience, campaign},
        forms::{register_badge, valid_form},
        stored_leads::{fixture, record_outcomes},
    },
};

on_both_backends!(
    the_badge_email_is_as_reviewed,
    a_follow_up_email_is_as_reviewed,
    the_lead_report_json_is_as_reviewed,
);

/// Where the app's own address stood.
const APP: &str = "http://app.test";

async fn the_badge_email_is_as_reviewed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    register_badge(&app, &valid_form("ada@example.com")).await;
    assert_eq!(badge_mail::run_once(&app.ctx).await.unwrap().sent, 1);

    let raw = sent_to(&app, "ada@example.com");
    let message = MessageParser::default().parse(&raw).unwrap();
    insta::assert_snapshot!("badge_email_headers", headers(&app, &message));
    insta::assert_snapshot!("badge_email_text", text_body(&app, &message));
    insta::assert_snapshot!("badge_email_html", html_body(&app, &message));
}

async fn a_follow_up_email_is_as_reviewed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    // Ada is a tier-A lead on big data: the campaign's tier-A variant of that topic.
    let (event, _) = audience(&app).await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    badgetrail::edm::start(&app.ctx, &c, Timestamp::now())
        .await
        .unwrap();
    edm_send::run_once(&app.ctx).await.unwrap();

    let raw = sent_to(&app, "ada@example.com");
    let message = MessageParser::default().parse(&raw).unwrap();
    insta::assert_snapshot!("follow_up_email_headers", headers(&app, &message));
    insta::assert_snapshot!("follow_up_email_text", text_body(&app, &message));
    insta::assert_snapshot!("follow_up_email_html", html_body(&app, &message));
}

async fn the_lead_report_json_is_as_reviewed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    record_outcomes(&app, &f).await;
    app.login_as(Role::Marketer).await;
    let r = app
        .get(&format!("/admin/events/{}/leads/report.json", f.slug))
        .await;
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    insta::assert_json_snapshot!("lead_report", report);
}

/// The one message in the outbox addressed to `to`, as written.
fn sent_to(app: &TestApp, to: &str) -> Vec<u8> {
    let mut found: Vec<Vec<u8>> = std::fs::read_dir(app.outbox())
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .filter(|raw| {
            MessageParser::default().parse(raw).is_some_and(|m| {
                m.to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .is_some_and(|a| a.eq_ignore_ascii_case(to))
            })
        })
        .collect();
    assert_eq!(found.len(), 1, "one message to {to} in the outbox");
    found.remove(0)
}

/// The headers a person or a mail client acts on, then the MIME parts' types in order.
fn headers(app: &TestApp, message: &Message<'_>) -> String {
    let mut out = String::new();
    for name in [
        "From",
        "To",
        "Subject",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ] {
        if let Some(value) = message.header_raw(name) {
            out.push_str(&format!("{name}: {}\n", value.trim()));
        }
    }
    out.push_str("parts:\n");
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let kind = match ct.subtype() {
            Some(sub) => format!("{}/{sub}", ct.ctype()),
            None => ct.ctype().to_owned(),
        };
        let name = part.attachment_name().map(|n| format!(" ({n})"));
        out.push_str(&format!("  {kind}{}\n", name.unwrap_or_default()));
    }
    normalise(app, &out)
}

fn text_body(app: &TestApp, message: &Message<'_>) -> String {
    normalise(app, &message.body_text(0).expect("a text body"))
}

fn html_body(app: &TestApp, message: &Message<'_>) -> String {
    normalise(app, &message.body_html(0).expect("an HTML body"))
}

/// The app's address (its port changes) as `APP`, also where HTML escapes its slashes, and
/// every signed token (a run of at least 24 URL-safe characters with a digit or a capital
/// letter in it: base64 of random bytes without a digit happens about once in 40 tokens) as
/// `[token]`.
fn normalise(app: &TestApp, text: &str) -> String {
    let escaped = |url: &str| url.replace('/', "&#x2f;");
    let text = text
        .replace(&app.address, APP)
        .replace(&escaped(&app.address), &escaped(APP))
        .replace("\r\n", "\n");
    let token_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    fn flush(run: &mut String, out: &mut String) {
        if run.len() >= 24
            && run
                .chars()
                .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        {
            out.push_str("[token]");
        } else {
            out.push_str(run);
        }
        run.clear();
    }
    for c in text.chars() {
        if token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
