//! Recording registrations: one transaction per call, each registration's statements run in
//! the order `register_plan` decides them.

use std::collections::HashMap;

use jiff::Timestamp;

use super::Attendees;
use super::records::{
    INSERT_BADGE, NewBadge, QUEUE_BADGE_MAIL, RegisterOptions, RegistrationOutcome,
};
use super::register_plan::{self as plan, Stored};
use crate::domain::attendee::{CONSENT_WORDING, Registration};
use crate::store::statistics::{Grown, GrowthWatch};
use crate::store::{StoreResult, Tx, in_tx, on_tx};

/// What every registration of one call shares.
struct Batch<'a> {
    event_id: i64,
    options: RegisterOptions<'a>,
    /// Unix ms.
    now: i64,
    /// The event's topic ids by slug.
    topics: HashMap<String, i64>,
    issue: &'a (dyn Fn(i64, i64) -> NewBadge + Sync),
}

impl Attendees<'_> {
    /// Records registrations in one transaction: each attendee is created or updated by
    /// (event, email), their interests replaced, a consent change appended, a badge issued if
    /// they have none, and the badge email queued. All or nothing.
    pub async fn register_attendees(
        self,
        event_id: i64,
        registrations: &[Registration],
        options: RegisterOptions<'_>,
        now: Timestamp,
        issue: &(dyn Fn(i64, i64) -> NewBadge + Sync),
    ) -> StoreResult<Vec<RegistrationOutcome>> {
        let outcomes = in_tx!(self, &mut tx => {
            let batch = Batch {
                event_id,
                options,
                now: now.as_millisecond(),
                topics: event_topic_ids(tx, event_id).await?,
                issue,
            };
            let mut outcomes = Vec::with_capacity(registrations.len());
            let mut growth = GrowthWatch::new(Grown::Registrations);
            for reg in registrations {
                let stored = stored_for(tx, event_id, reg.email.as_str()).await?;
                let outcome = match plan::kept(stored, options.existing) {
                    Some(attendee_id) => keep(tx, &batch, attendee_id).await?,
                    None => record(tx, &batch, reg, stored).await?,
                };
                outcomes.push(outcome);
                growth.wrote(tx, outcomes.len()).await?;
            }
            outcomes
        });
        Ok(outcomes)
    }
}

/// A registration for an address already registered that changes nothing stored: at most
/// the badge email goes out again.
async fn keep(tx: &mut Tx, b: &Batch<'_>, attendee_id: i64) -> StoreResult<RegistrationOutcome> {
    let last_mail = last_badge_mail(tx, attendee_id).await?;
    if plan::resends_badge_mail(b.options.send_badge_mail, last_mail, b.now) {
        queue_badge_mail(tx, attendee_id, b.now).await?;
    }
    let (serial, token) = current_badge(tx, attendee_id).await?;
    Ok(RegistrationOutcome {
        attendee_id,
        created: false,
        serial,
        token,
    })
}

/// A registration written: the attendee created or updated, their interests replaced, a
/// consent change appended, a badge issued if they have none, the badge email queued.
async fn record(
    tx: &mut Tx,
    b: &Batch<'_>,
    reg: &Registration,
    stored: Option<Stored>,
) -> StoreResult<RegistrationOutcome> {
    let (attendee_id, serial) = upsert_attendee(tx, b, reg).await?;
    delete_interests(tx, attendee_id).await?;
    for topic_id in plan::interest_topic_ids(&reg.interests, &b.topics)? {
        insert_interest(tx, attendee_id, topic_id).await?;
    }
    if plan::consent_changed(stored, reg.marketing_consent) {
        append_consent(tx, b, attendee_id, reg.marketing_consent).await?;
    }
    let token = match badge_token(tx, attendee_id, serial).await? {
        Some(token) => token,
        None => issue_badge(tx, b, attendee_id, serial).await?,
    };
    if plan::mails_badge(&b.options, reg.email.as_str()) {
        queue_badge_mail(tx, attendee_id, b.now).await?;
    }
    Ok(RegistrationOutcome {
        attendee_id,
        created: stored.is_none(),
        serial,
        token,
    })
}

async fn event_topic_ids(tx: &mut Tx, event_id: i64) -> StoreResult<HashMap<String, i64>> {
    let topics: Vec<(String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT slug, id FROM topics WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_all(c)
    .await)?;
    Ok(topics.into_iter().collect())
}

async fn stored_for(tx: &mut Tx, event_id: i64, email: &str) -> StoreResult<Option<Stored>> {
    let row: Option<(i64, bool)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, marketing_consent FROM attendees WHERE event_id = $1 AND email = $2",
    )
    .bind(event_id)
    .bind(email)
    .fetch_optional(c)
    .await)?;
    Ok(row.map(|(attendee_id, marketing_consent)| Stored {
        attendee_id,
        marketing_consent,
    }))
}

/// When the attendee's badge email was last queued (unix ms).
async fn last_badge_mail(tx: &mut Tx, attendee_id: i64) -> StoreResult<Option<i64>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "SELECT MAX(created_at) FROM mail_queue WHERE attendee_id = $1 AND kind = 'badge'",
    )
    .bind(attendee_id)
    .fetch_one(c)
    .await)?)
}

async fn queue_badge_mail(tx: &mut Tx, attendee_id: i64, now: i64) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query(QUEUE_BADGE_MAIL)
        .bind(attendee_id)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The serial and token of the attendee's valid badge.
async fn current_badge(tx: &mut Tx, attendee_id: i64) -> StoreResult<(i64, String)> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT b.serial, b.token FROM attendees a
         JOIN badges b ON b.attendee_id = a.id AND b.serial = a.badge_serial
         WHERE a.id = $1",
    )
    .bind(attendee_id)
    .fetch_one(c)
    .await)?)
}

/// Creates the attendee or updates the one stored for the address; their id and badge serial.
async fn upsert_attendee(
    tx: &mut Tx,
    b: &Batch<'_>,
    reg: &Registration,
) -> StoreResult<(i64, i64)> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "INSERT INTO attendees (event_id, email, name, company, job_title, decision_role, purchase_stage,
           industry, company_size, country, phone, marketing_consent, source, badge_serial,
           registered_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14)
         ON CONFLICT (event_id, email) DO UPDATE SET name = excluded.name, company = excluded.company,
           job_title = excluded.job_title, decision_role = excluded.decision_role,
           purchase_stage = excluded.purchase_stage, industry = excluded.industry,
           company_size = excluded.company_size, country = excluded.country, phone = excluded.phone,
           marketing_consent = excluded.marketing_consent, updated_at = excluded.updated_at
         RETURNING id, badge_serial",
    )
    .bind(b.event_id)
    .bind(reg.email.as_str())
    .bind(&reg.name)
    .bind(&reg.company)
    .bind(&reg.job_title)
    .bind(reg.decision_role.key())
    .bind(reg.purchase_stage.key())
    .bind(reg.industry.key())
    .bind(reg.company_size.key())
    .bind(&reg.country)
    .bind(reg.phone.as_deref())
    .bind(reg.marketing_consent)
    .bind(b.options.source)
    .bind(b.now)
    .fetch_one(c)
    .await)?)
}

async fn delete_interests(tx: &mut Tx, attendee_id: i64) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM attendee_interests WHERE attendee_id = $1")
        .bind(attendee_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

async fn insert_interest(tx: &mut Tx, attendee_id: i64, topic_id: i64) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query("INSERT INTO attendee_interests (attendee_id, topic_id) VALUES ($1, $2)")
        .bind(attendee_id)
        .bind(topic_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

async fn append_consent(
    tx: &mut Tx,
    b: &Batch<'_>,
    attendee_id: i64,
    granted: bool,
) -> StoreResult<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO consents (attendee_id, granted, source, wording, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(attendee_id)
    .bind(granted)
    .bind(b.options.source)
    .bind(CONSENT_WORDING)
    .bind(b.now)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The token of the attendee's badge with this serial, if it was issued.
async fn badge_token(tx: &mut Tx, attendee_id: i64, serial: i64) -> StoreResult<Option<String>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "SELECT token FROM badges WHERE attendee_id = $1 AND serial = $2",
    )
    .bind(attendee_id)
    .bind(serial)
    .fetch_optional(c)
    .await)?)
}

/// Signs and stores the attendee's badge with this serial; its token.
async fn issue_badge(
    tx: &mut Tx,
    b: &Batch<'_>,
    attendee_id: i64,
    serial: i64,
) -> StoreResult<String> {
    let badge = (b.issue)(attendee_id, serial);
    on_tx!(tx, c => sqlx::query(INSERT_BADGE)
        .bind(attendee_id)
        .bind(serial)
        .bind(badge.key_id)
        .bind(&badge.token)
        .bind(b.now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(badge.token)
}
