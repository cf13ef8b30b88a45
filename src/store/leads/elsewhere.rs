//! What other events' latest builds found of the people of this one, through the data pool:
//! every stored lead's genuine interests at another event, by pool person, and the names of
//! those events' topics.

use sqlx::FromRow;

use super::Leads;
use crate::store::{StoreResult, on_pool};

/// One lead of another event with genuine interests.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PoolInterest {
    /// The data pool's person.
    pub person_id: i64,
    /// The person's attendee id at the event being built, if they are at it.
    pub here: Option<i64>,
    /// Comma-separated topic slugs.
    pub genuine: String,
}

/// Genuine interests found at other events, and those events' topics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolInterests {
    pub interests: Vec<PoolInterest>,
    /// (slug, name) of the topics of the events the interests come from, one per slug.
    pub topics: Vec<(String, String)>,
    /// How many events they come from.
    pub events: i64,
}

impl Leads<'_> {
    /// The genuine interests stored with the leads of every other event, of people the data
    /// pool resolved and who are not erased, with each one's attendee id at `event_id` when
    /// they are there too.
    pub async fn pool_interests(self, event_id: i64) -> StoreResult<PoolInterests> {
        let interests: Vec<PoolInterest> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.person_id, h.id AS here, l.genuine
             FROM leads l
             JOIN attendees a ON a.id = l.attendee_id
               AND a.erased_at IS NULL AND a.person_id IS NOT NULL
             LEFT JOIN attendees h ON h.person_id = a.person_id AND h.event_id = $1
               AND h.erased_at IS NULL
             WHERE l.event_id <> $1 AND l.genuine <> ''
             ORDER BY a.person_id, l.event_id",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        if interests.is_empty() {
            return Ok(PoolInterests::default());
        }
        let topics: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.slug, MIN(t.name) FROM topics t
             WHERE t.event_id <> $1
               AND t.event_id IN (SELECT l.event_id FROM leads l WHERE l.genuine <> '')
             GROUP BY t.slug ORDER BY t.slug",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        let events: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(DISTINCT l.event_id) FROM leads l
             WHERE l.event_id <> $1 AND l.genuine <> ''",
        )
        .bind(event_id)
        .fetch_one(p)
        .await)?;
        Ok(PoolInterests {
            interests,
            topics,
            events,
        })
    }
}
