//! Email: badge messages composed from templates, delivered to a file outbox or over SMTP.

mod campaign_compose;
mod compose;
mod error;
mod exchange;
mod outbox;
mod receipt;
mod settings;
mod smtp;
mod staff_notice;
mod transport;

pub use campaign_compose::{
    AlsoBlock, CampaignTemplates, MessageLinks, Personal, RenderedContent, TemplateProblem,
    compose_campaign_email,
};
pub use compose::{BadgeEmail, compose_badge_email};
pub use error::MailError;
pub use outbox::Outbox;
pub use receipt::{Receipt, SendError, message_id};
pub use settings::{MailSettings, SmtpSecurity, TransportKind};
pub use smtp::SmtpRelay;
pub use staff_notice::{StaffNotice, compose_staff_notice};
pub use transport::MailTransport;
