//! Delivering hot-lead alerts: each recorded alert is emailed to the person it is for and
//! posted once to the alert webhook. Alerts are leased before they are sent, so two
//! instances never send one twice, and one an instance left half-sent is taken up again
//! when its lease runs out.

use jiff::{Timestamp, tz::TimeZone};

use super::webhook::alert::{self, HotLead};
use crate::{
    context::Context,
    mail::{StaffNotice, compose_staff_notice},
    store::{AlertRecord, ts},
};

/// How long a delivery may take before another instance takes the alert up.
const LEASE_MS: i64 = 60_000;
/// Alerts leased at a time.
const BATCH: i64 = 50;

/// Delivers every alert still to email or post.
pub async fn deliver_pending(ctx: &Context) {
    loop {
        let now = Timestamp::now().as_millisecond();
        let alerts = match ctx
            .store
            .leads()
            .lease_pending_alerts(now, now + LEASE_MS, BATCH)
            .await
        {
            Ok(a) => a,
            Err(e) => return tracing::warn!(error = %e, "alerts not read"),
        };
        if alerts.is_empty() {
            return;
        }
        for a in &alerts {
            let email = match a.email_state.as_str() {
                "pending" => email(ctx, a).await,
                other => other.to_owned(),
            };
            let webhook = match (
                a.webhook_state.as_str(),
                &ctx.settings.leads.alert_webhook_url,
            ) {
                ("pending", Some(url)) => {
                    let body = body(a);
                    if alert::post(&ctx.settings.leads, url, &body).await {
                        "posted".to_owned()
                    } else {
                        "failed".to_owned()
                    }
                }
                ("pending", None) => "none".to_owned(),
                (other, _) => other.to_owned(),
            };
            if let Err(e) = ctx.store.leads().finish_alert(a.id, &email, &webhook).await {
                tracing::warn!(error = %e, "alert state not saved");
            }
        }
        if (alerts.len() as i64) < BATCH {
            return;
        }
    }
}

/// When an alert was raised, in the event's time zone, which it names:
/// "10:23 (Europe/Berlin)".
pub fn when(a: &AlertRecord) -> String {
    let tz = TimeZone::get(&a.time_zone).unwrap_or(TimeZone::UTC);
    let time = ts(a.created_at).to_zoned(tz).strftime("%H:%M").to_string();
    format!("{time} ({})", a.time_zone)
}

/// The alert's headline: who, and what happened.
pub fn headline(a: &AlertRecord) -> String {
    let who = if a.company.trim().is_empty() {
        a.name.clone()
    } else {
        format!("{} ({})", a.name, a.company)
    };
    match (a.trigger.as_str(), &a.room) {
        ("enters", Some(room)) => format!("{who} is in {room} now"),
        ("enters", None) => format!("{who} is at a session now"),
        _ => format!("{who} became tier A"),
    }
}

async fn email(ctx: &Context, a: &AlertRecord) -> String {
    let Some(address) = a.owner_email.as_deref().filter(|e| !e.trim().is_empty()) else {
        return "no_address".into();
    };
    // Until the event's leads are built there is no package to open.
    let link = match a.built_tier {
        Some(_) => format!(
            "The lead package: {}/sales/leads/{}/{}\n",
            ctx.settings.public_url, a.event_slug, a.attendee_id
        ),
        None => String::new(),
    };
    let session = match (&a.session_title, &a.room) {
        (Some(t), Some(r)) => format!("Session: {t}, in {r}\n"),
        (Some(t), None) => format!("Session: {t}\n"),
        _ => String::new(),
    };
    let body = format!(
        "Hello {},\n\n{} at {}, {}.\n{session}Why: {}\n\n{link}Every alert: {}/sales/hot\n",
        a.owner_name.as_deref().unwrap_or(""),
        headline(a),
        a.event_name,
        when(a),
        a.reason,
        ctx.settings.public_url,
    );
    let subject = format!("Hot lead: {}", headline(a));
    let notice = StaffNotice {
        to: address,
        to_name: a.owner_name.as_deref().unwrap_or(""),
        subject: &subject,
        body: &body,
    };
    let message = match compose_staff_notice(&ctx.settings.mail.from, &notice) {
        Ok(m) => m,
        Err(_) => return "failed".into(),
    };
    match ctx.mail.send(&message).await {
        Ok(_) => "sent".into(),
        Err(e) => {
            tracing::warn!(error = %e, alert = a.id, "hot-lead alert not emailed");
            "failed".into()
        }
    }
}

fn body(a: &AlertRecord) -> HotLead<'_> {
    HotLead {
        event: &a.event_slug,
        alert_id: a.id,
        rule: &a.rule,
        trigger: &a.trigger,
        attendee_id: a.attendee_id,
        name: &a.name,
        company: &a.company,
        job_title: &a.job_title,
        tier: a.tier.as_deref(),
        session: a.session_title.as_deref(),
        room: a.room.as_deref(),
        reason: &a.reason,
        at: ts(a.created_at).to_string(),
        owner: a.owner.as_deref(),
    }
}
