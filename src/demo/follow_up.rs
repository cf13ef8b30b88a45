//! The demo's last step: a follow-up email campaign built from whatever leads exist, sent
//! through the configured transport (the outbox by default).

use anyhow::Context as _;
use jiff::Timestamp;

use crate::{
    context::Context, domain::campaigns::campaign::CampaignState, edm, jobs, store::EventRecord,
};

/// The sample campaign, also shipped as `examples/follow-up-campaign.toml`.
pub const CAMPAIGN_FILE: &str = include_str!("../../examples/follow-up-campaign.toml");
pub const CAMPAIGN_SLUG: &str = "follow-up";

/// A draft campaign to the data pool across both sample events, also shipped as
/// `examples/pool-campaign.toml`; the demo leaves it for a marketer to look at and send.
pub const POOL_CAMPAIGN_FILE: &str = include_str!("../../examples/pool-campaign.toml");
pub const POOL_CAMPAIGN_SLUG: &str = "come-back";

/// Creates (or refreshes, while it is a draft) the pool campaign on `event`.
pub async fn prepare_pool_campaign(ctx: &Context, event: &EventRecord) -> anyhow::Result<()> {
    if let Some(c) = ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, POOL_CAMPAIGN_SLUG)
        .await?
        && c.state() != CampaignState::Draft
    {
        return Ok(());
    }
    edm::import_campaign_file(
        ctx,
        event,
        POOL_CAMPAIGN_SLUG,
        POOL_CAMPAIGN_FILE,
        Timestamp::now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("the demo pool campaign file")?;
    Ok(())
}

/// What the follow-up step did.
#[derive(Debug, Default, Clone, Copy)]
pub struct FollowUpReport {
    pub queued: u64,
    pub sent: usize,
    /// The campaign had already been sent by an earlier demo run.
    pub already_sent: bool,
}

/// Creates the follow-up campaign, starts it and sends it. Attendees without a lead get
/// the general content; running the demo again leaves a sent campaign alone.
pub async fn send_follow_up(ctx: &Context, event: &EventRecord) -> anyhow::Result<FollowUpReport> {
    let now = Timestamp::now();
    if let Some(c) = ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, CAMPAIGN_SLUG)
        .await?
        && c.state() != CampaignState::Draft
    {
        return Ok(FollowUpReport {
            already_sent: true,
            ..FollowUpReport::default()
        });
    }
    let (campaign, _) = edm::import_campaign_file(ctx, event, CAMPAIGN_SLUG, CAMPAIGN_FILE, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the demo campaign file")?;
    let queued = edm::start(ctx, &campaign, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let run = jobs::edm_send::run_once(ctx).await?;
    Ok(FollowUpReport {
        queued,
        sent: run.sent,
        already_sent: false,
    })
}
