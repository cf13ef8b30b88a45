//! `SmtpRelay`: a small pool of open SMTP sessions to one relay.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Rset;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::exchange::{ExchangeError, transfer};
use super::{MailError, MailSettings, Receipt, SendError, SmtpSecurity, message_id};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A session idle longer than this is checked with NOOP before it carries a message.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(2);

/// Sends messages to one relay over at most `smtp_pool_size` concurrent sessions,
/// keeping finished sessions open for the next message.
pub struct SmtpRelay {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    slots: Semaphore,
    idle: Mutex<Vec<IdleSession>>,
}

struct IdleSession {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl SmtpRelay {
    pub fn from_settings(settings: &MailSettings) -> Result<SmtpRelay, MailError> {
        if settings.smtp_pool_size == 0 {
            return Err(MailError::Settings(
                "smtp_pool_size must be at least 1".into(),
            ));
        }
        let tls = match settings.smtp_security {
            SmtpSecurity::None => None,
            SmtpSecurity::StartTls | SmtpSecurity::Tls => Some(tls_parameters(settings)?),
        };
        let credentials = match (&settings.smtp_username, &settings.smtp_password) {
            (Some(user), Some(password)) => Some(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            (None, None) => None,
            _ => {
                return Err(MailError::Settings(
                    "smtp_username and smtp_password go together".into(),
                ));
            }
        };
        if credentials.is_some() && settings.smtp_security == SmtpSecurity::None {
            tracing::warn!(
                host = %settings.smtp_host,
                "SMTP credentials will travel unencrypted: set smtp_security to starttls or tls"
            );
        }
        Ok(SmtpRelay {
            host: settings.smtp_host.clone(),
            port: settings.smtp_port,
            security: settings.smtp_security,
            tls,
            credentials,
            hello: ClientId::default(),
            timeout: Duration::from_secs(settings.smtp_timeout_secs.max(1)),
            slots: Semaphore::new(settings.smtp_pool_size),
            idle: Mutex::new(Vec::with_capacity(settings.smtp_pool_size)),
        })
    }

    /// Relays `message`; `detail` of the receipt is the relay's reply to the message data.
    pub async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool is closed".into()))?;
        let mut connection = self.checkout().await?;
        let email = message.formatted();
        let sent = tokio::time::timeout(
            self.timeout,
            transfer(&mut connection, message.envelope(), &email),
        )
        .await;
        match sent {
            Ok(Ok(response)) => {
                self.checkin(connection);
                Ok(Receipt {
                    message_id: message_id(message),
                    detail: reply_text(&response),
                })
            }
            Ok(Err(ExchangeError::Refused(err))) => {
                // A refusal ends this message, not the session: RSET and keep it.
                let reset = tokio::time::timeout(self.timeout, connection.command(Rset)).await;
                if matches!(reset, Ok(Ok(_))) {
                    self.checkin(connection);
                } else {
                    connection.abort().await;
                }
                Err(classify(&err))
            }
            Ok(Err(ExchangeError::Unsupported(reason))) => {
                self.checkin(connection);
                Err(SendError::Permanent(reason))
            }
            Ok(Err(ExchangeError::Broken(err))) => {
                connection.abort().await;
                Err(SendError::Transient(err.to_string()))
            }
            Err(_) => Err(SendError::Transient(format!(
                "no reply from {}:{} within {:?}",
                self.host, self.port, self.timeout
            ))),
        }
    }

    /// Says QUIT on every idle session.
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().expect("idle sessions lock"));
        for mut session in idle {
            let _ = tokio::time::timeout(self.timeout, session.connection.quit()).await;
        }
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let session = self.idle.lock().expect("idle sessions lock").pop();
            let Some(mut session) = session else { break };
            if session.since.elapsed() < CHECK_IDLE_AFTER {
                return Ok(session.connection);
            }
            let alive =
                tokio::time::timeout(self.timeout, session.connection.test_connected()).await;
            if alive == Ok(true) {
                return Ok(session.connection);
            }
            session.connection.abort().await;
        }
        match tokio::time::timeout(self.timeout, self.connect()).await {
            Ok(Ok(connection)) => Ok(connection),
            // However the relay answered, nothing about this message was refused yet.
            Ok(Err(err)) => Err(SendError::Transient(format!(
                "could not open an SMTP session with {}:{}: {err}",
                self.host, self.port
            ))),
            Err(_) => Err(SendError::Transient(format!(
                "could not open an SMTP session with {}:{} within {:?}",
                self.host, self.port, self.timeout
            ))),
        }
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            return;
        }
        self.idle
            .lock()
            .expect("idle sessions lock")
            .push(IdleSession {
                connection,
                since: Instant::now(),
            });
    }

    /// Opens a session: greeting, EHLO, TLS as configured, then AUTH if configured.
    async fn connect(&self) -> Result<AsyncSmtpConnection, BoxError> {
        let mut connection = match (self.security, &self.tls) {
            (SmtpSecurity::Tls, Some(tls)) => {
                // lettre opens this socket itself (it cannot start TLS on a stream handed to
                // it before the greeting), so Nagle stays on; `transfer` writes each message
                // in one go so that does not stall.
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                )
                .await?
            }
            _ => {
                let stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
                // Each write here is a command awaiting its reply: Nagle's algorithm can only
                // hold a write back until the relay's delayed ACK (~40 ms), never save a packet.
                stream.set_nodelay(true)?;
                let mut connection =
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                        .await?;
                if let Some(tls) = &self.tls {
                    // Upgrades the same socket, so it keeps TCP_NODELAY.
                    connection.starttls(tls.clone(), &self.hello).await?;
                }
                connection
            }
        };
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(connection)
    }
}

impl Drop for SmtpRelay {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().expect("idle sessions lock"));
        if idle.is_empty() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for mut session in idle {
                    let _ = tokio::time::timeout(CHECK_IDLE_AFTER, session.connection.quit()).await;
                }
            });
        }
    }
}

fn tls_parameters(settings: &MailSettings) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(settings.smtp_host.clone());
    if let Some(path) = &settings.smtp_ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            MailError::Settings(format!("cannot read smtp_ca_file {}: {e}", path.display()))
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            MailError::Settings(format!(
                "smtp_ca_file {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| MailError::Settings(format!("cannot set up TLS: {e}")))
}

/// 5xx means the relay will never take this message; everything else may pass later.
fn classify(err: &lettre::transport::smtp::Error) -> SendError {
    if err.is_permanent() {
        SendError::Permanent(err.to_string())
    } else {
        SendError::Transient(err.to_string())
    }
}

/// The reply as the relay wrote it, e.g. "250 2.0.0 Ok: queued as 4XYZ".
fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
}
