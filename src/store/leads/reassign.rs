//! Moving several leads of one event to another owner at once: all of them or none.

use super::Leads;
use crate::store::{StoreError, StoreResult, in_tx};

impl Leads<'_> {
    /// Gives every lead of `attendee_ids` in the event to `owner_id` with the deadline
    /// `due_at`, in one transaction: when one of them is not a lead of the event, or the
    /// owner is not an enabled account that may own leads, nothing changes. The owner and
    /// deadline are the very columns routing writes, so the next build keeps them.
    pub async fn reassign_leads(
        self,
        event_id: i64,
        attendee_ids: &[i64],
        owner_id: i64,
        due_at: i64,
    ) -> StoreResult<usize> {
        let moved = in_tx!(self, tx => {
            let owner: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE id = $1 AND disabled_at IS NULL
                   AND role IN ('sales', 'marketer', 'admin')",
            )
            .bind(owner_id)
            .fetch_one(&mut *tx)
            .await?;
            if owner != 1 {
                return Err(StoreError::Conflict(
                    "the new owner is not an enabled sales, marketer or admin account; nothing was changed".into(),
                ));
            }
            let mut moved = 0;
            for id in attendee_ids {
                let n = sqlx::query(
                    "UPDATE leads SET owner_id = $3, due_at = $4
                     WHERE event_id = $1 AND attendee_id = $2",
                )
                .bind(event_id)
                .bind(id)
                .bind(owner_id)
                .bind(due_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Err(StoreError::Conflict(format!(
                        "attendee {id} has no lead at this event; nothing was changed"
                    )));
                }
                moved += 1;
            }
            moved
        });
        Ok(moved)
    }
}
