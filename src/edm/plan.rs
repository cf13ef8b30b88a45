//! The audience of a campaign, starting it (queueing the audience) and pause, resume, cancel.

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};

use crate::{
    context::Context,
    domain::{
        campaigns::audience::{self, AudiencePlan, AudienceRules, AudienceSummary, Suppression},
        campaigns::campaign::{CampaignAction, CampaignState, Content, ContentKey, Tier},
        campaigns::segment::AudienceScope,
    },
    mail::{CampaignTemplates, Personal},
    pool,
    store::{CampaignRecord, StoreError},
};

/// A planned audience with its summary.
#[derive(Debug, Clone)]
pub struct AudienceView {
    pub plan: AudiencePlan,
    pub summary: AudienceSummary,
}

/// Plans the audience as it would be queued now: every attendee of the event, or everyone
/// in the data pool the campaign's segment picks, decided by the campaign's rules.
pub async fn audience(
    ctx: &Context,
    campaign: &CampaignRecord,
    now: Timestamp,
) -> anyhow::Result<AudienceView> {
    let contents = ctx.store.campaigns().campaign_contents(campaign.id).await?;
    let window = SignedDuration::from_hours(campaign.frequency_hours);
    let mut candidates = match campaign.audience_scope()? {
        AudienceScope::Event => {
            ctx.store
                .campaigns()
                .audience_candidates(campaign.event_id, campaign.id, now - window)
                .await?
        }
        AudienceScope::Pool(segment) => {
            // Registrations not yet linked to a person (an import a moment ago) join first.
            pool::resolve_all(&ctx.store).await?;
            let event = ctx
                .store
                .events()
                .event_by_id(campaign.event_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the campaign's event is gone"))?;
            let tz = event.info.tz().map_err(anyhow::Error::msg)?;
            ctx.store
                .data_pool()
                .pool_candidates(&segment.query(&tz), campaign.id)
                .await?
        }
    };
    // An erased person's address is kept only as a keyed hash; whoever registers with it
    // again (an organiser's re-import, say) is treated as having unsubscribed.
    let erased: HashSet<String> = ctx
        .store
        .attendees()
        .erased_address_hashes()
        .await?
        .into_iter()
        .collect();
    if !erased.is_empty() {
        for c in &mut candidates {
            if !c.suppressed.contains(&Suppression::Unsubscribed)
                && erased.contains(&ctx.edm.addresses.hash(&c.email))
            {
                c.suppressed.push(Suppression::Unsubscribed);
            }
        }
    }
    let excluded = campaign.excluded_tiers()?;
    let plan = audience::plan(
        &candidates,
        &AudienceRules {
            excluded_tiers: &excluded,
            frequency_window: window,
            contents: &contents,
        },
        now,
    );
    let summary = plan.summary();
    Ok(AudienceView { plan, summary })
}

/// Checks that every content block compiles and renders for a sample attendee, so a
/// campaign cannot start with a template that fails halfway through.
pub fn check_contents(contents: &[(ContentKey, Content)]) -> Result<(), String> {
    if contents.is_empty() {
        return Err("the campaign has no content yet".into());
    }
    let templates = CampaignTemplates::compile(contents).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    for (i, (key, _)) in contents.iter().enumerate() {
        let sample = Personal {
            first_name: "Ada",
            name: "Ada Lovelace",
            company: "Analytical Engines",
            job_title: "CTO",
            event_name: "Sample event",
            topic: key.topic.as_deref().unwrap_or(""),
            topic_name: "Sample topic",
            tier: key.tier.unwrap_or(Tier::A).as_str(),
            next_need: "sample-topic",
            next_need_name: "Another sample topic",
        };
        templates.render(i, &sample).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Starts a draft campaign: plans the audience and queues it, with the state change, in one
/// transaction. Returns how many messages were queued.
pub async fn start(
    ctx: &Context,
    campaign: &CampaignRecord,
    now: Timestamp,
) -> Result<u64, StartError> {
    if campaign.state() != CampaignState::Draft {
        return Err(StartError::Refused(format!(
            "a {} campaign cannot be started",
            campaign.state()
        )));
    }
    let contents = ctx
        .store
        .campaigns()
        .campaign_contents(campaign.id)
        .await
        .map_err(anyhow::Error::from)?;
    check_contents(&contents).map_err(StartError::Refused)?;
    let view = audience(ctx, campaign, now).await?;
    let queued = ctx
        .store
        .campaigns()
        .queue_campaign(
            campaign.id,
            &view.plan.recipients,
            &view.summary.exclusions_stored(),
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => StartError::Refused(m),
            other => StartError::Failed(other.into()),
        })?;
    // A campaign with nobody to send to is done at once.
    ctx.store
        .campaigns()
        .finish_campaigns(now)
        .await
        .map_err(anyhow::Error::from)?;
    tracing::info!(campaign = campaign.id, queued, "campaign started");
    Ok(queued)
}

/// Why a campaign did not start or change.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Pauses, resumes or cancels (or starts) a campaign.
pub async fn control(
    ctx: &Context,
    campaign: &CampaignRecord,
    action: CampaignAction,
    now: Timestamp,
) -> Result<CampaignState, StartError> {
    if action == CampaignAction::Start {
        start(ctx, campaign, now).await?;
        return Ok(CampaignState::Sending);
    }
    let from = campaign.state();
    let to = from.after(action).map_err(StartError::Refused)?;
    let changed = ctx
        .store
        .campaigns()
        .set_campaign_state(campaign.id, from, to, now)
        .await
        .map_err(anyhow::Error::from)?;
    if !changed {
        return Err(StartError::Refused(
            "the campaign changed meanwhile; reload and try again".into(),
        ));
    }
    tracing::info!(campaign = campaign.id, from = %from, to = %to, "campaign state changed");
    Ok(to)
}
