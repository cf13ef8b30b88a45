//! Badge issuance: each event's signing keys (made on first use) and the tokens they sign.

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;
use jiff::Timestamp;

use serde::{Deserialize, Serialize};

use crate::{
    domain::badge::{self, BadgeClaims, EventKeySet},
    store::{NewBadge, Store, StoredKey},
};

/// Where the secret halves of event signing keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStorage {
    /// In the database, beside the public keys: nothing to set up, and every app instance
    /// sharing the database can sign. Whoever can read the database can forge badges.
    Database,
    /// One file per key in `keys_dir` (mode 0600); the database holds only public keys.
    Directory,
}

/// The keys of one event: the newest active key signs, every active key verifies.
#[derive(Debug)]
pub struct EventKeys {
    pub event_id: i64,
    pub key_id: u16,
    signing: SigningKey,
    pub verifying: EventKeySet,
}

impl EventKeys {
    /// Signs the badge token of an attendee's `serial`-th badge.
    pub fn sign(&self, attendee_id: i64, serial: i64) -> NewBadge {
        let claims = BadgeClaims {
            event_id: self.event_id as u32,
            key_id: self.key_id,
            attendee_id: attendee_id as u32,
            serial: serial as u16,
        };
        NewBadge {
            key_id: i64::from(self.key_id),
            token: badge::sign(&claims, &self.signing),
        }
    }
}

/// Loads, creates and caches event keys according to the configured key storage.
pub struct BadgeIssuer {
    store: Store,
    storage: KeyStorage,
    dir: PathBuf,
    cache: RwLock<HashMap<i64, Arc<EventKeys>>>,
}

impl BadgeIssuer {
    pub fn new(store: Store, storage: KeyStorage, dir: PathBuf) -> BadgeIssuer {
        BadgeIssuer {
            store,
            storage,
            dir,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The event's keys, generating the first key pair when the event has none.
    pub async fn keys_for(&self, event_id: i64, now: Timestamp) -> anyhow::Result<Arc<EventKeys>> {
        if let Some(k) = self.cache.read().expect("key cache").get(&event_id) {
            return Ok(k.clone());
        }
        let mut stored = self.store.events().event_keys(event_id).await?;
        if !stored.iter().any(|k| k.retired_at.is_none()) {
            let next = stored.iter().map(|k| k.key_id).max().unwrap_or(0) + 1;
            self.create_key(event_id, next, now).await?;
            stored = self.store.events().event_keys(event_id).await?;
        }
        let keys = Arc::new(self.assemble(event_id, &stored)?);
        self.cache
            .write()
            .expect("key cache")
            .insert(event_id, keys.clone());
        Ok(keys)
    }

    /// Adds a new signing key; badges signed by the older keys stay valid until retired.
    pub async fn rotate(&self, event_id: i64, now: Timestamp) -> anyhow::Result<u16> {
        let stored = self.store.events().event_keys(event_id).await?;
        let next = stored.iter().map(|k| k.key_id).max().unwrap_or(0) + 1;
        self.create_key(event_id, next, now).await?;
        self.cache.write().expect("key cache").remove(&event_id);
        Ok(self.keys_for(event_id, now).await?.key_id)
    }

    /// Stops a key from signing and verifying.
    pub async fn retire(&self, event_id: i64, key_id: u16, now: Timestamp) -> anyhow::Result<()> {
        self.store
            .events()
            .retire_event_key(event_id, i64::from(key_id), now)
            .await?;
        self.cache.write().expect("key cache").remove(&event_id);
        Ok(())
    }

    async fn create_key(&self, event_id: i64, key_id: i64, now: Timestamp) -> anyhow::Result<()> {
        if key_id > i64::from(u16::MAX) {
            bail!("event {event_id} has used up its key ids");
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let signing = badge::signing_key_from_seed(seed);
        let public = signing.verifying_key().to_bytes();
        let secret = match self.storage {
            KeyStorage::Database => Some(seed.as_slice()),
            KeyStorage::Directory => {
                write_secret(&key_path(&self.dir, event_id, key_id), &seed)?;
                None
            }
        };
        // Several instances may race to create the first key; the database keeps the first and
        // `assemble` refuses a secret that does not match the stored public key.
        self.store
            .events()
            .insert_event_key(event_id, key_id, &public, secret, now)
            .await?;
        Ok(())
    }

    fn assemble(&self, event_id: i64, stored: &[StoredKey]) -> anyhow::Result<EventKeys> {
        let active: Vec<&StoredKey> = stored.iter().filter(|k| k.retired_at.is_none()).collect();
        let newest = active.last().context("event has no active signing key")?;
        let seed: [u8; 32] = match &newest.secret_key {
            Some(s) => s
                .as_slice()
                .try_into()
                .context("stored secret key has the wrong length")?,
            None => read_secret(&key_path(&self.dir, event_id, newest.key_id))?,
        };
        let signing = badge::signing_key_from_seed(seed);
        if signing.verifying_key().to_bytes().as_slice() != newest.public_key.as_slice() {
            bail!(
                "secret key {} of event {event_id} does not match its public key",
                newest.key_id
            );
        }
        let mut keys = Vec::new();
        for k in &active {
            let bytes: [u8; 32] = k
                .public_key
                .as_slice()
                .try_into()
                .context("stored public key has the wrong length")?;
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .context("stored public key is invalid")?;
            keys.push((k.key_id as u16, vk));
        }
        Ok(EventKeys {
            event_id,
            key_id: newest.key_id as u16,
            signing,
            verifying: EventKeySet {
                event_id: event_id as u32,
                keys,
            },
        })
    }
}

fn key_path(dir: &Path, event_id: i64, key_id: i64) -> PathBuf {
    dir.join(format!("event-{event_id}-key-{key_id}.ed25519"))
}

fn write_secret(path: &Path, seed: &[u8; 32]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("writing key file {}", path.display()))?;
    f.write_all(seed)?;
    f.sync_all()?;
    Ok(())
}

fn read_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading key file {}", path.display()))?;
    bytes
        .as_slice()
        .try_into()
        .with_context(|| format!("key file {} is not 32 bytes", path.display()))
}
