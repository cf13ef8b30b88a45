//! Bulk loading for benchmarks and large simulations: attendees and accepted scans written
//! many rows per statement, skipping the per-registration work (badges, consents, mail).
//! A type of its own beside the `Store`, which no request path uses.

use jiff::Timestamp;
use sqlx::QueryBuilder;

use super::{Store, StoreResult, in_tx};
use crate::domain::{attendee::Answers, choice::or_blank};

/// An attendee as a bulk load writes it.
#[derive(Debug, Clone)]
pub struct BulkAttendee {
    pub email: String,
    pub name: String,
    pub answers: Answers,
    pub marketing_consent: bool,
    /// Topic ids.
    pub interests: Vec<i64>,
}

/// An accepted scan as a bulk load writes it.
#[derive(Debug, Clone, Copy)]
pub struct BulkScan {
    pub attendee_id: i64,
    pub room_id: i64,
    pub session_id: i64,
    pub entry: bool,
    pub at: Timestamp,
}

/// Rows per statement: well inside SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const ATTENDEE_ROWS: usize = 2_000;
const SCAN_ROWS: usize = 2_000;

/// Writes straight into a store's tables, many rows per statement.
pub struct BulkLoad<'a> {
    pool: &'a super::Pool,
}

impl<'a> BulkLoad<'a> {
    pub fn into(store: &'a Store) -> BulkLoad<'a> {
        BulkLoad { pool: &store.pool }
    }

    /// Writes attendees (and their declared interests) in one transaction; returns their ids
    /// in order.
    pub async fn attendees(
        &self,
        event_id: i64,
        rows: &[BulkAttendee],
        now: Timestamp,
    ) -> StoreResult<Vec<i64>> {
        let now = now.as_millisecond();
        let ids = in_tx!(self, tx => {
            let mut ids: Vec<i64> = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(ATTENDEE_ROWS) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO attendees (event_id, email, name, company, job_title, decision_role,
                       purchase_stage, industry, company_size, country, marketing_consent, source,
                       badge_serial, registered_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, a: &BulkAttendee| {
                    b.push_bind(event_id)
                        .push_bind(a.email.clone())
                        .push_bind(a.name.clone())
                        .push_bind(a.answers.company.clone())
                        .push_bind(a.answers.job_title.clone())
                        .push_bind(or_blank::key(a.answers.decision_role))
                        .push_bind(or_blank::key(a.answers.purchase_stage))
                        .push_bind(or_blank::key(a.answers.industry))
                        .push_bind(or_blank::key(a.answers.company_size))
                        .push_bind(a.answers.country.clone())
                        .push_bind(a.marketing_consent)
                        .push_bind("bulk")
                        .push_bind(1i64)
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" RETURNING id");
                let got: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                ids.extend(got);
            }
            let pairs: Vec<(i64, i64)> = ids
                .iter()
                .zip(rows)
                .flat_map(|(id, a)| a.interests.iter().map(move |t| (*id, *t)))
                .collect();
            for chunk in pairs.chunks(SCAN_ROWS * 4) {
                let mut qb = QueryBuilder::new("INSERT INTO attendee_interests (attendee_id, topic_id) ");
                qb.push_values(chunk, |mut b, (a, t)| {
                    b.push_bind(*a).push_bind(*t);
                });
                qb.build().execute(&mut *tx).await?;
            }
            ids
        });
        Ok(ids)
    }

    /// Writes accepted scans of one device in one transaction; `first` numbers their nonces.
    pub async fn scans(
        &self,
        event_id: i64,
        device_id: i64,
        first: usize,
        rows: &[BulkScan],
        now: Timestamp,
    ) -> StoreResult<()> {
        let now = now.as_millisecond();
        in_tx!(self, tx => {
            for (c, chunk) in rows.chunks(SCAN_ROWS).enumerate() {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO scans (event_id, device_id, nonce, badge, attendee_id, room_id,
                       session_id, direction, device_time, scanned_at, received_at, decision) ",
                );
                qb.push_values(chunk.iter().enumerate(), |mut b, (i, s): (usize, &BulkScan)| {
                    let at = s.at.as_millisecond();
                    b.push_bind(event_id)
                        .push_bind(device_id)
                        .push_bind(format!("bulk-{}", first + c * SCAN_ROWS + i))
                        .push_bind("")
                        .push_bind(s.attendee_id)
                        .push_bind(s.room_id)
                        .push_bind(s.session_id)
                        .push_bind(if s.entry { "entry" } else { "exit" })
                        .push_bind(at)
                        .push_bind(at)
                        .push_bind(now)
                        .push_bind("accepted");
                });
                qb.build().execute(&mut *tx).await?;
            }
        });
        Ok(())
    }
}
