//! Campaigns, their content per topic and tier, audience candidates and the queued audience.

use jiff::Timestamp;
use sqlx::FromRow;

use super::Campaigns;
use crate::domain::{
    campaigns::audience::{Candidate, Recipient, Suppression},
    campaigns::campaign::{CampaignState, Content, ContentKey, Tier},
    campaigns::segment::AudienceScope,
};
use crate::store::{Sql, StoreError, StoreResult, conflict_on_unique, in_tx, on_pool, on_writer};

/// Every attendee of an event with what the audience rules need. SQLite probes each
/// attendee's rows by index, five sub-selects a row, which it runs fastest; PostgreSQL reads
/// each table once for the whole event and joins by hash, in parallel, which at a million
/// attendees takes about half the time of the probes.
const EVENT_CANDIDATES: Sql = Sql {
    sqlite: "SELECT a.id, a.email, l.tier, l.top_topic,
       (SELECT c.granted FROM consents c WHERE c.attendee_id = a.id ORDER BY c.id DESC LIMIT 1) AS consent,
       (SELECT CAST(1 AS BIGINT) FROM suppressions s WHERE s.email = a.email AND s.reason = 'unsubscribed') AS unsubscribed,
       (SELECT MIN(s.reason) FROM suppressions s WHERE s.email = a.email AND s.reason <> 'unsubscribed') AS other_suppression,
       (SELECT MAX(cs.sent_at) FROM campaign_sends cs
          WHERE cs.email = a.email AND cs.state = 'sent' AND cs.campaign_id <> $2 AND cs.sent_at > $3) AS last_marketing_at,
       (SELECT CAST(1 AS BIGINT) FROM lead_feedback f
          WHERE f.event_id = a.event_id AND f.attendee_id = a.id AND NOT f.next_email
            AND f.id = (SELECT MAX(g.id) FROM lead_feedback g
                        WHERE g.event_id = a.event_id AND g.attendee_id = a.id)) AS no_email_after_feedback
     FROM attendees a
     LEFT JOIN leads l ON l.event_id = a.event_id AND l.attendee_id = a.id
     WHERE a.event_id = $1 AND a.erased_at IS NULL
     ORDER BY a.id",
    postgres: "SELECT a.id, a.email, l.tier, l.top_topic, c.granted AS consent,
       u.one AS unsubscribed, o.reason AS other_suppression, m.last AS last_marketing_at,
       CASE WHEN f.id IS NOT NULL AND NOT f.next_email THEN CAST(1 AS BIGINT) END
         AS no_email_after_feedback
     FROM attendees a
     LEFT JOIN leads l ON l.event_id = a.event_id AND l.attendee_id = a.id
     LEFT JOIN (SELECT k.attendee_id, MAX(k.id) AS id FROM consents k
                JOIN attendees r ON r.id = k.attendee_id
                WHERE r.event_id = $1 GROUP BY k.attendee_id) lc ON lc.attendee_id = a.id
     LEFT JOIN consents c ON c.id = lc.id
     LEFT JOIN (SELECT email, CAST(1 AS BIGINT) AS one FROM suppressions
                WHERE reason = 'unsubscribed') u ON u.email = a.email
     LEFT JOIN (SELECT email, MIN(reason) AS reason FROM suppressions
                WHERE reason <> 'unsubscribed' GROUP BY email) o ON o.email = a.email
     LEFT JOIN (SELECT email, MAX(sent_at) AS last FROM campaign_sends
                WHERE state = 'sent' AND campaign_id <> $2 AND sent_at > $3
                GROUP BY email) m ON m.email = a.email
     LEFT JOIN (SELECT attendee_id, MAX(id) AS id FROM lead_feedback
                WHERE event_id = $1 GROUP BY attendee_id) lf ON lf.attendee_id = a.id
     LEFT JOIN lead_feedback f ON f.id = lf.id
     WHERE a.event_id = $1 AND a.erased_at IS NULL
     ORDER BY a.id",
};

/// One campaign as stored.
#[derive(Debug, Clone, FromRow)]
pub struct CampaignRecord {
    pub id: i64,
    pub event_id: i64,
    pub slug: String,
    pub name: String,
    pub state: CampaignState,
    pub excluded_tiers: String,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub frequency_hours: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The pool segment as stored (JSON); `None` for a campaign to the event's attendees.
    pub segment: Option<String>,
    /// Why people were left out, counted at the start
    /// (`domain::campaigns::audience::AudienceSummary::exclusions_stored`); `None` before the start.
    pub exclusions: Option<String>,
}

impl CampaignRecord {
    pub fn state(&self) -> CampaignState {
        self.state
    }

    /// The tiers left out; a stored list the code cannot read is a corruption error, never
    /// "nobody left out".
    pub fn excluded_tiers(&self) -> StoreResult<Vec<Tier>> {
        Tier::parse_list(&self.excluded_tiers).map_err(|e| {
            StoreError::Corrupt(format!("campaigns.excluded_tiers of {}: {e}", self.id))
        })
    }

    /// The settings as stored, for changing some of them.
    pub fn settings(&self) -> StoreResult<CampaignSettings> {
        Ok(CampaignSettings {
            name: self.name.clone(),
            excluded_tiers: self.excluded_tiers()?,
            track_opens: self.track_opens,
            track_clicks: self.track_clicks,
            frequency_hours: self.frequency_hours,
            scope: self.audience_scope()?,
        })
    }

    /// Who the campaign reaches; a stored segment that does not read is a corrupt row.
    pub fn audience_scope(&self) -> StoreResult<AudienceScope> {
        match &self.segment {
            None => Ok(AudienceScope::Event),
            Some(json) => serde_json::from_str(json)
                .map(AudienceScope::Pool)
                .map_err(|e| StoreError::Corrupt(format!("campaigns.segment of {}: {e}", self.id))),
        }
    }
}

/// The `segment` column of a scope.
fn stored_scope(scope: &AudienceScope) -> Option<String> {
    match scope {
        AudienceScope::Event => None,
        AudienceScope::Pool(s) => Some(serde_json::to_string(s).expect("a segment is JSON")),
    }
}

/// Settings a marketer changes while the campaign is a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    pub name: String,
    pub excluded_tiers: Vec<Tier>,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub frequency_hours: i64,
    pub scope: AudienceScope,
}

#[derive(FromRow)]
struct ContentRow {
    topic: String,
    tier: String,
    subject: String,
    preheader: String,
    body: String,
    cta_label: String,
    cta_url: String,
}

/// An audience candidate as one statement reads it (the event's, or a pool segment's).
#[derive(FromRow)]
pub(in crate::store) struct CandidateRow {
    id: i64,
    email: String,
    tier: Option<Tier>,
    top_topic: Option<String>,
    consent: Option<bool>,
    unsubscribed: Option<i64>,
    other_suppression: Option<Suppression>,
    last_marketing_at: Option<i64>,
    no_email_after_feedback: Option<i64>,
}

impl CandidateRow {
    pub(in crate::store) fn candidate(self) -> Candidate {
        let mut suppressed = Vec::new();
        if self.unsubscribed.is_some() {
            suppressed.push(Suppression::Unsubscribed);
        }
        if let Some(other) = self.other_suppression {
            suppressed.push(other);
        }
        Candidate {
            attendee_id: self.id,
            email: self.email,
            // No lead row: the attendee has no tier.
            tier: self.tier.unwrap_or(Tier::None),
            top_topic: self.top_topic,
            consent: self.consent,
            suppressed,
            last_marketing_at: self.last_marketing_at.map(crate::store::ts),
            no_email_after_feedback: self.no_email_after_feedback.is_some(),
        }
    }
}

/// Messages of a campaign per ledger state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignProgress {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    pub cancelled: i64,
}

impl CampaignProgress {
    pub fn total(&self) -> i64 {
        self.queued + self.sending + self.sent + self.failed + self.skipped + self.cancelled
    }

    /// Messages that reached an end state.
    pub fn finished(&self) -> i64 {
        self.sent + self.failed + self.skipped + self.cancelled
    }
}

/// One line of the campaign report.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct ReportLine {
    /// Content topic; '' is the general fallback.
    pub topic: String,
    pub tier: Tier,
    pub queued: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub unsubscribed: i64,
    pub bounced: i64,
    pub failed: i64,
}

const CAMPAIGN_COLUMNS: &str = "id, event_id, slug, name, state, excluded_tiers, track_opens, track_clicks, \
     frequency_hours, created_at, updated_at, started_at, finished_at, segment, exclusions";

impl Campaigns<'_> {
    /// Creates a draft campaign; its slug is unique within the event.
    pub async fn create_campaign(
        self,
        event_id: i64,
        slug: &str,
        name: &str,
        frequency_hours: i64,
        now: Timestamp,
    ) -> StoreResult<i64> {
        let now = now.as_millisecond();
        let id = on_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO campaigns (event_id, slug, name, state, excluded_tiers, track_opens, track_clicks,
               frequency_hours, created_at, updated_at)
             VALUES ($1, $2, $3, 'draft', 'X', $4, $4, $5, $6, $6) RETURNING id",
        )
        .bind(event_id)
        .bind(slug)
        .bind(name)
        .bind(true)
        .bind(frequency_hours)
        .bind(now)
        .fetch_one(p)
        .await)
        .map_err(|e| conflict_on_unique(e, "this event already has a campaign with that short name"))?;
        Ok(id)
    }

    pub async fn campaign(self, id: i64) -> StoreResult<Option<CampaignRecord>> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
        let row = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(p)
            .await)?;
        Ok(row)
    }

    pub async fn campaign_by_slug(
        self,
        event_id: i64,
        slug: &str,
    ) -> StoreResult<Option<CampaignRecord>> {
        let sql =
            format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE event_id = $1 AND slug = $2");
        let row = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .bind(slug)
            .fetch_optional(p)
            .await)?;
        Ok(row)
    }

    pub async fn list_campaigns(self, event_id: i64) -> StoreResult<Vec<CampaignRecord>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE event_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }

    /// Changes the settings of a draft campaign; a campaign already started is a conflict.
    pub async fn update_campaign_settings(
        self,
        id: i64,
        s: &CampaignSettings,
        now: Timestamp,
    ) -> StoreResult<()> {
        let changed = on_writer!(self, p => sqlx::query(
            "UPDATE campaigns SET name = $2, excluded_tiers = $3, track_opens = $4, track_clicks = $5,
               frequency_hours = $6, updated_at = $7, segment = $8
             WHERE id = $1 AND state = 'draft'",
        )
        .bind(id)
        .bind(&s.name)
        .bind(Tier::list_string(&s.excluded_tiers))
        .bind(s.track_opens)
        .bind(s.track_clicks)
        .bind(s.frequency_hours)
        .bind(now.as_millisecond())
        .bind(stored_scope(&s.scope))
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        not_started(changed)
    }

    /// The campaign's content blocks, general fallback first, then by topic and tier.
    pub async fn campaign_contents(self, id: i64) -> StoreResult<Vec<(ContentKey, Content)>> {
        let rows: Vec<ContentRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT topic, tier, subject, preheader, body, cta_label, cta_url FROM campaign_contents
             WHERE campaign_id = $1 ORDER BY topic, tier",
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                let key =
                    ContentKey::from_stored(&r.topic, &r.tier).map_err(StoreError::Corrupt)?;
                Ok((
                    key,
                    Content {
                        subject: r.subject,
                        preheader: r.preheader,
                        body: r.body,
                        cta_label: r.cta_label,
                        cta_url: r.cta_url,
                    },
                ))
            })
            .collect()
    }

    /// Adds or replaces one content block of a draft campaign.
    pub async fn put_campaign_content(
        self,
        id: i64,
        key: &ContentKey,
        content: &Content,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.replace_campaign_contents(
            id,
            None,
            std::slice::from_ref(&(key.clone(), content.clone())),
            now,
        )
        .await
    }

    /// Removes one content block of a draft campaign.
    pub async fn delete_campaign_content(self, id: i64, key: &ContentKey) -> StoreResult<()> {
        let (topic, tier) = key.stored();
        in_tx!(self, tx => {
            let draft: Option<i64> = sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1 AND state = 'draft'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            not_started(u64::from(draft.is_some()))?;
            sqlx::query("DELETE FROM campaign_contents WHERE campaign_id = $1 AND topic = $2 AND tier = $3")
                .bind(id)
                .bind(&topic)
                .bind(&tier)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Upserts `contents` into a draft campaign in one transaction, after applying
    /// `settings` when given. With `settings`, content blocks not in `contents` are removed
    /// (a campaign file describes the whole campaign).
    pub async fn replace_campaign_contents(
        self,
        id: i64,
        settings: Option<&CampaignSettings>,
        contents: &[(ContentKey, Content)],
        now: Timestamp,
    ) -> StoreResult<()> {
        let now = now.as_millisecond();
        in_tx!(self, tx => {
            let draft: Option<i64> = sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1 AND state = 'draft'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            not_started(u64::from(draft.is_some()))?;
            if let Some(s) = settings {
                sqlx::query(
                    "UPDATE campaigns SET name = $2, excluded_tiers = $3, track_opens = $4, track_clicks = $5,
                       frequency_hours = $6, updated_at = $7, segment = $8 WHERE id = $1",
                )
                .bind(id)
                .bind(&s.name)
                .bind(Tier::list_string(&s.excluded_tiers))
                .bind(s.track_opens)
                .bind(s.track_clicks)
                .bind(s.frequency_hours)
                .bind(now)
                .bind(stored_scope(&s.scope))
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM campaign_contents WHERE campaign_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            for (key, c) in contents {
                let (topic, tier) = key.stored();
                sqlx::query(
                    "INSERT INTO campaign_contents (campaign_id, topic, tier, subject, preheader, body, cta_label, cta_url, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (campaign_id, topic, tier) DO UPDATE SET subject = excluded.subject,
                       preheader = excluded.preheader, body = excluded.body, cta_label = excluded.cta_label,
                       cta_url = excluded.cta_url, updated_at = excluded.updated_at",
                )
                .bind(id)
                .bind(&topic)
                .bind(&tier)
                .bind(&c.subject)
                .bind(&c.preheader)
                .bind(&c.body)
                .bind(&c.cta_label)
                .bind(&c.cta_url)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Every attendee of the event with what the audience rules need: lead tier and top
    /// topic, the latest consent record, suppressions of the address, and the last marketing
    /// email sent to the address by another campaign after `emailed_since` (the start of the
    /// frequency window; older ones cannot exclude anyone). One statement, by attendee id.
    /// Erased registrations are no candidates at all.
    pub async fn audience_candidates(
        self,
        event_id: i64,
        campaign_id: i64,
        emailed_since: Timestamp,
    ) -> StoreResult<Vec<Candidate>> {
        let rows: Vec<CandidateRow> = on_pool!(self, p => sqlx::query_as(EVENT_CANDIDATES.text(self.pool))
        .bind(event_id)
        .bind(campaign_id)
        .bind(emailed_since.as_millisecond())
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(CandidateRow::candidate).collect())
    }

    /// Starts a draft campaign: its audience goes into the send ledger and its state becomes
    /// `sending`, in one transaction. The ledger's unique (campaign, attendee) key means a
    /// recipient can never be queued twice.
    pub async fn queue_campaign(
        self,
        id: i64,
        recipients: &[Recipient],
        exclusions: &str,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let now = now.as_millisecond();
        let queued = in_tx!(self, tx => {
            let started = sqlx::query(
                "UPDATE campaigns SET state = 'sending', started_at = $2, updated_at = $2, exclusions = $3
                 WHERE id = $1 AND state = 'draft'",
            )
            .bind(id)
            .bind(now)
            .bind(exclusions)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            not_started(started)?;
            let mut queued = 0;
            for chunk in recipients.chunks(500) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO campaign_sends (campaign_id, attendee_id, email, topic, tier, state, attempts, run_after, queued_at) ",
                );
                insert.push_values(chunk, |mut row, r| {
                    row.push_bind(id)
                        .push_bind(r.attendee_id)
                        .push_bind(&r.email)
                        .push_bind(r.topic.clone().unwrap_or_default())
                        .push_bind(r.tier.as_str())
                        .push_bind("queued")
                        .push_bind(0_i64)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(" ON CONFLICT (campaign_id, attendee_id) DO NOTHING");
                queued += insert.build().execute(&mut *tx).await?.rows_affected();
            }
            queued
        });
        Ok(queued)
    }

    /// Moves a campaign from one of `from` to `to`; false when it was in none of them.
    /// Cancelling also cancels every message still queued.
    pub async fn set_campaign_state(
        self,
        id: i64,
        from: CampaignState,
        to: CampaignState,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let now = now.as_millisecond();
        let changed = in_tx!(self, tx => {
            let changed = sqlx::query(
                "UPDATE campaigns SET state = $3, updated_at = $4,
                   finished_at = CASE WHEN $3 IN ('cancelled', 'done') THEN $4 ELSE finished_at END
                 WHERE id = $1 AND state = $2",
            )
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 && to == CampaignState::Cancelled {
                sqlx::query("UPDATE campaign_sends SET state = 'cancelled' WHERE campaign_id = $1 AND state = 'queued'")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            changed == 1
        });
        Ok(changed)
    }

    /// Marks every sending campaign without queued or leased messages as done; returns how many.
    pub async fn finish_campaigns(self, now: Timestamp) -> StoreResult<u64> {
        let done = on_writer!(self, p => sqlx::query(
            "UPDATE campaigns SET state = 'done', finished_at = $1, updated_at = $1
             WHERE state = 'sending' AND NOT EXISTS (SELECT 1 FROM campaign_sends s
               WHERE s.campaign_id = campaigns.id AND s.state IN ('queued', 'sending'))",
        )
        .bind(now.as_millisecond())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done)
    }

    pub async fn campaign_progress(self, id: i64) -> StoreResult<CampaignProgress> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT state, COUNT(*) FROM campaign_sends WHERE campaign_id = $1 GROUP BY state",
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        let mut progress = CampaignProgress::default();
        for (state, n) in rows {
            match state.as_str() {
                "queued" => progress.queued = n,
                "sending" => progress.sending = n,
                "sent" => progress.sent = n,
                "failed" => progress.failed = n,
                "skipped" => progress.skipped = n,
                "cancelled" => progress.cancelled = n,
                other => return Err(StoreError::Corrupt(format!("send state '{other}'"))),
            }
        }
        Ok(progress)
    }

    /// The lead of one attendee: (tier, top topic, likely next need), when the lead builder
    /// made one.
    pub async fn lead_of(
        self,
        event_id: i64,
        attendee_id: i64,
    ) -> StoreResult<Option<(Tier, Option<String>, Option<String>)>> {
        let row = on_pool!(self, p => sqlx::query_as(
            "SELECT tier, top_topic, next_need FROM leads WHERE event_id = $1 AND attendee_id = $2",
        )
        .bind(event_id)
        .bind(attendee_id)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    /// Delivered, opened, clicked, unsubscribed and bounced per content topic and tier.
    pub async fn campaign_report(self, id: i64) -> StoreResult<Vec<ReportLine>> {
        let rows = on_pool!(self, p => sqlx::query_as(
            "SELECT topic, tier, COUNT(*) AS queued,
               SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) AS delivered,
               SUM(CASE WHEN opened_at IS NOT NULL THEN 1 ELSE 0 END) AS opened,
               SUM(CASE WHEN clicked_at IS NOT NULL THEN 1 ELSE 0 END) AS clicked,
               SUM(CASE WHEN unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END) AS unsubscribed,
               SUM(CASE WHEN bounced_at IS NOT NULL THEN 1 ELSE 0 END) AS bounced,
               SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed
             FROM campaign_sends WHERE campaign_id = $1 GROUP BY topic, tier ORDER BY topic, tier",
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}

fn not_started(changed: u64) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::Conflict(
            "the campaign has been started: its audience, content and settings are fixed".into(),
        ))
    } else {
        Ok(())
    }
}
