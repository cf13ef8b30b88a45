//! Badge email delivery, checked end to end: a real SMTP server (aiosmtpd) on loopback
//! receives what `MailTransport` sends, and a real MIME parser reads it back.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use badgetrail::domain::email::Email;
use badgetrail::mail::{
    BadgeEmail, MailSettings, MailTransport, Receipt, SendError, SmtpSecurity, TransportKind,
    compose_badge_email,
};
use mail_parser::{MessageParser, MimeHeaders};

use crate::helpers::cannot_run;

const FROM: &str = "Cloud Summit <noreply@badgetrail.example>";
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
const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUGHhFrs+YmvdIjjyWL69F5E7nVx8wCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSYmFkZ2V0cmFpbCB0ZXN0IENBMCAXDTI1MDEwMTAwMDAwMFoY
DzIxMjUwMTAxMDAwMDAwWjAdMRswGQYDVQQDDBJiYWRnZXRyYWlsIHRlc3QgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQZdCT9kLPuMDiyY2X0T8knrzjwJpmA
+FGEIfr6EH2z5lkOWl6qJMyoqKuYktFD4tvVLC6gBz5EawabN2eAkfMoo0UwQzAS
BgNVHRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU3ViI
TQmzlIoeCF4z0xEca/9CU3AwCgYIKoZIzj0EAwIDSAAwRQIgI5PA3UkUMico58Kt
lUjljuKbTaQtJ4qizJwsiz+n66oCIQC7GO/5AtVUAQ/DtmR2tb/urf2tQQDvc0Al
y9kqxytUfQ==
-----END CERTIFICATE-----
";
const TEST_SERVER_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBpjCCAU2gAwIBAgIUDacxcW6EhVYEaWSXYWd4h0EgKXYwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSYmFkZ2V0cmFpbCB0ZXN0IENBMCAXDTI1MDEwMTAwMDAwMFoY
DzIxMjUwMTAxMDAwMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjO
PQIBBggqhkjOPQMBBwNCAARB/MmoPhOpaVeXm4cQxMqY49s9CMru83uSSrHsVro4
brjcDJn24SviBO4/WPe+19+nfwNsqxK1z6hZOjSO3Q6go3IwcDAaBgNVHREEEzAR
hwR/AAABgglsb2NhbGhvc3QwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4Aw
EwYDVR0lBAwwCgYIKwYBBQUHAwEwHwYDVR0jBBgwFoAU3ViITQmzlIoeCF4z0xEc
a/9CU3AwCgYIKoZIzj0EAwIDRwAwRAIgANmRXtYk+FVm5w7ZVIvzQ2UFd+jd3XEb
0zb/oeZ6lkUCIFsw7HYF0+7g9JZ3lABvyh8b7NwZLEDDLjQrvhKh4Gc3
-----END CERTIFICATE-----
";
const TEST_SERVER_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5xJCXsYH3iCSnVrq
BUzoNhCYHs3SQoZBupvSNQ7uwQqhRANCAARB/MmoPhOpaVeXm4cQxMqY49s9CMru
83uSSrHsVro4brjcDJn24SviBO4/WPe+19+nfwNsqxK1z6hZOjSO3Q6g
-----END PRIVATE KEY-----
";

/// The SMTP server: prints its port once listening, stores each message as NNNNNN.eml
/// (raw DATA) beside NNNNNN.envelope (MAIL FROM, then one RCPT TO a line) before it
/// acknowledges it, names the client's port in its reply so tests can tell sessions apart,
/// keeps the number of connections open in `sessions` beside the received folder, and exits
/// when its stdin closes, that is when the test process goes away.
const SINK_PY: &str = r#"
import asyncio, logging, os, ssl, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

logging.getLogger("mail.log").setLevel(logging.ERROR)
out_dir, rcpt_reply, security, cert, key, user, password = sys.argv[1:8]

class Sink:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if rcpt_reply and address.startswith("nobody@"):
            return rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(out_dir, "%06d" % self.count)
        with open(base + ".envelope.part", "w") as f:
            f.write("\n".join([envelope.mail_from, *envelope.rcpt_tos]))
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".envelope.part", base + ".envelope")
        os.rename(base + ".eml.part", base + ".eml")
        return "250 2.0.0 Ok: queued as %06d (session %d)" % (self.count, session.peer[1])

open_sessions = set()

def count_sessions():
    path = os.path.join(os.path.dirname(out_dir), "sessions")
    with open(path + ".part", "w") as f:
        f.write(str(len(open_sessions)))
    os.rename(path + ".part", path)

class Session(SMTP):
    """Counts open connections. Once a connection is lost its session delivers nothing more:
    aiosmtpd cancels the session's handling, and handle_DATA never waits inside."""

    def connection_made(self, transport):
        super().connection_made(transport)
        open_sessions.add(id(self))
        count_sessions()

    def connection_lost(self, error):
        super().connection_lost(error)
        open_sessions.discard(id(self))
        count_sessions()

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode() and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)

context = None
if security != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
handler = Sink()

def session():
    return Session(handler, hostname="sink.test", loop=loop,
                tls_context=context if security == "starttls" else None,
                require_starttls=security == "starttls",
                authenticator=authenticate if user else None,
                auth_required=bool(user),
                auth_require_tls=security != "none")

server = loop.run_until_complete(loop.create_server(
    session, "127.0.0.1", 0, ssl=context if security == "tls" else None))
print(server.sockets[0].getsockname()[1], flush=True)

def exit_with_parent():
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=exit_with_parent, daemon=True).start()
loop.run_forever()
"#;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Security {
    None,
    StartTls,
    Tls,
}

pub(crate) struct SinkOptions {
    /// Reply to RCPT TO for nobody@... instead of accepting, e.g. "550 5.1.1 No such user".
    pub(crate) rcpt_reply: &'static str,
    pub(crate) security: Security,
    /// AUTH required with these credentials.
    pub(crate) login: Option<(&'static str, &'static str)>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            rcpt_reply: "",
            security: Security::None,
            login: None,
        }
    }
}

/// A running aiosmtpd process; killed when dropped.
pub(crate) struct SmtpSink {
    child: Child,
    pub(crate) port: u16,
    security: Security,
    files: tempfile::TempDir,
    pub(crate) received: PathBuf,
}

pub(crate) struct Received {
    pub(crate) rcpt_to: Vec<String>,
    pub(crate) raw: Vec<u8>,
}

impl SmtpSink {
    /// Starts the server, or returns `None` when aiosmtpd is missing and skips are allowed
    /// (`helpers::cannot_run`).
    pub(crate) fn start(options: SinkOptions) -> Option<SmtpSink> {
        if !aiosmtpd_installed() {
            cannot_run(
                "Python's aiosmtpd is not installed",
                "./scripts/test installs it (python3 -m pip install aiosmtpd)",
            );
            return None;
        }
        let files = tempfile::tempdir().unwrap();
        let received = files.path().join("received");
        std::fs::create_dir(&received).unwrap();
        let script = files.path().join("sink.py");
        std::fs::write(&script, SINK_PY).unwrap();
        let cert = files.path().join("server.pem");
        std::fs::write(&cert, TEST_SERVER_CERT_PEM).unwrap();
        let key = files.path().join("server.key");
        std::fs::write(&key, TEST_SERVER_KEY_PEM).unwrap();
        std::fs::write(files.path().join("ca.pem"), TEST_CA_PEM).unwrap();

        let security = match options.security {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        };
        let (user, password) = options.login.unwrap_or(("", ""));
        let mut child = Command::new("python3")
            .arg(&script)
            .args([received.as_os_str(), options.rcpt_reply.as_ref()])
            .args([security.as_ref(), cert.as_os_str(), key.as_os_str()])
            .args([user, password])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be on PATH to run the SMTP tests");

        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut sink = SmtpSink {
            child,
            port: 0,
            security: options.security,
            files,
            received,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMTP sink did not start within 30 s");
        sink.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink failed to start (printed {line:?})"));
        sink.wait_until_listening();
        Some(sink)
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "SMTP sink not accepting on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn settings(&self) -> MailSettings {
        MailSettings {
            from: FROM.to_owned(),
            transport: TransportKind::Smtp,
            smtp_host: "127.0.0.1".to_owned(),
            smtp_port: self.port,
            smtp_security: match self.security {
                Security::None => SmtpSecurity::None,
                Security::StartTls => SmtpSecurity::StartTls,
                Security::Tls => SmtpSecurity::Tls,
            },
            smtp_ca_file: Some(self.files.path().join("ca.pem")),
            smtp_timeout_secs: 10,
            ..MailSettings::default()
        }
    }

    fn transport(&self) -> MailTransport {
        MailTransport::from_settings(&self.settings()).unwrap()
    }

    /// Waits (bounded) until no client is connected. Once every client has gone away, what
    /// the sink received is all it will ever receive from them.
    pub(crate) fn wait_until_no_session_is_open(&self) {
        let file = self.files.path().join("sessions");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let open = std::fs::read_to_string(&file).unwrap_or_default();
            if open.trim() == "0" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "SMTP sessions still open after 30 s: {open}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The first `count` messages received, waiting (bounded) for them to land.
    pub(crate) fn received(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut names: Vec<PathBuf> = std::fs::read_dir(&self.received)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
                .collect();
            if names.len() >= count {
                names.sort();
                return names[..count]
                    .iter()
                    .map(|eml| Received {
                        rcpt_to: std::fs::read_to_string(eml.with_extension("envelope"))
                            .unwrap()
                            .lines()
                            .skip(1)
                            .map(str::to_owned)
                            .collect(),
                        raw: std::fs::read(eml).unwrap(),
                    })
                    .collect();
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                names.len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn aiosmtpd_installed() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
