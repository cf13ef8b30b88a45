//! The data export: everything held about one attendee, as one JSON document.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::{context::Context, domain::choice::or_blank, store::ts};

/// Names the document's shape (docs/formats.md); bumped when it changes incompatibly.
pub const EXPORT_FORMAT: &str = "badgetrail.attendee-export.v1";

fn time(ms: i64) -> String {
    ts(ms).to_string()
}

/// Everything held about the attendee: registration with answers and interests, consent
/// history with the wording shown, badges (tokens included: they are the person's own),
/// door scans and the trail built from them, badge and follow-up emails with opens and
/// clicks, the lead with its tier, explanation and factors, and sales feedback.
pub async fn export_attendee(ctx: &Context, attendee_id: i64) -> anyhow::Result<Value> {
    let store = &ctx.store;
    let a = store
        .attendees()
        .attendee(attendee_id)
        .await?
        .with_context(|| format!("no attendee {attendee_id}"))?;
    let event = store
        .events()
        .event_by_id(a.event_id)
        .await?
        .with_context(|| format!("attendee {attendee_id} has no event"))?;
    let consents: Vec<Value> = store
        .attendees()
        .attendee_consents(attendee_id)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "granted": c.granted,
                "source": c.source,
                "wording": c.wording,
                "at": time(c.at),
            })
        })
        .collect();
    let badges: Vec<Value> = store
        .attendees()
        .attendee_badges(attendee_id)
        .await?
        .into_iter()
        .map(|b| {
            json!({
                "serial": b.serial,
                "token": b.token,
                "issued_at": time(b.issued_at),
                "revoked_at": b.revoked_at.map(time),
            })
        })
        .collect();
    let scans = store.attendees().export_scans(attendee_id).await?;
    let trail = crate::trails::attendee_trail(ctx, a.event_id, attendee_id).await?;
    let lead = match store.leads().lead(a.event_id, attendee_id).await? {
        None => Value::Null,
        Some(row) => {
            let l = row.lead;
            let package = l
                .package()
                .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
                .unwrap_or(Value::Null);
            json!({
                "tier": l.tier,
                "top_topic": l.top_topic,
                "score": l.score,
                "fit": l.fit,
                "engagement": l.engagement,
                "purchase_stage": or_blank::key(l.stage),
                "topic_scores": l.topic_scores,
                "explanation": l.explanation,
                "owner": row.owner,
                "due_at": l.due_at.map(time),
                "package": package,
            })
        }
    };
    Ok(json!({
        "format": EXPORT_FORMAT,
        "event": {
            "slug": event.info.slug.as_str(),
            "name": event.info.name,
        },
        "registration": {
            "id": a.id,
            "email": a.email,
            "name": a.name,
            "company": a.answers.company,
            "job_title": a.answers.job_title,
            "decision_role": or_blank::key(a.answers.decision_role),
            "purchase_stage": or_blank::key(a.answers.purchase_stage),
            "industry": or_blank::key(a.answers.industry),
            "company_size": or_blank::key(a.answers.company_size),
            "country": a.answers.country,
            "phone": a.phone,
            "interests": a.interests,
            "marketing_consent": a.marketing_consent,
            "source": a.source,
            "registered_at": time(a.registered_at),
            "updated_at": time(a.updated_at),
            "erased_at": a.erased_at.map(time),
        },
        "consents": consents,
        "badges": badges,
        "scans": scans,
        "trail": trail,
        "emails": {
            "badge": store.attendees().export_badge_mail(attendee_id).await?,
            "campaigns": store.attendees().export_campaign_sends(attendee_id).await?,
            "engagements": store.attendees().export_engagements(attendee_id).await?,
            "suppressed_for": store.campaigns().suppressions_of(&a.email).await?,
        },
        "lead": lead,
        "lead_feedback": store.attendees().export_lead_feedback(attendee_id).await?,
    }))
}
