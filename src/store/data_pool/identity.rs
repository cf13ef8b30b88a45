//! The data pool in the database: people and companies, registrations resolved to them,
//! a person's history across events, a company's members, merging and splitting companies,
//! and each event's accounts.

use jiff::Timestamp;
use sqlx::FromRow;

use super::DataPool;
use crate::domain::{
    attendee::{DecisionRole, PurchaseStage},
    choice::OrBlank,
    leads::package::{Outcome, Tier},
    leads::playbook::NextOwner,
    pool::{Basis, CompanyMatch},
};
use crate::store::{StoreError, StoreResult, in_tx, on_pool};

/// A registration still to resolve.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Unresolved {
    pub id: i64,
    pub email: String,
    pub company: String,
}

/// What a registration resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub attendee_id: i64,
    pub company: Option<CompanyMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PersonRecord {
    pub id: i64,
    pub email: String,
    pub created_at: i64,
}

/// One registration of a person, with what came of it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PersonEvent {
    pub attendee_id: i64,
    pub event_slug: String,
    pub event_name: String,
    pub event_time_zone: String,
    pub starts_on: String,
    pub name: String,
    pub company: String,
    pub company_id: Option<i64>,
    pub job_title: String,
    #[sqlx(try_from = "OrBlank<DecisionRole>")]
    pub decision_role: Option<DecisionRole>,
    pub registered_at: i64,
    pub tier: Option<Tier>,
    pub topic_name: Option<String>,
    pub outcome: Option<Outcome>,
    pub next_owner: Option<NextOwner>,
    pub next_at: Option<i64>,
    pub consent: Option<bool>,
    pub emails_sent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CompanyRecord {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub domain: Option<String>,
    pub basis: Basis,
    pub merged_into: Option<i64>,
    pub note: String,
}

/// A registration of a company's member, as buying groups read it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MemberRow {
    pub attendee_id: i64,
    pub person_id: Option<i64>,
    pub company_id: i64,
    pub event_id: i64,
    pub event_slug: String,
    pub event_name: String,
    pub name: String,
    pub job_title: String,
    #[sqlx(try_from = "OrBlank<DecisionRole>")]
    pub decision_role: Option<DecisionRole>,
    #[sqlx(try_from = "OrBlank<PurchaseStage>")]
    pub purchase_stage: Option<PurchaseStage>,
    pub tier: Option<Tier>,
    pub top_topic: Option<String>,
    pub topic_name: Option<String>,
}

const MEMBER_COLUMNS: &str = "a.id AS attendee_id, a.person_id, a.company_id, a.event_id,
    e.slug AS event_slug, e.name AS event_name, a.name, a.job_title, a.decision_role,
    a.purchase_stage, l.tier, l.top_topic, t.name AS topic_name";

const MEMBER_JOINS: &str = "FROM attendees a
    JOIN events e ON e.id = a.event_id
    LEFT JOIN leads l ON l.event_id = a.event_id AND l.attendee_id = a.id
    LEFT JOIN topics t ON t.event_id = a.event_id AND t.slug = l.top_topic";

impl DataPool<'_> {
    /// Registrations not yet resolved to a person (new ones, or all right after the
    /// upgrade), `limit` at a time, by id; `ids` narrows them to those registrations.
    pub async fn unresolved_registrations(
        self,
        ids: Option<&[i64]>,
        limit: i64,
    ) -> StoreResult<Vec<Unresolved>> {
        let rows = match ids {
            None => on_pool!(self, p => sqlx::query_as(
                "SELECT id, email, company FROM attendees
                 WHERE person_id IS NULL AND erased_at IS NULL ORDER BY id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await)?,
            Some(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let list = chunk
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",");
                    let sql = format!(
                        "SELECT id, email, company FROM attendees
                         WHERE person_id IS NULL AND erased_at IS NULL AND id IN ({list})"
                    );
                    let rows: Vec<Unresolved> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .fetch_all(p)
                        .await)?;
                    out.extend(rows);
                }
                out
            }
        };
        Ok(rows)
    }

    /// Points registrations at their person and company, creating those that are new, in
    /// one transaction, set-based (a few statements per 500 registrations). A person is
    /// their stored address (already trimmed and lower-cased); a company merged into
    /// another resolves to that one. Returns how many registrations got their person.
    pub async fn resolve_registrations(
        self,
        resolutions: &[Resolution],
        now: Timestamp,
    ) -> StoreResult<u64> {
        let now = now.as_millisecond();
        in_tx!(self, tx => {
            let mut resolved = 0;
            for chunk in resolutions.chunks(500) {
                // Only our own integer ids go into the text.
                let ids = chunk
                    .iter()
                    .map(|r| r.attendee_id.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO people (email, created_at)
                     SELECT DISTINCT email, $1 FROM attendees WHERE id IN ({ids})
                     ON CONFLICT (email) DO NOTHING"
                )))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                resolved += sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE attendees SET person_id = p.id FROM people p
                     WHERE p.email = attendees.email AND attendees.id IN ({ids})
                       AND attendees.person_id IS NULL"
                )))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let mut companies: Vec<&CompanyMatch> =
                    chunk.iter().filter_map(|r| r.company.as_ref()).collect();
                companies.sort_by(|a, b| a.key.cmp(&b.key));
                companies.dedup_by(|a, b| a.key == b.key);
                if companies.is_empty() {
                    continue;
                }
                let rows = (0..companies.len())
                    .map(|i| format!("(${}, ${}, ${}, ${}, '', $1)", 4 * i + 2, 4 * i + 3, 4 * i + 4, 4 * i + 5))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO companies (key, name, domain, basis, note, created_at)
                     VALUES {rows} ON CONFLICT (key) DO NOTHING"
                )))
                .bind(now);
                for c in &companies {
                    insert = insert.bind(&c.key).bind(&c.name).bind(&c.domain).bind(c.basis);
                }
                insert.execute(&mut *tx).await?;
                let pairs: Vec<(i64, &str)> = chunk
                    .iter()
                    .filter_map(|r| r.company.as_ref().map(|c| (r.attendee_id, c.key.as_str())))
                    .collect();
                let values = (0..pairs.len())
                    .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut update = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE attendees SET company_id = COALESCE(c.merged_into, c.id)
                     FROM (VALUES {values}) AS v, companies c
                     WHERE c.key = v.column2 AND attendees.id = v.column1"
                )));
                for (id, key) in &pairs {
                    update = update.bind(id).bind(*key);
                }
                update.execute(&mut *tx).await?;
            }
            Ok(resolved)
        })
    }

    pub async fn person(self, id: i64) -> StoreResult<Option<PersonRecord>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, email, created_at FROM people WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// The person and the company (id, name) a registration belongs to.
    pub async fn pool_links(
        self,
        attendee_id: i64,
    ) -> StoreResult<(Option<i64>, Option<(i64, String)>)> {
        let row: Option<(Option<i64>, Option<i64>, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT a.person_id, a.company_id, c.name FROM attendees a
             LEFT JOIN companies c ON c.id = a.company_id WHERE a.id = $1",
        )
        .bind(attendee_id)
        .fetch_optional(p)
        .await)?;
        Ok(match row {
            Some((person, Some(company), Some(name))) => (person, Some((company, name))),
            Some((person, _, _)) => (person, None),
            None => (None, None),
        })
    }

    /// (attendee id, company id) of every registration of an event that has a company.
    pub async fn event_companies(self, event_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, company_id FROM attendees WHERE event_id = $1 AND company_id IS NOT NULL",
        )
        .bind(event_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The other registrations of the attendee's company at the same event.
    pub async fn colleagues(self, event_id: i64, attendee_id: i64) -> StoreResult<Vec<MemberRow>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} {MEMBER_JOINS}
             WHERE a.event_id = $1 AND a.id <> $2 AND a.erased_at IS NULL
               AND a.company_id = (SELECT company_id FROM attendees WHERE id = $2)
             ORDER BY a.name, a.id"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(attendee_id)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }

    /// Every registration of a person, newest event first, with its lead, latest outcome
    /// and next action, consent and follow-up emails sent.
    pub async fn person_events(self, person_id: i64) -> StoreResult<Vec<PersonEvent>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT a.id AS attendee_id, e.slug AS event_slug, e.name AS event_name,
                 e.time_zone AS event_time_zone, e.starts_on, a.name, a.company, a.company_id,
                 a.job_title, a.decision_role, a.registered_at, l.tier, t.name AS topic_name,
                 f.outcome, f.next_owner, f.next_at,
                 (SELECT c.granted FROM consents c WHERE c.attendee_id = a.id
                  ORDER BY c.id DESC LIMIT 1) AS consent,
                 (SELECT COUNT(*) FROM campaign_sends s
                  WHERE s.attendee_id = a.id AND s.state = 'sent') AS emails_sent
             FROM attendees a
             JOIN events e ON e.id = a.event_id
             LEFT JOIN leads l ON l.event_id = a.event_id AND l.attendee_id = a.id
             LEFT JOIN topics t ON t.event_id = a.event_id AND t.slug = l.top_topic
             LEFT JOIN lead_feedback f ON f.id = (SELECT MAX(g.id) FROM lead_feedback g
                 WHERE g.event_id = a.event_id AND g.attendee_id = a.id)
             WHERE a.person_id = $1 AND a.erased_at IS NULL
             ORDER BY e.starts_on DESC, a.id DESC",
        )
        .bind(person_id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    pub async fn company(self, id: i64) -> StoreResult<Option<CompanyRecord>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT id, key, name, domain, basis, merged_into, note FROM companies WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// Every company no other was merged away into, by name: what a merge can target.
    pub async fn companies(self) -> StoreResult<Vec<CompanyRecord>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT id, key, name, domain, basis, merged_into, note FROM companies
             WHERE merged_into IS NULL ORDER BY name, id",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// The company's members at every event (`event_id`: one event only).
    pub async fn company_members(
        self,
        company_id: Option<i64>,
        event_id: Option<i64>,
    ) -> StoreResult<Vec<MemberRow>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} {MEMBER_JOINS}
             WHERE a.company_id IS NOT NULL AND a.erased_at IS NULL
               AND ($1 = 0 OR a.company_id = $1) AND ($2 = 0 OR a.event_id = $2)
             ORDER BY a.company_id, e.starts_on DESC, a.id"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(company_id.unwrap_or(0))
            .bind(event_id.unwrap_or(0))
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }

    /// Moves every registration of company `from` to `into`, and notes it on `from`.
    pub async fn merge_companies(self, from: i64, into: i64, note: &str) -> StoreResult<u64> {
        if from == into {
            return Err(StoreError::Conflict(
                "a company cannot be merged into itself".into(),
            ));
        }
        in_tx!(self, tx => {
            let target: Option<Option<i64>> =
                sqlx::query_scalar("SELECT merged_into FROM companies WHERE id = $1")
                    .bind(into)
                    .fetch_optional(&mut *tx)
                    .await?;
            match target {
                None => return Err(StoreError::NotFound("company")),
                Some(Some(_)) => {
                    return Err(StoreError::Conflict(
                        "that company was itself merged into another; merge into that one".into(),
                    ));
                }
                Some(None) => {}
            }
            let moved = sqlx::query("UPDATE attendees SET company_id = $2 WHERE company_id = $1")
                .bind(from)
                .bind(into)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let marked = sqlx::query(
                "UPDATE companies SET merged_into = $2, note = $3 WHERE id = $1 AND merged_into IS NULL",
            )
            .bind(from)
            .bind(into)
            .bind(note)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 0 {
                return Err(StoreError::NotFound("company"));
            }
            sqlx::query("UPDATE companies SET merged_into = $2 WHERE merged_into = $1")
                .bind(from)
                .bind(into)
                .execute(&mut *tx)
                .await?;
            Ok(moved)
        })
    }

    /// Takes a person out of a company into one of their own (named as they typed it);
    /// returns the new company's id.
    pub async fn split_person(
        self,
        company_id: i64,
        person_id: i64,
        note: &str,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let key = format!("split:{person_id}:{company_id}");
        in_tx!(self, tx => {
            let typed: Option<String> = sqlx::query_scalar(
                "SELECT company FROM attendees WHERE person_id = $1 AND company_id = $2
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(person_id)
            .bind(company_id)
            .fetch_optional(&mut *tx)
            .await?;
            let typed = typed.ok_or(StoreError::NotFound("member"))?;
            let name = if typed.trim().is_empty() { "(no company given)".to_owned() } else { typed };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO companies (key, name, domain, basis, note, created_at)
                 VALUES ($1, $2, NULL, 'manual', $3, $4)
                 ON CONFLICT (key) DO UPDATE SET note = excluded.note
                 RETURNING id",
            )
            .bind(&key)
            .bind(&name)
            .bind(note)
            .bind(now.as_millisecond())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE attendees SET company_id = $3 WHERE person_id = $1 AND company_id = $2")
                .bind(person_id)
                .bind(company_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Ok(id)
        })
    }
}
