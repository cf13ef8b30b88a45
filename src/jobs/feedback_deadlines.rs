//! Feedback deadlines that are enforced: for each routed lead whose deadline passed without
//! an outcome, a reminder to its owner (with the lead package link); some working days on,
//! an escalation to the routing file's manager and, if the file says so, reassignment to the
//! fallback owner with a fresh deadline. Each step is claimed in the store before it is
//! taken, so running the check twice, or on two instances at once, takes it once.

use std::{collections::HashMap, time::Duration};

use jiff::Timestamp;
use tokio::sync::watch;

use crate::{
    context::Context,
    domain::{
        leads::feedback_deadline::{Step, steps_due},
        leads::routing::RoutingRules,
    },
    leads::files,
    mail::{StaffNotice, compose_staff_notice},
    store::{EventRecord, OverdueLead, StepKey, StepRecipient, ts},
};

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineRun {
    pub overdue: usize,
    pub reminded: usize,
    pub escalated: usize,
    pub reassigned: usize,
    /// Steps taken whose recipient has no email address (recorded, nothing sent).
    pub no_address: usize,
    pub failed: usize,
    /// Events skipped because their routing file could not be read.
    pub broken_files: usize,
}

struct EventPlan {
    event: EventRecord,
    routing: Option<RoutingRules>,
}

/// One check at `now`.
pub async fn run_once(ctx: &Context, now: Timestamp) -> anyhow::Result<DeadlineRun> {
    let overdue = ctx.store.leads().overdue_without_feedback(now).await?;
    let mut run = DeadlineRun {
        overdue: overdue.len(),
        ..DeadlineRun::default()
    };
    let mut events: HashMap<i64, Option<EventPlan>> = HashMap::new();
    for lead in overdue {
        if let std::collections::hash_map::Entry::Vacant(slot) = events.entry(lead.event_id) {
            slot.insert(plan_for(ctx, lead.event_id, &mut run).await?);
        }
        let Some(Some(plan)) = events.get(&lead.event_id) else {
            continue;
        };
        let tz = plan.event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
        for due in steps_due(
            ts(lead.due_at),
            &lead.owner,
            plan.routing.as_ref(),
            now,
            &tz,
        ) {
            take(ctx, plan, &lead, due.step, &due.to, now, &mut run).await?;
        }
    }
    Ok(run)
}

async fn plan_for(
    ctx: &Context,
    event_id: i64,
    run: &mut DeadlineRun,
) -> anyhow::Result<Option<EventPlan>> {
    let Some(event) = ctx.store.events().event_by_id(event_id).await? else {
        return Ok(None);
    };
    let slug = event.info.slug.to_string();
    match files::load(
        &ctx.settings.leads.config_dir,
        &slug,
        &files::FileChoice::default(),
    ) {
        Ok(f) => Ok(Some(EventPlan {
            event,
            routing: f.routing,
        })),
        Err(e) => {
            // The file's own error names its line; the build shows it too.
            tracing::error!(event = event_id, error = %format!("{e:#}"), "deadline check skipped the event");
            run.broken_files += 1;
            Ok(None)
        }
    }
}

/// Claims and takes one step.
async fn take(
    ctx: &Context,
    plan: &EventPlan,
    lead: &OverdueLead,
    step: Step,
    to: &str,
    now: Timestamp,
    run: &mut DeadlineRun,
) -> anyhow::Result<()> {
    let recipient = ctx.store.leads().step_recipient(to).await?;
    let key = StepKey {
        event_id: lead.event_id,
        attendee_id: lead.attendee_id,
        step,
        due_at: lead.due_at,
        owner_id: lead.owner_id,
    };
    let Some(id) = ctx
        .store
        .leads()
        .claim_deadline_step(key, recipient.as_ref().map(|r| r.id), now)
        .await?
    else {
        return Ok(());
    };
    let Some(recipient) = recipient else {
        ctx.store
            .leads()
            .finish_deadline_step(id, "failed", &format!("no enabled account '{to}'"))
            .await?;
        run.failed += 1;
        return Ok(());
    };
    if step == Step::Reassigned {
        let routing = plan
            .routing
            .as_ref()
            .expect("reassignment comes from a routing file");
        let tz = plan.event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
        let moved = ctx
            .store
            .leads()
            .reassign_lead(
                lead.event_id,
                lead.attendee_id,
                lead.owner_id,
                recipient.id,
                routing.deadline(now, &tz),
            )
            .await?;
        if !moved {
            ctx.store
                .leads()
                .finish_deadline_step(id, "sent", "not moved: it changed hands or got an outcome")
                .await?;
            return Ok(());
        }
    }
    let (state, detail) = notify(ctx, plan, lead, step, &recipient).await;
    ctx.store
        .leads()
        .finish_deadline_step(id, state, &detail)
        .await?;
    match (state, step) {
        ("failed", _) => run.failed += 1,
        ("no_address", _) => run.no_address += 1,
        _ => {}
    }
    if state != "failed" {
        match step {
            Step::Reminded => run.reminded += 1,
            Step::Escalated => run.escalated += 1,
            Step::Reassigned => run.reassigned += 1,
        }
    }
    Ok(())
}

/// Emails the recipient; the step's state and detail.
async fn notify(
    ctx: &Context,
    plan: &EventPlan,
    lead: &OverdueLead,
    step: Step,
    to: &StepRecipient,
) -> (&'static str, String) {
    let Some(address) = to.email.as_deref().filter(|a| !a.trim().is_empty()) else {
        return (
            "no_address",
            format!("{} has no email address", to.username),
        );
    };
    let slug = plan.event.info.slug.as_str();
    let base = &ctx.settings.public_url;
    let (subject, link, what) = match step {
        Step::Reminded => (
            format!("Feedback overdue: {} ({})", lead.name, lead.company),
            format!("{base}/sales/leads/{slug}/{}", lead.attendee_id),
            "Its feedback deadline has passed and no outcome is recorded yet. Please record what happened.".to_owned(),
        ),
        Step::Escalated => (
            format!("Escalated: no feedback on {} ({})", lead.name, lead.company),
            format!("{base}/admin/events/{slug}/leads/{}", lead.attendee_id),
            format!(
                "{}'s feedback deadline for this lead has passed by {} working days without an outcome.",
                lead.owner,
                plan.routing.as_ref().map_or(0, |r| r.escalate_after_working_days)
            ),
        ),
        Step::Reassigned => (
            format!("Lead reassigned to you: {} ({})", lead.name, lead.company),
            format!("{base}/sales/leads/{slug}/{}", lead.attendee_id),
            format!(
                "It was {}'s and went past its deadline without an outcome; it is yours now, with a new deadline.",
                lead.owner
            ),
        ),
    };
    let tz = plan.event.info.tz().unwrap_or(jiff::tz::TimeZone::UTC);
    let due = ts(lead.due_at)
        .to_zoned(tz)
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string();
    let body = format!(
        "Hello {},\n\n{} - tier {} lead at {}, deadline {due}.\n{what}\n\nThe lead package: {link}\n",
        to.display_name, lead.name, lead.tier, plan.event.info.name
    );
    let notice = StaffNotice {
        to: address,
        to_name: &to.display_name,
        subject: &subject,
        body: &body,
    };
    let message = match compose_staff_notice(&ctx.settings.mail.from, &notice) {
        Ok(m) => m,
        Err(e) => return ("failed", e.to_string()),
    };
    match ctx.mail.send(&message).await {
        Ok(_) => ("sent", format!("emailed {}", to.username)),
        Err(e) => {
            tracing::warn!(error = %e, "deadline notice not sent");
            (
                "failed",
                "the mail server did not take it; tried again next check".into(),
            )
        }
    }
}

/// Checks every `leads.deadline_check_minutes` (0: never) until shutdown.
pub async fn run_until_shutdown(ctx: Context, mut shutdown: watch::Receiver<bool>) {
    let minutes = ctx.settings.leads.deadline_check_minutes;
    if minutes == 0 {
        return;
    }
    let every = Duration::from_secs(minutes * 60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        match run_once(&ctx, Timestamp::now()).await {
            Ok(run) if run.reminded + run.escalated + run.reassigned + run.failed > 0 => {
                tracing::info!(
                    reminded = run.reminded,
                    escalated = run.escalated,
                    reassigned = run.reassigned,
                    failed = run.failed,
                    "feedback deadlines checked"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "feedback deadline check failed"),
        }
    }
}
