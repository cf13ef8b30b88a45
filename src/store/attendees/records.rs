//! Attendees, their consent history and their badges.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::FromRow;

use super::Attendees;
use crate::domain::attendee::Answers;
use crate::store::{
    StoreError, StoreResult, in_tx,
    list_order::{self, AttendeeSort, ListOrder},
    on_pool,
};

/// A freshly signed badge token and the key that signed it.
#[derive(Debug, Clone)]
pub struct NewBadge {
    pub key_id: i64,
    pub token: String,
}

/// How registrations are recorded.
#[derive(Debug, Clone, Copy)]
pub struct RegisterOptions<'a> {
    /// Where the attendee came from: `web`, `import`, `demo`.
    pub source: &'a str,
    /// Queue the badge email in the same transaction.
    pub send_badge_mail: bool,
    /// What a registration for an address already registered does.
    pub existing: OnExisting,
    /// Addresses that get no badge email even so.
    pub no_badge_mail: &'a HashSet<String>,
}

/// What a registration does when its address is already registered for the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Replace the answers and consent with the new ones: an organiser's import states them.
    Update,
    /// Change nothing stored: whoever submits the public form may not be the address's
    /// owner. Only the badge email goes out again, to that address, at most once per
    /// [`BADGE_MAIL_RESEND_MS`].
    Keep,
}

/// The shortest time between two badge emails that a repeated registration can cause.
pub const BADGE_MAIL_RESEND_MS: i64 = 60 * 60 * 1000;

/// What happened to one registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationOutcome {
    pub attendee_id: i64,
    pub created: bool,
    pub serial: i64,
    pub token: String,
}

/// One attendee as stored.
#[derive(Debug, Clone, FromRow)]
pub struct AttendeeRecord {
    pub id: i64,
    pub event_id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(flatten)]
    pub answers: Answers,
    pub phone: Option<String>,
    pub marketing_consent: bool,
    pub source: String,
    pub badge_serial: i64,
    pub registered_at: i64,
    pub updated_at: i64,
    /// When the person's data was erased; their other fields are then neutral values.
    pub erased_at: Option<i64>,
    #[sqlx(skip)]
    pub interests: Vec<String>,
    /// The token of the valid badge.
    #[sqlx(skip)]
    pub token: String,
}

/// A line of the attendee list.
#[derive(Debug, Clone, FromRow)]
pub struct AttendeeSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub badge_serial: i64,
    pub token: String,
    /// Their first accepted door scan at the event (unix ms); `None`: not checked in.
    pub checked_in_at: Option<i64>,
}

/// One attendee as the attendee list's CSV export writes them.
#[derive(Debug, Clone, FromRow)]
pub struct AttendeeListRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(flatten)]
    pub answers: Answers,
    pub marketing_consent: bool,
    pub registered_at: i64,
    pub badge_serial: i64,
    pub checked_in_at: Option<i64>,
}

/// The attendee list's search: name, email or company containing the words, any case.
const LIST_MATCH: &str = "a.event_id = $1
     AND (LOWER(a.name) LIKE $2 OR LOWER(a.email) LIKE $2 OR LOWER(a.company) LIKE $2)";

/// When the attendee was first let in: their first accepted scan.
const CHECKED_IN_AT: &str = "(SELECT MIN(s.scanned_at) FROM scans s
       WHERE s.attendee_id = a.id AND s.decision = 'accepted') AS checked_in_at";

fn list_pattern(search: &str) -> String {
    format!("%{}%", search.trim().to_lowercase().replace(['%', '_'], ""))
}

/// One consent given or withdrawn, with the words the person saw.
#[derive(Debug, Clone, FromRow)]
pub struct ConsentRecord {
    pub granted: bool,
    pub source: String,
    pub wording: String,
    pub at: i64,
}

/// One issued badge, valid or revoked.
#[derive(Debug, Clone, FromRow)]
pub struct BadgeRecord {
    pub attendee_id: i64,
    pub serial: i64,
    pub key_id: i64,
    pub token: String,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
}

pub(super) const INSERT_BADGE: &str = "INSERT INTO badges (attendee_id, serial, key_id, token, issued_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const QUEUE_BADGE_MAIL: &str = "INSERT INTO mail_queue (kind, attendee_id, state, attempts, run_after, created_at) \
     VALUES ('badge', $1, 'queued', 0, $2, $2)";

const ATTENDEE_COLUMNS: &str = "a.id, a.event_id, a.email, a.name, a.company, a.job_title, a.decision_role, \
     a.purchase_stage, a.industry, a.company_size, a.country, a.phone, a.marketing_consent, a.source, \
     a.badge_serial, a.registered_at, a.updated_at, a.erased_at";

impl Attendees<'_> {
    /// Issues a new badge, revoking every earlier one, and queues the badge email.
    pub async fn reissue_badge(
        self,
        attendee_id: i64,
        now: Timestamp,
        issue: &(dyn Fn(i64, i64) -> NewBadge + Sync),
    ) -> StoreResult<RegistrationOutcome> {
        let now = now.as_millisecond();
        let outcome = in_tx!(self, tx => {
            let serial: Option<i64> = sqlx::query_scalar(
                "UPDATE attendees SET badge_serial = badge_serial + 1, updated_at = $2 WHERE id = $1 RETURNING badge_serial",
            )
            .bind(attendee_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let serial = serial.ok_or(StoreError::NotFound("attendee"))?;
            if serial > i64::from(u16::MAX) {
                return Err(StoreError::Conflict("this attendee has had too many badges".into()));
            }
            sqlx::query("UPDATE badges SET revoked_at = $2 WHERE attendee_id = $1 AND revoked_at IS NULL")
                .bind(attendee_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let badge = issue(attendee_id, serial);
            sqlx::query(INSERT_BADGE)
            .bind(attendee_id)
            .bind(serial)
            .bind(badge.key_id)
            .bind(&badge.token)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(QUEUE_BADGE_MAIL)
            .bind(attendee_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            RegistrationOutcome { attendee_id, created: false, serial, token: badge.token }
        });
        Ok(outcome)
    }

    /// One attendee with interests and valid badge token.
    pub async fn attendee(self, attendee_id: i64) -> StoreResult<Option<AttendeeRecord>> {
        let sql = format!("SELECT {ATTENDEE_COLUMNS} FROM attendees a WHERE a.id = $1");
        let row: Option<AttendeeRecord> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(attendee_id)
            .fetch_optional(p)
            .await)?;
        match row {
            Some(a) => Ok(Some(self.complete(a).await?)),
            None => Ok(None),
        }
    }

    /// The id of the event's attendee with this (normalised) address, if any.
    pub async fn attendee_id_by_email(
        self,
        event_id: i64,
        email: &str,
    ) -> StoreResult<Option<i64>> {
        let id = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM attendees WHERE event_id = $1 AND email = $2",
        )
        .bind(event_id)
        .bind(email)
        .fetch_optional(p)
        .await)?;
        Ok(id)
    }

    /// The badge a token belongs to and its attendee, whether or not the badge is still valid.
    pub async fn badge_by_token(
        self,
        token: &str,
    ) -> StoreResult<Option<(BadgeRecord, AttendeeRecord)>> {
        let badge: Option<BadgeRecord> = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, serial, key_id, token, issued_at, revoked_at FROM badges WHERE token = $1",
        )
        .bind(token)
        .fetch_optional(p)
        .await)?;
        let Some(badge) = badge else { return Ok(None) };
        let attendee = self.attendee(badge.attendee_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("badge of missing attendee {}", badge.attendee_id))
        })?;
        Ok(Some((badge, attendee)))
    }

    /// Every badge ever issued to an attendee, newest first.
    pub async fn attendee_badges(self, attendee_id: i64) -> StoreResult<Vec<BadgeRecord>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, serial, key_id, token, issued_at, revoked_at FROM badges
             WHERE attendee_id = $1 ORDER BY serial DESC",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The attendee's consent history, oldest first.
    pub async fn attendee_consents(self, attendee_id: i64) -> StoreResult<Vec<ConsentRecord>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT granted, source, wording, at FROM consents WHERE attendee_id = $1 ORDER BY id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// A page of an event's attendees, optionally filtered by a search on name, email or
    /// company, with the total count of matches.
    pub async fn list_attendees(
        self,
        event_id: i64,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<AttendeeSummary>, i64)> {
        self.list_attendees_sorted(event_id, search, None, limit, offset)
            .await
    }

    /// `list_attendees` in the order asked for (`None`: by name).
    pub async fn list_attendees_sorted(
        self,
        event_id: i64,
        search: &str,
        order: Option<ListOrder<AttendeeSort>>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<AttendeeSummary>, i64)> {
        let pattern = list_pattern(search);
        let by = list_order::attendee_order(order);
        let sql = format!(
            "SELECT a.id, a.email, a.name, a.company, a.job_title, a.badge_serial, b.token, {CHECKED_IN_AT}
             FROM attendees a JOIN badges b ON b.attendee_id = a.id AND b.serial = a.badge_serial
             WHERE {LIST_MATCH}
             ORDER BY {by} LIMIT $3 OFFSET $4"
        );
        let rows: Vec<AttendeeSummary> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?;
        let count = format!("SELECT COUNT(*) FROM attendees a WHERE {LIST_MATCH}");
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(count))
        .bind(event_id)
        .bind(&pattern)
        .fetch_one(p)
        .await)?;
        Ok((rows, total))
    }

    /// Every attendee of the event the list's search matches, by name, for the CSV export.
    pub async fn attendee_list_export(
        self,
        event_id: i64,
        search: &str,
    ) -> StoreResult<Vec<AttendeeListRow>> {
        let sql = format!(
            "SELECT a.id, a.email, a.name, a.company, a.job_title, a.decision_role, a.purchase_stage,
               a.industry, a.company_size, a.country, a.marketing_consent, a.registered_at,
               a.badge_serial, {CHECKED_IN_AT}
             FROM attendees a WHERE {LIST_MATCH} ORDER BY a.name, a.id"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .bind(list_pattern(search))
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Attendee ids and the current badge serial of everyone who had a badge replaced: a
    /// device refuses any badge of theirs with a lower serial.
    pub async fn badge_revocations(self, event_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, badge_serial FROM attendees WHERE event_id = $1 AND badge_serial > 1 ORDER BY id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    async fn complete(self, mut a: AttendeeRecord) -> StoreResult<AttendeeRecord> {
        a.interests = on_pool!(self, p => sqlx::query_scalar(
            "SELECT t.slug FROM attendee_interests ai JOIN topics t ON t.id = ai.topic_id
             WHERE ai.attendee_id = $1 ORDER BY t.position",
        )
        .bind(a.id)
        .fetch_all(p)
        .await)?;
        a.token = on_pool!(self, p => sqlx::query_scalar(
            "SELECT token FROM badges WHERE attendee_id = $1 AND serial = $2",
        )
        .bind(a.id)
        .bind(a.badge_serial)
        .fetch_optional(p)
        .await)?
        .unwrap_or_default();
        Ok(a)
    }
}
