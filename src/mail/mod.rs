//! Email: badge messages composed from templates, delivered to a file outbox or over SMTP.

mod compose;
mod error;
mod exchange;
mod outbox;
mod settings;
mod smtp;
mod transport;

pub use compose::{BadgeEmail, compose_badge_email};
pub use error::MailError;
pub use outbox::Outbox;
pub use settings::{MailSettings, SmtpSecurity, TransportKind};
pub use smtp::SmtpRelay;
pub use transport::{MailTransport, Receipt, SendError, message_id};
