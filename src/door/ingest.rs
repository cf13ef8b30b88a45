//! Scan ingestion outside the web server's group commit: one device's batch decided and
//! stored in one go (file imports, the CLI, the demo), and the sessions doors see.

use jiff::Timestamp;

use super::{DoorStates, PreparedBatch, ScanBatch, Written, pairing::Paired, state, write};
use crate::{
    accounts::login_token_hash,
    context::Context,
    domain::door::scan::SessionSlot,
    store::{DeviceRecord, ScanVerdict},
};

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
