//! Door scanning: pairing kiosks, authenticating them, and turning reported scans into
//! stored decisions. Every scan is kept, refused ones included.

mod attempt;
mod devices;
mod greeting;
mod group_commit;
mod prepare;
mod state;
mod write;

pub use greeting::DoorVerdict;
pub use group_commit::{ScanWriter, Submitted};
pub use prepare::{PreparedBatch, PreparedScan};
pub use state::{DoorState, DoorStates};
pub use write::Written;

use anyhow::Context as _;
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use jiff::{Timestamp, ToSpan};

use crate::{
    accounts::login_token_hash,
    context::Context,
    domain::scan::{Direction, ScanRules, SessionSlot},
    store::{DeviceRecord, EventRecord, ScanVerdict},
};

/// The rules every door decides with; kiosks get them too, to decide offline alike.
pub fn rules() -> ScanRules {
    ScanRules::default()
}

/// How long a pairing code can be used.
const PAIRING_MINUTES: i64 = 15;

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
                .door()
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
        .door()
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
        .door()
        .pair_device(&login_token_hash(&code), &login_token_hash(&token), now)
        .await?;
    Ok(device.map(|device| Paired { token, device }))
}

/// Gives a paired device a new token; the old one is refused from now on.
pub async fn rotate_token(ctx: &Context, device_id: i64) -> anyhow::Result<Option<String>> {
    let token = BASE64URL_NOPAD.encode(&random_bytes::<32>());
    let done = ctx
        .store
        .door()
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
        match ctx
            .store
            .door()
            .device_by_token(&login_token_hash(token))
            .await?
        {
            None => DeviceAuth::Unknown,
            Some(d) if d.revoked_at.is_some() => DeviceAuth::Revoked,
            Some(d) => DeviceAuth::Active(d),
        },
    )
}

/// One scan as a device reports it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
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

/// Decides and stores one device's batch outside the web server (file imports), returning
/// a verdict per scan in order. The verdicts are committed when this returns.
pub async fn ingest(
    ctx: &Context,
    device: &DeviceRecord,
    batch: &ScanBatch,
    now: Timestamp,
) -> anyhow::Result<Vec<ScanVerdict>> {
    ingest_with(ctx, device, None, batch, now).await
}

/// Like `ingest`, for a paired device, which is checked to still hold its token.
pub async fn ingest_paired(
    ctx: &Context,
    paired: &Paired,
    batch: &ScanBatch,
    now: Timestamp,
) -> anyhow::Result<Vec<ScanVerdict>> {
    let hash = login_token_hash(&paired.token);
    ingest_with(ctx, &paired.device, Some(hash), batch, now).await
}

async fn ingest_with(
    ctx: &Context,
    device: &DeviceRecord,
    token_hash: Option<String>,
    batch: &ScanBatch,
    now: Timestamp,
) -> anyhow::Result<Vec<ScanVerdict>> {
    let states = DoorStates::new(ctx.store.clone());
    let state = states.get(device.event_id).await?;
    let mut job = vec![PreparedBatch::new(
        device.clone(),
        token_hash,
        batch.clone(),
        now,
        &state,
    )];
    match write::write_group(&ctx.store, &states, device.event_id, &mut job, |_| {})
        .await?
        .remove(0)
    {
        Written::Stored(v) => Ok(v.into_iter().map(|d| d.verdict).collect()),
        Written::DeviceGone => anyhow::bail!("device {} may not record scans", device.id),
    }
}

/// The event's sessions as doors see them.
pub async fn session_slots(ctx: &Context, event_id: i64) -> anyhow::Result<Vec<SessionSlot>> {
    state::session_slots(&ctx.store, event_id).await
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
