//! `EdmRuntime`: what sending campaign email needs at hand, built once from the settings.

use anyhow::Context as _;
use jiff::Timestamp;
use lettre::message::Mailbox;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use secrecy::ExposeSecret;

use crate::{
    config::{DkimSettings, Settings},
    domain::{address_hash::AddressHasher, campaigns::link::LinkSigner, manage_link::ManageLinks},
    mail::{MailSettings, MailTransport},
    store::Store,
};

/// What campaign sending needs at hand, built once: the link signer, a transport of its own
/// (so campaigns never hold up badge emails), the From mailbox and the DKIM key.
pub struct EdmRuntime {
    pub signer: LinkSigner,
    /// Signs the "my registration" links of badge emails; same secret, another purpose.
    pub manage_links: ManageLinks,
    /// Hashes the addresses of erased people, under the same secret as the links.
    pub addresses: AddressHasher,
    pub transport: MailTransport,
    pub from: Mailbox,
    /// Domain of the From address: Message-IDs, List-Id and the unsubscribe mailbox use it.
    pub domain: String,
    pub dkim: Option<DkimConfig>,
}

impl EdmRuntime {
    pub async fn build(settings: &Settings, store: &Store) -> anyhow::Result<EdmRuntime> {
        let edm = &settings.edm;
        let secret = match &edm.link_secret {
            Some(s) => {
                anyhow::ensure!(
                    s.expose_secret().len() >= 32,
                    "edm.link_secret must be at least 32 characters"
                );
                s.expose_secret().as_bytes().to_vec()
            }
            None => {
                let mut fresh = [0u8; 32];
                getrandom::fill(&mut fresh).context("no OS randomness")?;
                store.events().link_secret(&fresh, Timestamp::now()).await?
            }
        };
        let from_text = edm.from.as_deref().unwrap_or(&settings.mail.from);
        let from: Mailbox = from_text
            .parse()
            .with_context(|| format!("edm.from / mail.from '{from_text}' is not a mailbox"))?;
        let domain = from.email.domain().to_owned();
        let transport = MailTransport::from_settings(&MailSettings {
            smtp_pool_size: edm.connections.max(1),
            ..settings.mail.clone()
        })
        .context("setting up the campaign mail transport")?;
        let dkim = edm.dkim.as_ref().map(dkim_config).transpose()?;
        Ok(EdmRuntime {
            signer: LinkSigner::new(&secret),
            manage_links: ManageLinks::new(&secret),
            addresses: AddressHasher::new(&secret),
            transport,
            from,
            domain,
            dkim,
        })
    }
}

/// Headers the DKIM signature covers, the list headers included so that nobody can strip
/// or change the unsubscribe links without breaking the signature. Not `Content-Type`:
/// lettre writes a multipart message's Content-Type with the body, after signing, so
/// listing it would sign an absent header and every signature would fail to verify.
pub const DKIM_HEADERS: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "MIME-Version",
];

fn dkim_config(d: &DkimSettings) -> anyhow::Result<DkimConfig> {
    let algorithm = match d.algorithm.to_ascii_lowercase().as_str() {
        "ed25519" => DkimSigningAlgorithm::Ed25519,
        "rsa" => DkimSigningAlgorithm::Rsa,
        other => anyhow::bail!("edm.dkim.algorithm '{other}': use ed25519 or rsa"),
    };
    let key = std::fs::read_to_string(&d.key_file)
        .with_context(|| format!("reading DKIM key {}", d.key_file.display()))?;
    let key = DkimSigningKey::new(key.trim(), algorithm)
        .map_err(|e| anyhow::anyhow!("DKIM key {}: {e}", d.key_file.display()))?;
    Ok(DkimConfig::new(
        d.selector.clone(),
        d.domain.clone(),
        key,
        DKIM_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}
