//! Sends campaign messages: claim with a lease, check suppression, render, rate-limit, send
//! over a bounded number of connections, record each outcome. No transaction is open while
//! a message is on the wire: claims and outcomes are separate, short transactions.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, stream, stream::FuturesUnordered};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::{
    context::Context,
    domain::campaigns::campaign::CampaignState,
    edm::{CampaignMailer, RecipientData},
    mail::SendError,
    store::{ClaimedSend, SendOutcome},
};

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EdmRun {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Suppressed or consent withdrawn after the campaign was planned.
    pub skipped: usize,
    /// Given back because their campaign was paused or cancelled meanwhile.
    pub released: usize,
}

enum Done {
    Outcome(SendOutcome),
    Released(i64),
}

/// One limiter for all connections: messages leave at most `rate_per_second` apart, with
/// no burst, so a pause or a restart never lets a backlog out at once.
fn limiter(rate: u32) -> Option<DefaultDirectRateLimiter> {
    NonZeroU32::new(rate)
        .map(|r| RateLimiter::direct(Quota::per_second(r).allow_burst(NonZeroU32::MIN)))
}

/// Sends every campaign message that is due now, batch by batch, until none is left.
pub async fn run_once(ctx: &Context) -> anyhow::Result<EdmRun> {
    let edm = &ctx.settings.edm;
    let limiter = limiter(edm.rate_per_second);
    let mut mailers: HashMap<i64, Arc<CampaignMailer>> = HashMap::new();
    let mut run = EdmRun::default();
    let lease_ms = (edm.lease_secs.max(1) * 1000) as i64;
    loop {
        let claimed = ctx
            .store
            .campaigns()
            .claim_campaign_sends(Timestamp::now(), lease_ms, edm.batch.max(1) as i64)
            .await?;
        if claimed.is_empty() {
            break;
        }
        for send in &claimed {
            if let std::collections::hash_map::Entry::Vacant(slot) = mailers.entry(send.campaign_id)
            {
                let campaign = ctx
                    .store
                    .campaigns()
                    .campaign(send.campaign_id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("campaign {} vanished", send.campaign_id))?;
                let mailer = CampaignMailer::load(ctx, campaign).await?;
                slot.insert(Arc::new(mailer));
            }
        }
        let active: Arc<Mutex<HashMap<i64, bool>>> =
            Arc::new(Mutex::new(mailers.keys().map(|id| (*id, true)).collect()));
        let mut results = stream::iter(claimed)
            .map(|send| {
                let mailer = Arc::clone(&mailers[&send.campaign_id]);
                let active = Arc::clone(&active);
                let limiter = limiter.as_ref();
                async move { send_one(ctx, &mailer, &send, limiter, &active).await }
            })
            .buffer_unordered(edm.connections.max(1));
        // Outcomes are written WRITE_CHUNK at a time while the next messages go out: the
        // database round trips and commits overlap the SMTP exchanges instead of adding to
        // them, and a commit carries many outcomes.
        let mut writes = FuturesUnordered::new();
        let mut finished = Vec::with_capacity(WRITE_CHUNK);
        let mut sending = true;
        loop {
            tokio::select! {
                biased;
                Some(written) = writes.next(), if !writes.is_empty() => written?,
                done = results.next(), if sending => {
                    match done {
                        Some(done) => finished.push(done),
                        None => sending = false,
                    }
                    if finished.len() >= WRITE_CHUNK || (!sending && !finished.is_empty()) {
                        let (outcomes, released) = tally(std::mem::take(&mut finished), &mut run);
                        writes.push(record(ctx, outcomes, released, Arc::clone(&active)));
                    }
                }
                else => break,
            }
        }
        drop(results);
        // Content is fixed once a campaign starts, but a paused campaign may be resumed
        // much later: reload mailers for every batch after a pause.
        mailers.retain(|id, _| active.lock().expect("campaign states")[id]);
    }
    ctx.store
        .campaigns()
        .finish_campaigns(Timestamp::now())
        .await?;
    Ok(run)
}

/// Outcomes recorded per transaction.
const WRITE_CHUNK: usize = 64;

/// Counts a chunk of finished sends into `run`; its outcomes and released ids.
fn tally(chunk: Vec<Done>, run: &mut EdmRun) -> (Vec<SendOutcome>, Vec<i64>) {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut released = Vec::new();
    for done in chunk {
        match done {
            Done::Outcome(o) => {
                let (count, outcome) = match &o {
                    SendOutcome::Sent { .. } => (&mut run.sent, "sent"),
                    SendOutcome::Retry { .. } => (&mut run.retrying, "retrying"),
                    SendOutcome::Failed { .. } => (&mut run.failed, "failed"),
                    SendOutcome::Skipped { .. } => (&mut run.skipped, "skipped"),
                };
                *count += 1;
                crate::telemetry::campaign_mail(outcome, 1);
                outcomes.push(o);
            }
            Done::Released(id) => released.push(id),
        }
    }
    run.released += released.len();
    (outcomes, released)
}

/// Records a chunk's outcomes and released messages, then rereads the state of each
/// campaign in the batch: a pause or cancel stops the rest of the batch, not just the next.
async fn record(
    ctx: &Context,
    outcomes: Vec<SendOutcome>,
    released: Vec<i64>,
    active: Arc<Mutex<HashMap<i64, bool>>>,
) -> anyhow::Result<()> {
    ctx.store
        .campaigns()
        .record_send_outcomes(&outcomes, Timestamp::now())
        .await?;
    ctx.store
        .campaigns()
        .release_campaign_sends(&released)
        .await?;
    let ids: Vec<i64> = active
        .lock()
        .expect("campaign states")
        .keys()
        .copied()
        .collect();
    for id in ids {
        let sending = ctx
            .store
            .campaigns()
            .campaign(id)
            .await?
            .is_some_and(|c| c.state == CampaignState::Sending);
        active.lock().expect("campaign states").insert(id, sending);
    }
    Ok(())
}

async fn send_one(
    ctx: &Context,
    mailer: &CampaignMailer,
    send: &ClaimedSend,
    limiter: Option<&DefaultDirectRateLimiter>,
    active: &Mutex<HashMap<i64, bool>>,
) -> Done {
    let is_active = || {
        active
            .lock()
            .expect("campaign states")
            .get(&send.campaign_id)
            .copied()
            .unwrap_or(false)
    };
    if !is_active() {
        return Done::Released(send.id);
    }
    // Checked after the claim, so an unsubscribe committed before this point always wins.
    if let Some(reason) = &send.suppressed {
        return Done::Outcome(SendOutcome::Skipped {
            id: send.id,
            reason: format!("suppressed: {reason}"),
        });
    }
    if send.consent != Some(true) {
        return Done::Outcome(SendOutcome::Skipped {
            id: send.id,
            reason: "marketing consent withdrawn".into(),
        });
    }
    let tier = send.tier;
    let to = RecipientData {
        send_id: send.id,
        email: &send.email,
        name: &send.name,
        company: &send.company,
        job_title: &send.job_title,
        topic: (!send.topic.is_empty()).then_some(send.topic.as_str()),
        tier,
        next_need: send.next_need.as_deref(),
    };
    let (message, message_id, _) = match mailer.compose(&ctx.edm, &to) {
        Ok(m) => m,
        Err(e) => {
            return Done::Outcome(SendOutcome::Failed {
                id: send.id,
                error: format!("could not write the message: {e:#}"),
                bounced: false,
            });
        }
    };
    if let Some(limiter) = limiter {
        limiter.until_ready().await;
    }
    if !is_active() {
        return Done::Released(send.id);
    }
    let edm = &ctx.settings.edm;
    Done::Outcome(match ctx.edm.transport.send(&message).await {
        Ok(receipt) => SendOutcome::Sent {
            id: send.id,
            message_id,
            reply: receipt.detail,
        },
        Err(SendError::Transient(error)) if send.attempts < edm.max_attempts => {
            let delay = edm.retry_base_secs.max(1) << (send.attempts - 1).clamp(0, 16);
            SendOutcome::Retry {
                id: send.id,
                error,
                retry_at: Timestamp::now() + SignedDuration::from_secs(delay as i64),
            }
        }
        Err(SendError::Transient(error)) => SendOutcome::Failed {
            id: send.id,
            error,
            bounced: false,
        },
        Err(SendError::Permanent(error)) => SendOutcome::Failed {
            id: send.id,
            error,
            bounced: true,
        },
    })
}

/// Runs passes until `shutdown` turns true, sleeping between passes. A poll interval of 0
/// turns the background sender off (campaigns are then sent by `badgetrail campaign send`).
pub async fn run_until_shutdown(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    if ctx.settings.edm.poll_ms == 0 {
        return;
    }
    let pause = Duration::from_millis(ctx.settings.edm.poll_ms);
    loop {
        if let Err(e) = run_once(&ctx).await {
            tracing::error!(error = ?e, "campaign send pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
