//! A real SMTP server (Python's aiosmtpd) on loopback that stores what it receives, with
//! STARTTLS, implicit TLS, AUTH and refused recipients on demand.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use badgetrail::mail::{MailSettings, MailTransport, SmtpSecurity, TransportKind};

use super::app::cannot_run;

/// The sender of the messages the tests send through the sink.
pub const FROM: &str = "Cloud Summit <noreply@badgetrail.example>";

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
    /// (`app::cannot_run`).
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

    pub(crate) fn transport(&self) -> MailTransport {
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
