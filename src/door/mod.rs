//! Door scanning: pairing kiosks, authenticating them, and turning reported scans into
//! stored decisions. Every scan is kept, refused ones included.

mod group_commit;

pub use group_commit::ScanWriter;

use std::collections::HashMap;

use anyhow::Context as _;
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use jiff::{Timestamp, ToSpan};

use crate::{
    accounts::login_token_hash,
    context::Context,
    domain::{
        badge::{self, BadgeError},
        scan::{self, BadgeCheck, Decision, Direction, Refusal, ScanFacts, ScanRules, SessionSlot},
    },
    store::{DeviceRecord, EventRecord, PendingScan, ScanGroup, ScanVerdict},
};

/// How long a pairing code can be used.
const PAIRING_MINUTES: i64 = 15;
/// Longest badge text kept with a refused scan; real tokens are 124 characters.
const MAX_BADGE_CHARS: usize = 256;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS has no randomness");
    b
}

/// A device waiting for its kiosk: show `pairing_code` (or its QR) on the kiosk screen.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: i64,
    pub pairing_code: String,
    pub expires_at: Timestamp,
}

/// Creates a kiosk for an event, optionally bound to a room, with a one-time pairing code.
pub async fn create_device(
    ctx: &Context,
    event: &EventRecord,
    room: Option<&str>,
    name: &str,
    now: Timestamp,
) -> anyhow::Result<NewDevice> {
    let room_id = match room {
        None => None,
        Some(r) => Some(
            ctx.store
                .event_rooms(event.id)
                .await?
                .into_iter()
                .find(|(_, n)| n == r)
                .map(|(id, _)| id)
                .with_context(|| format!("no room '{r}' in this event"))?,
        ),
    };
    // 10 base32 characters: 50 bits, typed in a minute, guessed never within 15 minutes.
    let pairing_code = BASE32_NOPAD.encode(&random_bytes::<7>())[..10].to_owned();
    let expires_at = now + PAIRING_MINUTES.minutes();
    let device_id = ctx
        .store
        .create_device(
            event.id,
            room_id,
            name.trim(),
            &login_token_hash(&pairing_code),
            expires_at,
            now,
        )
        .await?;
    Ok(NewDevice {
        device_id,
        pairing_code,
        expires_at,
    })
}

/// A paired device and the token only it holds from now on.
pub struct Paired {
    pub token: String,
    pub device: DeviceRecord,
}

/// Exchanges a pairing code for a device token. `None` when the code is wrong, used or old.
pub async fn pair(ctx: &Context, code: &str, now: Timestamp) -> anyhow::Result<Option<Paired>> {
    let code = code.trim().to_ascii_uppercase();
    let token = BASE64URL_NOPAD.encode(&random_bytes::<32>());
    let device = ctx
        .store
        .pair_device(&login_token_hash(&code), &login_token_hash(&token), now)
        .await?;
    Ok(device.map(|device| Paired { token, device }))
}

/// Gives a paired device a new token; the old one is refused from now on.
pub async fn rotate_token(ctx: &Context, device_id: i64) -> anyhow::Result<Option<String>> {
    let token = BASE64URL_NOPAD.encode(&random_bytes::<32>());
    let done = ctx
        .store
        .rotate_device_token(device_id, &login_token_hash(&token))
        .await?;
    Ok(done.then_some(token))
}

/// What a presented device token amounts to.
pub enum DeviceAuth {
    Unknown,
    Revoked,
    Active(DeviceRecord),
}

pub async fn authenticate(ctx: &Context, token: &str) -> anyhow::Result<DeviceAuth> {
    Ok(
        match ctx.store.device_by_token(&login_token_hash(token)).await? {
            None => DeviceAuth::Unknown,
            Some(d) if d.revoked_at.is_some() => DeviceAuth::Revoked,
            Some(d) => DeviceAuth::Active(d),
        },
    )
}

/// One scan as a device reports it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReportedScan {
    /// Chosen by the device for each scan; the same nonce again is the same scan.
    pub nonce: String,
    pub badge: String,
    /// The device's clock when the badge was scanned.
    pub device_time: Timestamp,
    pub direction: Direction,
    /// Room name; ignored for devices bound to a room.
    #[serde(default)]
    pub room: Option<String>,
}

/// A batch of scans and the device's state when it sent them.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ScanBatch {
    /// The device's clock when it sent the batch: the server's clock minus this is the skew.
    pub sent_at: Timestamp,
    #[serde(default)]
    pub app_version: String,
    /// Scans still waiting on the device after this batch.
    #[serde(default)]
    pub queue_size: i64,
    pub scans: Vec<ReportedScan>,
}

/// Decides and stores one device's batch, returning a verdict per scan in order. Acknowledge
/// only after this returns: the verdicts are committed.
pub async fn ingest(
    ctx: &Context,
    device: &DeviceRecord,
    batch: &ScanBatch,
    now: Timestamp,
) -> anyhow::Result<Vec<ScanVerdict>> {
    let mut out = ingest_many(ctx, device.event_id, &[(device, batch)], now).await?;
    Ok(out.remove(0))
}

/// Decides and stores the batches of several devices of one event in one transaction.
pub async fn ingest_many(
    ctx: &Context,
    event_id: i64,
    jobs: &[(&DeviceRecord, &ScanBatch)],
    now: Timestamp,
) -> anyhow::Result<Vec<Vec<ScanVerdict>>> {
    let rules = ScanRules::default();
    let keys = ctx.badges.keys_for(event_id, now).await?;
    let rooms: HashMap<String, i64> = ctx
        .store
        .event_rooms(event_id)
        .await?
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    let slots = session_slots(ctx, event_id).await?;
    let serials: HashMap<i64, i64> = ctx
        .store
        .badge_revocations(event_id)
        .await?
        .into_iter()
        .collect();

    let mut groups = Vec::with_capacity(jobs.len());
    let mut facts = Vec::new();
    for (device, batch) in jobs {
        let skew = now.duration_since(batch.sent_at);
        let mut pending = Vec::with_capacity(batch.scans.len());
        for s in &batch.scans {
            let at = scan::corrected_time(s.device_time, batch.sent_at, now);
            let badge_check = check_badge(&s.badge, &keys.verifying, &serials);
            let room_id = match device.room_id {
                Some(r) => Some(r),
                None => s.room.as_deref().and_then(|r| rooms.get(r).copied()),
            };
            let candidate = scan::decide(
                &ScanFacts {
                    badge: badge_check,
                    room_id,
                    at,
                    direction: s.direction,
                    slots: &slots,
                    previous_accepted: None,
                },
                &rules,
            );
            pending.push(PendingScan {
                nonce: s.nonce.clone(),
                // Kept for the record of refused scans; control characters (NUL above all)
                // are dropped because no database text column should hold them.
                badge: s
                    .badge
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_BADGE_CHARS)
                    .collect(),
                attendee_id: badge_check.ok().map(|b| b.attendee_id),
                room_id,
                session_id: candidate.session_id(),
                direction: s.direction.as_str(),
                device_time: s.device_time.as_millisecond(),
                scanned_at: at.as_millisecond(),
                key: facts.len(),
            });
            facts.push((badge_check, room_id, at, s.direction));
        }
        groups.push(ScanGroup {
            device_id: device.id,
            scans: pending,
            app_version: batch.app_version.chars().take(64).collect(),
            queue_size: batch.queue_size,
            clock_skew_ms: skew.as_millis() as i64,
        });
    }
    let finish = |p: &PendingScan, nearest: Option<i64>| {
        let (badge_check, room_id, at, direction) = facts[p.key];
        let decision = scan::decide(
            &ScanFacts {
                badge: badge_check,
                room_id,
                at,
                direction,
                slots: &slots,
                previous_accepted: nearest.map(crate::store::ts),
            },
            &rules,
        );
        match decision {
            Decision::Accepted { session_id } => ("accepted", None, Some(session_id)),
            Decision::Duplicate { session_id } => ("duplicate", None, Some(session_id)),
            Decision::Refused(r) => ("refused", Some(r.as_str()), None),
        }
    };
    Ok(ctx
        .store
        .record_scans(event_id, &groups, now, &finish)
        .await?)
}

/// The event's sessions as doors see them.
pub async fn session_slots(ctx: &Context, event_id: i64) -> anyhow::Result<Vec<SessionSlot>> {
    Ok(ctx
        .store
        .event_session_slots(event_id)
        .await?
        .into_iter()
        .map(|(session_id, room_id, s, e)| SessionSlot {
            session_id,
            room_id,
            starts_at: crate::store::ts(s),
            ends_at: crate::store::ts(e),
        })
        .collect())
}

/// Signature, event and revocation of a scanned badge text.
fn check_badge(
    text: &str,
    keys: &badge::EventKeySet,
    serials: &HashMap<i64, i64>,
) -> Result<BadgeCheck, Refusal> {
    let claims = badge::verify(text, keys).map_err(|e| match e {
        BadgeError::Malformed(_) => Refusal::Malformed,
        BadgeError::WrongEvent { .. } => Refusal::WrongEvent,
        BadgeError::UnknownKey(_) | BadgeError::Forged => Refusal::Forged,
    })?;
    let attendee_id = i64::from(claims.attendee_id);
    let current = serials.get(&attendee_id).copied().unwrap_or(1);
    if badge::is_revoked(&claims, u16::try_from(current).unwrap_or(u16::MAX)) {
        return Err(Refusal::Revoked);
    }
    Ok(BadgeCheck { attendee_id })
}

/// Nonces name scans for retries: 1 to 64 printable characters.
pub fn check_nonces(batch: &ScanBatch) -> Result<(), String> {
    match batch.scans.iter().position(|s| {
        s.nonce.is_empty() || s.nonce.chars().count() > 64 || s.nonce.chars().any(char::is_control)
    }) {
        Some(i) => Err(format!(
            "scan {i}: a nonce must be 1 to 64 printable characters"
        )),
        None => Ok(()),
    }
}

/// Duplicated nonces inside one batch are the same scan sent twice; keep the first.
pub fn dedupe_nonces(batch: &mut ScanBatch) {
    let mut seen = std::collections::HashSet::new();
    batch.scans.retain(|s| seen.insert(s.nonce.clone()));
}
