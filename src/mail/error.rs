//! `MailError`: why a message could not be composed or a transport could not be set up.

/// Raised before anything is sent: bad templates, addresses or settings.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("could not render the {template} template")]
    Template {
        template: &'static str,
        #[source]
        source: askama::Error,
    },
    #[error("invalid {field} address: {reason}")]
    Address { field: &'static str, reason: String },
    #[error("could not build the message")]
    Build(#[from] lettre::error::Error),
    #[error("invalid mail settings: {0}")]
    Settings(String),
}
