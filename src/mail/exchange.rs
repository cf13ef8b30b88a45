//! One message over an open SMTP session: MAIL FROM, RCPT TO, then the data in a single write.

use std::fmt::{self, Write as _};

use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

/// How an exchange failed, which decides what becomes of the session.
pub(super) enum ExchangeError {
    /// The relay answered 4xx or 5xx; the session can go on after RSET.
    Refused(SmtpError),
    /// The relay lacks an extension this message needs; nothing was sent.
    Unsupported(String),
    /// The session broke (I/O error, unreadable reply) and must be dropped.
    Broken(SmtpError),
}

/// Relays `email` and returns the relay's reply to its data.
///
/// lettre's own `send` writes the message and its terminating "." in two writes, which
/// stalls on Nagle's algorithm wherever TCP_NODELAY could not be set (implicit TLS, where
/// lettre opens the socket); one write avoids that on every session.
pub(super) async fn transfer(
    connection: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    email: &[u8],
) -> Result<Response, ExchangeError> {
    let server = connection.server_info();
    let mut parameters = Vec::new();
    let non_ascii_address = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
    if non_ascii_address {
        if !server.supports_feature(Extension::SmtpUtfEight) {
            return Err(ExchangeError::Unsupported(
                "the relay does not accept non-ASCII addresses (no SMTPUTF8)".into(),
            ));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() {
        if !server.supports_feature(Extension::EightBitMime) {
            return Err(ExchangeError::Unsupported(
                "the relay does not accept 8-bit content (no 8BITMIME)".into(),
            ));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let text = std::str::from_utf8(email)
        .map_err(|_| ExchangeError::Unsupported("the message is not valid UTF-8".into()))?;

    command(connection, Mail::new(envelope.from().cloned(), parameters)).await?;
    for recipient in envelope.to() {
        command(connection, Rcpt::new(recipient.clone(), Vec::new())).await?;
    }
    command(connection, Data).await?;
    command(connection, DataBlock(text)).await
}

async fn command(
    connection: &mut AsyncSmtpConnection,
    command: impl fmt::Display,
) -> Result<Response, ExchangeError> {
    connection.command(command).await.map_err(|err| {
        if err.is_transient() || err.is_permanent() {
            ExchangeError::Refused(err)
        } else {
            ExchangeError::Broken(err)
        }
    })
}

/// A message as sent after DATA: lines starting with "." doubled (RFC 5321 4.5.2),
/// then the "." line that ends it.
struct DataBlock<'a>(&'a str);

impl fmt::Display for DataBlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.0.strip_suffix("\r\n").unwrap_or(self.0);
        for line in body.split("\r\n") {
            if line.starts_with('.') {
                f.write_char('.')?;
            }
            f.write_str(line)?;
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::DataBlock;

    #[test]
    fn doubles_leading_dots_and_terminates() {
        assert_eq!(
            DataBlock("a\r\n.b\r\n..c\r\nd.\r\n").to_string(),
            "a\r\n..b\r\n...c\r\nd.\r\n.\r\n"
        );
        assert_eq!(DataBlock(".\r\nx").to_string(), "..\r\nx\r\n.\r\n");
    }
}
