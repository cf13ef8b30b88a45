//! A pool segment's audience candidates: one per person across events, represented by
//! their latest registration, with consent, outcome and contact read across all of them.

use super::DataPool;
use crate::domain::{campaigns::audience::Candidate, campaigns::segment::SegmentQuery};
use crate::store::{StoreResult, campaigns::campaign::CandidateRow, on_pool};

/// One bound value of the statement.
enum Param {
    Text(String),
    Int(i64),
}

/// The statement's text and its values in placeholder order (`$1` is the campaign).
struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    fn push(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len() + 1)
    }

    /// `IN ($n, $n+1, ...)` for a list of texts.
    fn list<S: AsRef<str>>(&mut self, values: &[S]) -> String {
        let marks: Vec<String> = values
            .iter()
            .map(|v| self.push(Param::Text(v.as_ref().to_owned())))
            .collect();
        format!("IN ({})", marks.join(", "))
    }
}

/// Each person once: their latest registration that is not erased. Consent is the latest
/// consent record of any of their registrations; the sales outcome is the latest of any;
/// tier and topic come from their latest lead (with one of the segment's topics, when it
/// names topics: `{lead_topic}`).
const CANDIDATES: &str = "SELECT a.id, a.email, l.tier, l.top_topic,
   (SELECT c.granted FROM attendees r JOIN consents c ON c.attendee_id = r.id
      WHERE r.person_id = a.person_id ORDER BY c.id DESC LIMIT 1) AS consent,
   (SELECT CAST(1 AS BIGINT) FROM suppressions s WHERE s.email = a.email AND s.reason = 'unsubscribed') AS unsubscribed,
   (SELECT MIN(s.reason) FROM suppressions s WHERE s.email = a.email AND s.reason <> 'unsubscribed') AS other_suppression,
   (SELECT MAX(cs.sent_at) FROM campaign_sends cs
      WHERE cs.email = a.email AND cs.state = 'sent' AND cs.campaign_id <> $1) AS last_marketing_at,
   CASE WHEN f.id IS NOT NULL AND NOT f.next_email THEN CAST(1 AS BIGINT) END AS no_email_after_feedback
 FROM attendees a
 LEFT JOIN attendees la ON la.id = (
   SELECT MAX(r.id) FROM attendees r JOIN leads x ON x.event_id = r.event_id AND x.attendee_id = r.id
   WHERE r.person_id = a.person_id AND r.erased_at IS NULL{lead_topic})
 LEFT JOIN leads l ON l.event_id = la.event_id AND l.attendee_id = la.id
 LEFT JOIN lead_feedback f ON f.id = (
   SELECT MAX(g.id) FROM attendees r JOIN lead_feedback g ON g.event_id = r.event_id AND g.attendee_id = r.id
   WHERE r.person_id = a.person_id AND r.erased_at IS NULL)
 WHERE a.person_id IS NOT NULL AND a.erased_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM attendees n
                   WHERE n.person_id = a.person_id AND n.id > a.id AND n.erased_at IS NULL)";

/// A registration of the same person that was scanned in.
const CAME: &str = "r.person_id = a.person_id AND r.erased_at IS NULL
   AND EXISTS (SELECT 1 FROM scans s WHERE s.attendee_id = r.id AND s.decision = 'accepted')";

fn statement(q: &SegmentQuery) -> Statement {
    let mut st = Statement {
        sql: String::new(),
        params: Vec::new(),
    };
    // A segment by topic takes each person's latest lead on one of its topics, so the
    // email speaks of the topic they were picked for; someone without one is not in it.
    let topics_in = (!q.topics.is_empty()).then(|| st.list(&q.topics));
    let lead_topic = topics_in
        .as_ref()
        .map(|t| format!(" AND x.top_topic {t}"))
        .unwrap_or_default();
    st.sql = CANDIDATES.replace("{lead_topic}", &lead_topic);
    fn and(st: &mut Statement, condition: String) {
        st.sql.push_str("\n   AND ");
        st.sql.push_str(&condition);
    }
    // Conditions on the latest outcome, and first the same on any outcome of theirs: a
    // necessary condition the database can meet from the few people with outcomes, before
    // it looks at anyone's registrations.
    let mut outcome = Vec::new();
    if !q.tags.is_empty() {
        outcome.push(format!("next_tag {}", st.list(&q.tags)));
    }
    if let Some(t) = q.due_before {
        outcome.push(format!(
            "next_at < {} AND next_owner <> 'nobody'",
            st.push(Param::Int(t.as_millisecond()))
        ));
    }
    if !outcome.is_empty() {
        let on = |alias: &str| {
            outcome
                .iter()
                .map(|c| c.replace("next_", &format!("{alias}.next_")))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let c = format!(
            "a.person_id IN (SELECT r.person_id FROM lead_feedback g
                JOIN attendees r ON r.event_id = g.event_id AND r.id = g.attendee_id WHERE {})
   AND {}",
            on("g"),
            on("f")
        );
        and(&mut st, c);
    }
    if let Some(t) = &topics_in {
        // Likewise: someone with a lead on one of the topics, at any event.
        let c = format!(
            "a.person_id IN (SELECT r.person_id FROM leads x
                JOIN attendees r ON r.event_id = x.event_id AND r.id = x.attendee_id WHERE x.top_topic {t})"
        );
        and(&mut st, c);
    }
    if !q.roles.is_empty() {
        let c = format!("a.decision_role {}", st.list(&q.roles));
        and(&mut st, c);
    }
    if !q.stages.is_empty() {
        let c = format!("a.purchase_stage {}", st.list(&q.stages));
        and(&mut st, c);
    }
    if !q.company_keys.is_empty() {
        let c = format!(
            "a.company_id IN (SELECT COALESCE(k.merged_into, k.id) FROM companies k WHERE k.key {})",
            st.list(&q.company_keys)
        );
        and(&mut st, c);
    }
    if topics_in.is_some() {
        and(&mut st, "la.id IS NOT NULL".to_owned());
    }
    if let Some(t) = q.no_contact_since {
        let since = st.push(Param::Int(t.as_millisecond()));
        let c = format!(
            "NOT EXISTS (SELECT 1 FROM campaign_sends cs
                WHERE cs.email = a.email AND cs.state = 'sent' AND cs.sent_at >= {since})
   AND NOT EXISTS (SELECT 1 FROM attendees r JOIN lead_feedback g ON g.event_id = r.event_id AND g.attendee_id = r.id
                WHERE r.person_id = a.person_id AND g.at >= {since})"
        );
        and(&mut st, c);
    }
    if let Some(n) = q.min_events {
        let c = format!(
            "(SELECT COUNT(*) FROM attendees r WHERE {CAME}) >= {}",
            st.push(Param::Int(i64::from(n)))
        );
        and(&mut st, c);
    }
    if !q.events.is_empty() {
        let c = format!(
            "EXISTS (SELECT 1 FROM attendees r JOIN events e ON e.id = r.event_id
              WHERE {CAME} AND e.slug {})",
            st.list(&q.events)
        );
        and(&mut st, c);
    }
    st.sql.push_str("\n ORDER BY a.id");
    st
}

impl DataPool<'_> {
    /// Everyone in the data pool the segment picks, once per person, with what the
    /// audience rules need; `campaign_id` is left out of "last marketing email".
    pub async fn pool_candidates(
        self,
        q: &SegmentQuery,
        campaign_id: i64,
    ) -> StoreResult<Vec<Candidate>> {
        let st = statement(q);
        let rows: Vec<CandidateRow> = on_pool!(self, p => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(st.sql.as_str())).bind(campaign_id);
            for param in &st.params {
                query = match param {
                    Param::Text(v) => query.bind(v.as_str()),
                    Param::Int(v) => query.bind(*v),
                };
            }
            query.fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(CandidateRow::candidate).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_criterion_adds_one_condition_with_its_own_placeholders() {
        let q = SegmentQuery {
            tags: vec!["nurture".into(), "lost".into()],
            roles: vec!["user"],
            min_events: Some(2),
            topics: vec!["ai".into()],
            ..SegmentQuery::default()
        };
        let st = statement(&q);
        assert!(st.sql.contains("x.top_topic IN ($2)"), "{}", st.sql);
        assert!(st.sql.contains("g.next_tag IN ($3, $4)"), "{}", st.sql);
        assert!(st.sql.contains("f.next_tag IN ($3, $4)"), "{}", st.sql);
        assert!(st.sql.contains("a.decision_role IN ($5)"), "{}", st.sql);
        assert!(st.sql.contains(">= $6"), "{}", st.sql);
        assert_eq!(st.params.len(), 5);
        let everyone = statement(&SegmentQuery::default());
        assert_eq!(everyone.params.len(), 0);
        assert!(!everyone.sql.contains("{lead_topic}") && !everyone.sql.contains("top_topic IN"));
    }
}
