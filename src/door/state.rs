//! What doors decide with, per event, kept in memory: public keys, rooms, session slots and
//! badge serials, tagged with the event's door version.
//!
//! The copy is trusted only as far as the version goes: the scan writer reads the version
//! inside its transaction, and a different number there means the copy is reloaded and the
//! group decided again, so a re-issued badge or a retired key is refused from the next
//! transaction on, whichever app instance made the change.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::Context as _;

use crate::{
    domain::{
        badge::{self, BadgeClaims, BadgeError, EventKeySet},
        door::scan::SessionSlot,
    },
    store::{Store, ts},
};

/// One event's door state at one version.
#[derive(Debug)]
pub struct DoorState {
    pub event_id: i64,
    pub version: i64,
    /// The active (unretired) public keys.
    pub keys: EventKeySet,
    /// Room id by name.
    pub rooms: HashMap<String, i64>,
    pub slots: Vec<SessionSlot>,
    /// Current badge serial of attendees who had a badge replaced; 1 for everyone else.
    pub serials: HashMap<i64, i64>,
    /// Badge texts whose signature checked out, shared by every version of this event's
    /// state: a signature is a fixed function of the text and a key id, and key ids are
    /// never reused, so only the key's being still active needs checking again.
    verified: Arc<VerifiedBadges>,
}

/// Signature checks already done, by badge text.
#[derive(Debug, Default)]
pub struct VerifiedBadges(RwLock<HashMap<String, BadgeClaims>>);

/// More badges than any event has; past this the memory starts afresh.
const MAX_VERIFIED: usize = 200_000;

impl DoorState {
    /// Reads the state of an event; the version first, so the rest is at least that new.
    pub async fn load(store: &Store, event_id: i64) -> anyhow::Result<DoorState> {
        let version = store.door().door_version(event_id).await?;
        let mut keys = Vec::new();
        for k in store.events().event_keys(event_id).await? {
            if k.retired_at.is_some() {
                continue;
            }
            let bytes: [u8; 32] = k
                .public_key
                .as_slice()
                .try_into()
                .context("stored public key has the wrong length")?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .context("stored public key is invalid")?;
            keys.push((u16::try_from(k.key_id).context("key id out of range")?, key));
        }
        let rooms = store
            .door()
            .event_rooms(event_id)
            .await?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let slots = session_slots(store, event_id).await?;
        let serials = store
            .attendees()
            .badge_revocations(event_id)
            .await?
            .into_iter()
            .collect();
        Ok(DoorState {
            event_id,
            version,
            keys: EventKeySet {
                event_id: u32::try_from(event_id).context("event id out of range")?,
                keys,
            },
            rooms,
            slots,
            serials,
            verified: Arc::default(),
        })
    }

    /// The claims of a badge text with a valid signature by one of the active keys, checking
    /// the signature only the first time a text is seen.
    pub fn verify(&self, text: &str) -> Result<BadgeClaims, BadgeError> {
        let known = self
            .verified
            .0
            .read()
            .expect("verified badges")
            .get(text)
            .copied();
        if let Some(c) = known
            && self.keys.keys.iter().any(|(id, _)| *id == c.key_id)
        {
            return Ok(c);
        }
        let claims = badge::verify(text, &self.keys)?;
        let mut m = self.verified.0.write().expect("verified badges");
        if m.len() >= MAX_VERIFIED {
            m.clear();
        }
        m.insert(text.to_owned(), claims);
        Ok(claims)
    }

    /// The serial an attendee's valid badge carries.
    pub fn current_serial(&self, attendee_id: i64) -> i64 {
        self.serials.get(&attendee_id).copied().unwrap_or(1)
    }
}

/// The event's sessions as doors see them.
pub async fn session_slots(store: &Store, event_id: i64) -> anyhow::Result<Vec<SessionSlot>> {
    Ok(store
        .door()
        .event_session_slots(event_id)
        .await?
        .into_iter()
        .map(|(session_id, room_id, s, e)| SessionSlot {
            session_id,
            room_id,
            starts_at: ts(s),
            ends_at: ts(e),
        })
        .collect())
}

/// The latest loaded state of each event; cheap to share.
///
/// One load at a time: every request of a kiosk needs the state, and a server that starts
/// (or finds its copy out of date) with a hundred kiosks sending would otherwise read the
/// event a hundred times at once, the whole attendee list each time. Those who come while a
/// load runs wait for it and take its result.
pub struct DoorStates {
    store: Store,
    events: RwLock<HashMap<i64, Arc<DoorState>>>,
    loading: tokio::sync::Mutex<()>,
    loads: AtomicU64,
}

impl DoorStates {
    pub fn new(store: Store) -> DoorStates {
        DoorStates {
            store,
            events: RwLock::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
            loads: AtomicU64::new(0),
        }
    }

    /// The copy in memory, loaded on first use.
    pub async fn get(&self, event_id: i64) -> anyhow::Result<Arc<DoorState>> {
        if let Some(s) = self.kept(event_id) {
            return Ok(s);
        }
        let _one = self.loading.lock().await;
        if let Some(s) = self.kept(event_id) {
            return Ok(s);
        }
        self.load(event_id).await
    }

    /// A copy newer than `stale` (the version found out of date): the one another caller
    /// loaded meanwhile, or the event read again.
    pub async fn reload(&self, event_id: i64, stale: i64) -> anyhow::Result<Arc<DoorState>> {
        let _one = self.loading.lock().await;
        if let Some(s) = self.kept(event_id).filter(|s| s.version > stale) {
            return Ok(s);
        }
        self.load(event_id).await
    }

    /// How many times this has read an event's state from the store.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    fn kept(&self, event_id: i64) -> Option<Arc<DoorState>> {
        self.events
            .read()
            .expect("door states")
            .get(&event_id)
            .cloned()
    }

    /// Reads the event's state again and keeps it, unless a newer one was kept meanwhile.
    async fn load(&self, event_id: i64) -> anyhow::Result<Arc<DoorState>> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let mut fresh = DoorState::load(&self.store, event_id).await?;
        if let Some(old) = self.kept(event_id) {
            fresh.verified = old.verified.clone();
        }
        let fresh = Arc::new(fresh);
        let mut events = self.events.write().expect("door states");
        let kept = events.entry(event_id).or_insert_with(|| fresh.clone());
        if kept.version < fresh.version || Arc::ptr_eq(kept, &fresh) {
            *kept = fresh;
        }
        Ok(kept.clone())
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
