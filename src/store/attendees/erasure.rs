//! Erasing one attendee's personal data, everywhere it is stored, in one transaction (and,
//! on SQLite, their live lead in the live file right after it).

use jiff::Timestamp;
use serde::Serialize;

use super::Attendees;
use crate::store::leads::live::{ERASURE_LOCK, LIVE_LOCK_CLASS};
use crate::store::{Leads, Pool, StoreError, StoreResult, in_tx};

/// What the caller decides for an erasure; the store does the rest.
pub struct ErasureInput<'a> {
    pub attendee_id: i64,
    /// Stands in for the person on their scans: random, so it links to nobody.
    pub visitor: i64,
    /// The keyed hash of an address (`domain::address_hash`).
    pub hash: &'a (dyn Fn(&str) -> String + Sync),
    pub now: Timestamp,
}

/// How many rows an erasure changed or removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErasureCounts {
    /// The registration itself: 1, or 0 when it had been erased before.
    pub registrations: u64,
    pub interests: u64,
    /// Consent records kept as proof, with the address replaced by its keyed hash.
    pub consents_kept_as_proof: u64,
    pub badges_revoked: u64,
    /// Scans kept for room counts, without the person.
    pub scans_anonymised: u64,
    pub leads: u64,
    pub lead_feedback: u64,
    pub badge_emails: u64,
    /// Follow-up email ledger rows kept for campaign reports, without the address.
    pub campaign_sends_anonymised: u64,
    /// Opens and clicks.
    pub engagements: u64,
    pub bounces: u64,
    /// Suppressions of the plain address, replaced by one of its keyed hash.
    pub suppressions: u64,
}

/// The address an erasure removed, for cleaning up copies outside the database.
pub struct Erased {
    pub counts: ErasureCounts,
    /// `None` when the attendee had been erased before.
    pub email: Option<String>,
}

/// The neutral address an erased registration gets; unique per attendee, as (event, email)
/// must be, and undeliverable by definition (`.invalid`).
pub fn erased_address(attendee_id: i64) -> String {
    format!("erased-{attendee_id}@erased.invalid")
}

impl Attendees<'_> {
    /// Removes the attendee's personal data and keeps what others rely on without them:
    /// the registration row (neutral values, `erased_at`), consents as proof under a keyed
    /// hash, scans under a random visitor number, campaign ledger rows without the
    /// address. Deletes interests, leads, sales feedback and deadline steps, badge emails,
    /// opens and clicks and bounces, and the person record once no other registration has it;
    /// revokes every badge; suppresses the hashed address. Erasing twice changes nothing more.
    pub async fn erase_attendee(self, e: &ErasureInput<'_>) -> StoreResult<Erased> {
        let id = e.attendee_id;
        let now = e.now.as_millisecond();
        let placeholder = erased_address(id);
        let erased = in_tx!(self, tx => {
            let row: Option<(String, Option<i64>)> =
                sqlx::query_as("SELECT email, erased_at FROM attendees WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (email, erased_at) = row.ok_or(StoreError::NotFound("attendee"))?;
            if erased_at.is_some() {
                Erased { counts: ErasureCounts::default(), email: None }
            } else {
                let hash = (e.hash)(&email);
                let mut c = ErasureCounts { registrations: 1, ..ErasureCounts::default() };
                macro_rules! run {
                    ($sql:expr $(, $arg:expr)*) => {
                        sqlx::query($sql)$(.bind($arg))*.execute(&mut *tx).await?.rows_affected()
                    };
                }
                // Another registration of the same address (another event) still needs the
                // plain address's suppressions and bounces; only the last one takes them.
                let others: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM attendees WHERE email = $1 AND id <> $2",
                )
                .bind(&email)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                c.interests = run!("DELETE FROM attendee_interests WHERE attendee_id = $1", id);
                c.consents_kept_as_proof =
                    run!("UPDATE consents SET address_hash = $2 WHERE attendee_id = $1", id, &hash);
                c.badges_revoked = run!(
                    "UPDATE badges SET revoked_at = $2 WHERE attendee_id = $1 AND revoked_at IS NULL",
                    id,
                    now
                );
                // The token is what a badge's QR code says; a revoked badge needs none.
                run!(
                    "UPDATE badges SET token = 'erased-' || CAST(attendee_id AS TEXT) || '-' || CAST(serial AS TEXT)
                     WHERE attendee_id = $1",
                    id
                );
                c.scans_anonymised = run!(
                    "UPDATE scans SET attendee_id = NULL, badge = '', visitor = $2 WHERE attendee_id = $1",
                    id,
                    e.visitor
                );
                c.leads = run!("DELETE FROM leads WHERE attendee_id = $1", id);
                c.lead_feedback = run!("DELETE FROM lead_feedback WHERE attendee_id = $1", id);
                c.badge_emails = run!("DELETE FROM mail_queue WHERE attendee_id = $1", id);
                c.engagements = run!("DELETE FROM campaign_engagements WHERE attendee_id = $1", id);
                c.bounces = run!(
                    "DELETE FROM bounces WHERE send_id IN (SELECT id FROM campaign_sends WHERE attendee_id = $1)",
                    id
                );
                if others == 0 {
                    c.bounces += run!("DELETE FROM bounces WHERE email = $1", &email);
                    c.suppressions = run!("DELETE FROM suppressions WHERE email = $1", &email);
                }
                // Messages not yet sent are never sent; sent ones stay counted in reports.
                c.campaign_sends_anonymised = run!(
                    "UPDATE campaign_sends SET email = $2, smtp_reply = NULL, lease_until = NULL,
                       last_error = CASE WHEN state IN ('queued', 'sending') THEN 'erased' ELSE NULL END,
                       state = CASE WHEN state IN ('queued', 'sending') THEN 'skipped' ELSE state END
                     WHERE attendee_id = $1",
                    id,
                    &placeholder
                );
                run!(
                    "INSERT INTO suppressions (email, reason, detail, at) VALUES ($1, 'erased', '', $2)
                     ON CONFLICT (email, reason) DO NOTHING",
                    &hash,
                    now
                );
                // The serial moves past every issued badge, so doors refuse them all.
                run!(
                    "UPDATE attendees SET email = $2, name = '', company = '', job_title = '',
                       decision_role = '', purchase_stage = '', industry = '', company_size = '',
                       country = '', phone = NULL, marketing_consent = $3, badge_serial = badge_serial + 1,
                       updated_at = $4, erased_at = $4, person_id = NULL, company_id = NULL
                     WHERE id = $1",
                    id,
                    &placeholder,
                    false,
                    now
                );
                run!("DELETE FROM lead_deadline_steps WHERE attendee_id = $1", id);
                // SQLite keeps live leads in a file of their own, outside this
                // transaction: deleted after its commit, below.
                // On PostgreSQL live writes under way end first, and later ones wait for
                // this commit, so none stores the person again (`write_live_leads`).
                if let Pool::Postgres(_) = self.pool {
                    run!(ERASURE_LOCK, LIVE_LOCK_CLASS);
                    run!("DELETE FROM live_leads WHERE attendee_id = $1", id);
                }
                run!("DELETE FROM lead_alerts WHERE attendee_id = $1", id);
                run!("DELETE FROM lead_alert_marks WHERE attendee_id = $1", id);
                // The person record holds the address; it goes with their last registration.
                run!(
                    "DELETE FROM people WHERE email = $1
                       AND NOT EXISTS (SELECT 1 FROM attendees a WHERE a.person_id = people.id)",
                    crate::domain::pool::person_key(&email)
                );
                Erased { counts: c, email: Some(email) }
            }
        });
        // Also when the attendee was erased before: an erasure that stopped between its
        // commit and this delete is finished by the next.
        if let Pool::Sqlite(_) = self.pool {
            Leads { pool: self.pool }.delete_live_lead(id).await?;
        }
        Ok(erased)
    }

    /// Whether any attendee, of any event, is registered with this address.
    pub async fn address_registered(self, email: &str) -> StoreResult<bool> {
        let n: i64 = crate::store::on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM attendees WHERE email = $1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_one(p)
        .await)?;
        Ok(n > 0)
    }

    /// The keyed hashes of every erased address (`domain::address_hash`).
    pub async fn erased_address_hashes(self) -> StoreResult<Vec<String>> {
        let rows = crate::store::on_pool!(self, p => sqlx::query_scalar(
            "SELECT email FROM suppressions WHERE reason = 'erased'",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
