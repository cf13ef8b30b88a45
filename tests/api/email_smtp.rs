//! Badge email delivery, checked end to end: a real SMTP server (aiosmtpd) on loopback
//! receives what `MailTransport` sends, and a real MIME parser reads it back.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use badgetrail::domain::email::Email;
use badgetrail::mail::{
    BadgeEmail, MailSettings, MailTransport, Receipt, SendError, TransportKind, compose_badge_email,
};
use mail_parser::{MessageParser, MimeHeaders};

use crate::support::{
    server_process::free_port,
    smtp_sink::{FROM, Security, SinkOptions, SmtpSink},
};

const BADGE_URL: &str = "https://badgetrail.example/badges/7f3a9c?sig=abc&v=2";

/// A 1x1 grey PNG.
const QR_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

// A throwaway CA and a server certificate for 127.0.0.1 and localhost, valid 2025-2125.

fn badge<'a>(to: &'a Email, name: &'a str, event: &'a str) -> BadgeEmail<'a> {
    BadgeEmail {
        to,
        to_name: name,
        first_name: name,
        company: name,
        event_name: event,
        event_venue: "Hall 3, Messe Berlin",
        event_dates: "12-13 May 2026",
        badge_url: BADGE_URL,
        manage_url: "https://badgetrail.example/me/AAAA",
        qr_png: QR_PNG,
    }
}

/// The client port the sink named in its reply: one per SMTP session.
fn session_of(receipt: &Receipt) -> &str {
    let (_, session) = receipt
        .detail
        .rsplit_once("(session ")
        .expect("a sink reply");
    session
}

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(raw)
        .expect("a parseable RFC 5322 message")
}

/// Undoes HTML escaping, in either entity style.
fn unescape_html(html: &str) -> String {
    [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |text, (entity, c)| text.replace(entity, c))
}

#[tokio::test]
async fn smtp_delivers_the_badge_email_with_the_qr_inline_and_attached() {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let transport = sink.transport();
    let to = Email::parse("ada@example.com").unwrap();
    let message = compose_badge_email(FROM, &badge(&to, "Ada Lovelace", "Cloud Summit")).unwrap();

    let receipt = transport.send(&message).await.unwrap();
    transport.close().await;

    assert!(receipt.detail.starts_with("250 "), "{}", receipt.detail);
    assert!(
        receipt.detail.contains("queued as 000001"),
        "{}",
        receipt.detail
    );
    let received = sink.received(1);
    assert_eq!(received[0].rcpt_to, ["ada@example.com"]);
    let parsed = parse(&received[0].raw);

    assert_eq!(parsed.subject(), Some("Your badge for Cloud Summit"));
    let to_header = parsed.to().unwrap().first().unwrap();
    assert_eq!(to_header.name(), Some("Ada Lovelace"));
    assert_eq!(to_header.address(), Some("ada@example.com"));
    let from_header = parsed.from().unwrap().first().unwrap();
    assert_eq!(from_header.address(), Some("noreply@badgetrail.example"));
    assert_eq!(parsed.message_id(), Some(receipt.message_id.as_str()));
    assert!(!receipt.message_id.is_empty());

    let top = parsed.content_type().unwrap();
    assert_eq!((top.ctype(), top.subtype()), ("multipart", Some("mixed")));

    let text = parsed.body_text(0).unwrap();
    assert!(text.contains(BADGE_URL), "{text}");
    assert!(text.contains("Hello Ada Lovelace,"), "{text}");

    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("cid:badge-qr@badgetrail"), "{html}");
    assert!(unescape_html(&html).contains(BADGE_URL), "{html}");

    let inline: Vec<_> = parsed
        .parts
        .iter()
        .filter(|part| part.content_id().is_some())
        .collect();
    assert_eq!(inline.len(), 1, "one inline image");
    let content_id = inline[0].content_id().unwrap();
    assert_eq!(content_id.trim_matches(['<', '>']), "badge-qr@badgetrail");
    assert_eq!(inline[0].content_type().unwrap().ctype(), "image");
    assert_eq!(inline[0].contents(), QR_PNG);

    let attachments: Vec<_> = parsed
        .attachments()
        .filter(|part| part.attachment_name() == Some("badge.png"))
        .collect();
    assert_eq!(attachments.len(), 1, "one badge.png attachment");
    assert_eq!(attachments[0].contents(), QR_PNG);
    assert_eq!(
        attachments[0].content_disposition().unwrap().ctype(),
        "attachment"
    );
}

#[tokio::test]
async fn attendee_text_is_escaped_in_html_and_cannot_inject_headers() {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let transport = sink.transport();
    let name = r#"<script>alert(1)</script> "Bobby" O'Brien & Søns"#;
    let to = Email::parse("bobby@example.com").unwrap();
    let event = "Cloud\r\nBcc: victim@example.com\r\nX-Injected: yes";
    let message = compose_badge_email(FROM, &badge(&to, name, event)).unwrap();

    transport.send(&message).await.unwrap();

    let received = sink.received(1);
    assert_eq!(
        received[0].rcpt_to,
        ["bobby@example.com"],
        "no extra recipient"
    );
    let parsed = parse(&received[0].raw);

    let subject = parsed.subject().unwrap();
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert!(subject.starts_with("Your badge for Cloud"), "{subject:?}");
    assert!(parsed.header("Bcc").is_none());
    assert!(parsed.header("X-Injected").is_none());
    assert_eq!(parsed.to().unwrap().first().unwrap().name(), Some(name));

    let html = parsed.body_html(0).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    assert!(unescape_html(&html).contains(name), "{html}");

    let text = parsed.body_text(0).unwrap();
    assert!(text.contains(name), "the text part reads naturally: {text}");
}

#[tokio::test]
async fn outbox_writes_one_parseable_eml_file_and_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("not-yet-created");
    let transport = MailTransport::from_settings(&MailSettings {
        from: FROM.to_owned(),
        transport: TransportKind::Outbox,
        outbox_dir: outbox_dir.clone(),
        ..MailSettings::default()
    })
    .unwrap();
    let to = Email::parse("ada@example.com").unwrap();
    let message = compose_badge_email(FROM, &badge(&to, "Ada", "Cloud Summit")).unwrap();

    let receipt = transport.send(&message).await.unwrap();
    let second = transport.send(&message).await.unwrap();

    let mut files: Vec<PathBuf> = std::fs::read_dir(&outbox_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f.extension().unwrap() == "eml"));
    assert_eq!(Path::new(&receipt.detail), files[0]);
    assert_eq!(Path::new(&second.detail), files[1]);

    let raw = std::fs::read(&files[0]).unwrap();
    let bare_lf = raw
        .windows(2)
        .filter(|w| w[1] == b'\n' && w[0] != b'\r')
        .count();
    assert_eq!(bare_lf, 0, "lines end in CRLF");
    let parsed = parse(&raw);
    assert_eq!(parsed.message_id(), Some(receipt.message_id.as_str()));
    assert_eq!(parsed.subject(), Some("Your badge for Cloud Summit"));
    assert_eq!(
        parsed
            .attachments()
            .filter(|a| a.attachment_name() == Some("badge.png"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_relays_hundreds_of_messages_quickly() {
    const COUNT: usize = 200;
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let to = Email::parse("ada@example.com").unwrap();
    let message = Arc::new(compose_badge_email(FROM, &badge(&to, "Ada", "Cloud Summit")).unwrap());

    // One session, one message at a time: the per-message round trip.
    let single = MailTransport::from_settings(&MailSettings {
        smtp_pool_size: 1,
        ..sink.settings()
    })
    .unwrap();
    single.send(&message).await.unwrap();
    let started = Instant::now();
    for _ in 0..COUNT {
        single.send(&message).await.unwrap();
    }
    let one_session = started.elapsed();
    single.close().await;

    // The default pool, all messages at once.
    let pool = Arc::new(sink.transport());
    let started = Instant::now();
    let sends: Vec<_> = (0..COUNT)
        .map(|_| {
            let pool = Arc::clone(&pool);
            let message = Arc::clone(&message);
            tokio::spawn(async move { pool.send(&message).await })
        })
        .collect();
    let mut receipts: Vec<Receipt> = Vec::with_capacity(COUNT);
    for send in sends {
        receipts.push(send.await.unwrap().unwrap());
    }
    let pooled = started.elapsed();
    pool.close().await;

    println!(
        "SMTP over loopback: one session {:.0} msgs/s ({:.2} ms each), pool of {} {:.0} msgs/s",
        COUNT as f64 / one_session.as_secs_f64(),
        one_session.as_secs_f64() * 1000.0 / COUNT as f64,
        MailSettings::default().smtp_pool_size,
        COUNT as f64 / pooled.as_secs_f64(),
    );
    assert_eq!(sink.received(2 * COUNT + 1).len(), 2 * COUNT + 1);
    let mut details: Vec<&str> = receipts.iter().map(|r| r.detail.as_str()).collect();
    details.sort();
    details.dedup();
    assert_eq!(details.len(), COUNT, "each message was queued separately");
}

#[tokio::test]
async fn a_refused_recipient_fails_that_message_only() {
    let ada = Email::parse("ada@example.com").unwrap();
    let nobody = Email::parse("nobody@example.com").unwrap();
    let to_ada = compose_badge_email(FROM, &badge(&ada, "Ada", "Cloud Summit")).unwrap();
    let to_nobody = compose_badge_email(FROM, &badge(&nobody, "No One", "Cloud Summit")).unwrap();

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
        let transport = MailTransport::from_settings(&MailSettings {
            smtp_pool_size: 1,
            ..sink.settings()
        })
        .unwrap();

        let before = transport.send(&to_ada).await.unwrap();
        match (transport.send(&to_nobody).await, permanent) {
            (Err(SendError::Permanent(reason)), true)
            | (Err(SendError::Transient(reason)), false) => {
                assert!(reason.contains(&reply[4..]), "{reason}");
            }
            (other, _) => panic!("{reply}: unexpected outcome {other:?}"),
        }
        let after = transport.send(&to_ada).await.unwrap();

        assert_eq!(
            session_of(&before),
            session_of(&after),
            "the session survives a refusal"
        );
        let received = sink.received(2);
        assert!(received.iter().all(|r| r.rcpt_to == ["ada@example.com"]));
    }
}

#[tokio::test]
async fn an_unreachable_relay_is_a_transient_failure() {
    let port = free_port();
    let transport = MailTransport::from_settings(&MailSettings {
        transport: TransportKind::Smtp,
        smtp_host: "127.0.0.1".to_owned(),
        smtp_port: port,
        ..MailSettings::default()
    })
    .unwrap();
    let to = Email::parse("ada@example.com").unwrap();
    let message = compose_badge_email(FROM, &badge(&to, "Ada", "Cloud Summit")).unwrap();
    assert!(matches!(
        transport.send(&message).await,
        Err(SendError::Transient(_))
    ));
}

#[tokio::test]
async fn starttls_upgrades_the_session_before_auth_and_mail() {
    let Some(sink) = SmtpSink::start(SinkOptions {
        security: Security::StartTls,
        login: Some(("badgetrail", "s3cret")),
        ..SinkOptions::default()
    }) else {
        return;
    };
    let to = Email::parse("ada@example.com").unwrap();
    let message = compose_badge_email(FROM, &badge(&to, "Ada", "Cloud Summit")).unwrap();

    let transport = MailTransport::from_settings(&MailSettings {
        smtp_username: Some("badgetrail".to_owned()),
        smtp_password: Some("s3cret".into()),
        ..sink.settings()
    })
    .unwrap();
    let receipt = transport.send(&message).await.unwrap();
    let second = transport.send(&message).await.unwrap();
    transport.close().await;
    assert_eq!(
        session_of(&receipt),
        session_of(&second),
        "one session, reused"
    );
    let received = sink.received(2);
    assert_eq!(
        parse(&received[0].raw).message_id(),
        Some(receipt.message_id.as_str())
    );

    let wrong_password = MailTransport::from_settings(&MailSettings {
        smtp_username: Some("badgetrail".to_owned()),
        smtp_password: Some("wrong".into()),
        ..sink.settings()
    })
    .unwrap();
    match wrong_password.send(&message).await {
        Err(SendError::Transient(reason)) => assert!(reason.contains("535"), "{reason}"),
        other => panic!("a refused login is the relay's problem, not the message's: {other:?}"),
    }
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let Some(sink) = SmtpSink::start(SinkOptions {
        security: Security::Tls,
        ..SinkOptions::default()
    }) else {
        return;
    };
    let to = Email::parse("ada@example.com").unwrap();
    let message = compose_badge_email(FROM, &badge(&to, "Ada", "Cloud Summit")).unwrap();

    let transport = sink.transport();
    let receipt = transport.send(&message).await.unwrap();
    transport.close().await;
    assert_eq!(
        parse(&sink.received(1)[0].raw).message_id(),
        Some(receipt.message_id.as_str())
    );
}
