//! Everything the flows share, built once from the settings: store, badge keys, mail transport.

use std::sync::Arc;

use anyhow::Context as _;
use secrecy::ExposeSecret;

use crate::{badges::BadgeIssuer, config::Settings, mail::MailTransport, store::Store};

mod edm;

pub use edm::EdmRuntime;

/// Shared by the web server, the CLI commands and the background jobs. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub badges: Arc<BadgeIssuer>,
    pub mail: Arc<MailTransport>,
    /// Follow-up email campaigns: link signer, their own transport, DKIM.
    pub edm: Arc<EdmRuntime>,
}

impl Context {
    /// Connects to the database (migrating it) and sets up the mail transport.
    pub async fn build(settings: Settings) -> anyhow::Result<Context> {
        install_tls_provider();
        let store = Store::connect(
            settings.database_url.expose_secret(),
            settings.database_max_connections,
        )
        .await
        .with_context(|| {
            format!(
                "opening database {}",
                crate::config::redact_url(settings.database_url.expose_secret())
            )
        })?;
        // Registrations from before the data pool, or left over by a failure.
        let resolved = crate::pool::resolve_all(&store)
            .await
            .context("resolving registrations to people and companies")?;
        if resolved > 0 {
            tracing::info!(registrations = resolved, "resolved to people and companies");
        }
        let mail = MailTransport::from_settings(&settings.mail).context("setting up mail")?;
        let edm = EdmRuntime::build(&settings, &store)
            .await
            .context("setting up campaign email")?;
        let badges = BadgeIssuer::new(
            store.clone(),
            settings.key_storage,
            settings.keys_dir.clone(),
        );
        Ok(Context {
            settings: Arc::new(settings),
            store,
            badges: Arc::new(badges),
            mail: Arc::new(mail),
            edm: Arc::new(edm),
        })
    }
}

/// Makes rustls use the ring provider (the one the database and SMTP clients use) for
/// every HTTPS client in the process, such as the lead webhook's. Safe to call again.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
