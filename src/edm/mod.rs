//! Follow-up email (EDM) campaigns: planning the audience, writing each message, controlling
//! the send, and what comes back (unsubscribes, opens, clicks, bounces).

mod files;
mod inbound;
mod message;
mod plan;

pub use crate::config::{DkimSettings, EdmSettings};
pub use files::{FileError, export_campaign_file, import_campaign_file};
pub use inbound::{InboundError, InboundOutcome, read_inbound};
pub use message::{CampaignMailer, Preview, RecipientData};
pub use plan::{AudienceView, StartError, audience, check_contents, control, start};
