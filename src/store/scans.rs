//! Door scans: stored once per (device, nonce), refused ones included, in arrival batches.

use jiff::Timestamp;
use sqlx::FromRow;

use super::{Store, StoreResult, in_tx, on_pool};

/// A scan as the flow prepared it: checked badge, resolved room and candidate session.
#[derive(Debug, Clone)]
pub struct PendingScan {
    pub nonce: String,
    /// The badge text as scanned, cut to a sane length.
    pub badge: String,
    pub attendee_id: Option<i64>,
    pub room_id: Option<i64>,
    /// The session the scan would count for, when badge, room and time allow one.
    pub session_id: Option<i64>,
    pub direction: &'static str,
    pub device_time: i64,
    pub scanned_at: i64,
    /// The caller's own index for this scan, handed back to `Finish`.
    pub key: usize,
}

/// The scans of one device's request, and the device state it reported.
#[derive(Debug, Clone)]
pub struct ScanGroup {
    pub device_id: i64,
    pub scans: Vec<PendingScan>,
    pub app_version: String,
    pub queue_size: i64,
    pub clock_skew_ms: i64,
}

/// What was decided, as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ScanVerdict {
    pub nonce: String,
    pub decision: String,
    pub reason: Option<String>,
    pub session_id: Option<i64>,
    pub attendee_id: Option<i64>,
}

/// One stored scan, for trails and reports.
#[derive(Debug, Clone, FromRow)]
pub struct ScanRow {
    pub attendee_id: Option<i64>,
    pub room_id: Option<i64>,
    pub session_id: Option<i64>,
    pub direction: String,
    pub scanned_at: i64,
    pub decision: String,
    pub reason: Option<String>,
}

/// The final word on a new scan, given the nearest earlier-or-later accepted scan of the same
/// attendee, session and direction (unix ms), which the store looks up inside the transaction.
pub type Finish<'a> = dyn Fn(&PendingScan, Option<i64>) -> (&'static str, Option<&'static str>, Option<i64>)
    + Sync
    + 'a;

impl Store {
    /// Stores the scans of several device requests in one transaction (group commit) and
    /// returns each scan's verdict, per group in input order. A nonce a device already sent
    /// returns its first verdict unchanged, so a retried batch never stores or counts
    /// anything twice. Each device's last contact is updated in the same transaction.
    pub async fn record_scans(
        &self,
        event_id: i64,
        groups: &[ScanGroup],
        now: Timestamp,
        finish: &Finish<'_>,
    ) -> StoreResult<Vec<Vec<ScanVerdict>>> {
        let now = now.as_millisecond();
        let verdicts = in_tx!(self, tx => {
            let mut all = Vec::with_capacity(groups.len());
            for g in groups {
                let mut out = Vec::with_capacity(g.scans.len());
                for s in &g.scans {
                    let earlier: Option<ScanVerdict> = sqlx::query_as(
                        "SELECT nonce, decision, reason, session_id, attendee_id FROM scans WHERE device_id = $1 AND nonce = $2",
                    )
                    .bind(g.device_id)
                    .bind(&s.nonce)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(v) = earlier {
                        out.push(v);
                        continue;
                    }
                    let nearest: Option<i64> = match (s.attendee_id, s.session_id) {
                        (Some(a), Some(session)) => sqlx::query_scalar(
                            "SELECT scanned_at FROM scans
                             WHERE attendee_id = $1 AND session_id = $2 AND direction = $3 AND decision = 'accepted'
                             ORDER BY ABS(scanned_at - $4) LIMIT 1",
                        )
                        .bind(a)
                        .bind(session)
                        .bind(s.direction)
                        .bind(s.scanned_at)
                        .fetch_optional(&mut *tx)
                        .await?,
                        _ => None,
                    };
                    let (decision, reason, session_id) = finish(s, nearest);
                    sqlx::query(
                        "INSERT INTO scans (event_id, device_id, nonce, badge, attendee_id, room_id, session_id, direction,
                           device_time, scanned_at, received_at, decision, reason)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(event_id)
                    .bind(g.device_id)
                    .bind(&s.nonce)
                    .bind(&s.badge)
                    .bind(s.attendee_id)
                    .bind(s.room_id)
                    .bind(session_id)
                    .bind(s.direction)
                    .bind(s.device_time)
                    .bind(s.scanned_at)
                    .bind(now)
                    .bind(decision)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                    out.push(ScanVerdict {
                        nonce: s.nonce.clone(),
                        decision: decision.to_owned(),
                        reason: reason.map(str::to_owned),
                        session_id,
                        attendee_id: s.attendee_id,
                    });
                }
                sqlx::query(
                    "UPDATE devices SET last_seen_at = $2, app_version = $3, queue_size = $4, clock_skew_ms = $5 WHERE id = $1",
                )
                .bind(g.device_id)
                .bind(now)
                .bind(&g.app_version)
                .bind(g.queue_size)
                .bind(g.clock_skew_ms)
                .execute(&mut *tx)
                .await?;
                all.push(out);
            }
            all
        });
        Ok(verdicts)
    }

    /// Every scan of an event, oldest first (for trails and exports).
    pub async fn event_scans(&self, event_id: i64) -> StoreResult<Vec<ScanRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, room_id, session_id, direction, scanned_at, decision, reason
             FROM scans WHERE event_id = $1 ORDER BY scanned_at, id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The accepted scans of one attendee, oldest first.
    pub async fn attendee_accepted_scans(&self, attendee_id: i64) -> StoreResult<Vec<ScanRow>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT attendee_id, room_id, session_id, direction, scanned_at, decision, reason
             FROM scans WHERE attendee_id = $1 AND decision = 'accepted' ORDER BY scanned_at, id",
        )
        .bind(attendee_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Sessions of an event as (id, stable id, title, room name), for showing trails.
    pub async fn event_session_names(
        &self,
        event_id: i64,
    ) -> StoreResult<Vec<(i64, String, String, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT s.id, s.external_id, s.title, r.name FROM sessions s JOIN rooms r ON r.id = s.room_id
             WHERE s.event_id = $1",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Rooms of an event as (id, name).
    pub async fn event_rooms(&self, event_id: i64) -> StoreResult<Vec<(i64, String)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name FROM rooms WHERE event_id = $1 ORDER BY position",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Sessions of an event as (id, room id, starts_at ms, ends_at ms).
    pub async fn event_session_slots(
        &self,
        event_id: i64,
    ) -> StoreResult<Vec<(i64, i64, i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, room_id, starts_at, ends_at FROM sessions WHERE event_id = $1 ORDER BY starts_at",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
