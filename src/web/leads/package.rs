//! The lead package as marketers and sales read it: one view shared by the admin and the
//! sales page (`templates/leads/package_body.html`).

use jiff::{Timestamp, tz::TimeZone};

use crate::web::{AppState, format};
use crate::{
    domain::{
        attendee::{CompanySize, DecisionRole, Industry, PurchaseStage},
        leads::package::{LeadPackage, Tier},
        leads::playbook::Playbook,
        leads::report::is_overdue,
        programme::Topic,
    },
    store::{
        AttendeeRecord, EventRecord, FeedbackRecord, LeadRow, LiveLeadRow, MemberRow, StepRecord,
    },
    web::error::{Error, WebResult},
};

pub struct ContactView {
    pub name: String,
    pub email: String,
    pub job_title: String,
    pub company: String,
    pub country: String,
    /// The decision role in words ("decision maker").
    pub role: String,
    pub responsibilities: String,
}

/// "Big data and analytics: score 82, 3 sessions, 2h10".
pub struct TopicLine {
    pub name: String,
    pub score: String,
    pub sessions: usize,
    pub minutes: String,
    pub declared: bool,
}

pub struct SessionLine {
    pub title: String,
    pub kind: String,
    pub minutes: String,
}

pub struct PickLine {
    pub kind: String,
    pub title: String,
    /// Only http(s) addresses become links.
    pub link: Option<String>,
    pub why: String,
}

pub struct FactorLine {
    pub axis: String,
    pub label: String,
    pub value: String,
    pub points: String,
}

pub struct FeedbackLine {
    pub at: String,
    pub who: String,
    pub outcome: String,
    pub note: String,
    /// What the outcome led to, in words.
    pub next: String,
}

/// Everything one package page shows.
pub struct PackageView {
    pub attendee_id: i64,
    /// The stored package could be read (leads written before packages existed have none).
    pub readable: bool,
    pub contact: ContactView,
    pub tier: String,
    pub tier_meaning: String,
    pub score: String,
    pub fit: String,
    pub engagement: String,
    pub stage_points: String,
    pub topics: Vec<TopicLine>,
    pub sessions: Vec<SessionLine>,
    /// "5 sessions, 3h20 in all".
    pub attended: String,
    pub industry: String,
    pub company_size: String,
    pub stage: String,
    pub declared: Vec<String>,
    pub show: Vec<PickLine>,
    /// The likely next need: the topic's name and why.
    pub next_need: Option<(String, String)>,
    pub factors: Vec<FactorLine>,
    pub explanation: String,
    pub exclusion: Option<String>,
    pub owner: Option<String>,
    pub routing_rule: Option<String>,
    pub due: Option<String>,
    pub overdue: bool,
    /// The latest outcome's next action, in words.
    pub next_action: Option<String>,
    /// Also from this company at this event: name, role, tier, top topic.
    pub colleagues: Vec<(String, String, String, String)>,
    /// The company in the data pool (id, name).
    pub company: Option<(i64, String)>,
    /// Steps taken after missed deadlines: "2026-12-07 10:00: reminder sent to the owner
    /// (sally): emailed sally".
    pub deadline_steps: Vec<String>,
    pub history: Vec<FeedbackLine>,
    /// The live lead while the event runs, when scans came in since (or without) a build.
    pub live: Option<LiveView>,
}

/// What the live lead says now (`leads::live_updates`).
pub struct LiveView {
    pub tier: String,
    /// "most interested in AI and machine learning".
    pub interest: String,
    /// "2026-05-12 14:05 (Europe/Berlin)".
    pub updated: String,
    pub explanation: String,
    /// The live tier differs from the built one.
    pub moved: bool,
}

/// An answer in words, or "unknown" when it was not given.
fn words<T: Copy>(value: Option<T>, label: fn(T) -> &'static str) -> String {
    value.map_or_else(|| "unknown".to_owned(), |v| label(v).to_owned())
}

/// Words the package already holds, or "unknown" when it holds none.
fn given(text: &str) -> String {
    if text.is_empty() {
        "unknown".to_owned()
    } else {
        text.to_owned()
    }
}

/// A role as a noun: `DecisionMaker` -> "decision maker".
fn role_words(role: Option<DecisionRole>) -> String {
    role.map_or_else(|| "unknown".to_owned(), |r| r.key().replace('_', " "))
}

fn link(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_owned())
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The history lines of a lead, newest first.
pub fn history(records: Vec<FeedbackRecord>, book: &Playbook, tz: &TimeZone) -> Vec<FeedbackLine> {
    records
        .into_iter()
        .map(|f| FeedbackLine {
            at: format::local_time_zoned(f.at, tz),
            who: f.display_name,
            outcome: book.label(&f.outcome),
            next: f.next.in_words(|t| format::local_date(t, tz)),
            note: f.note,
        })
        .collect()
}

/// Everything the package page shows, as read from the store.
pub struct PackageFacts {
    pub lead: LeadRow,
    /// The stored package, if it could be read.
    pub package: Option<LeadPackage>,
    /// Recorded outcomes, newest first.
    pub feedback: Vec<FeedbackRecord>,
    pub book: Playbook,
    pub colleagues: Vec<MemberRow>,
    /// The company in the data pool (id, name).
    pub company: Option<(i64, String)>,
    pub deadline_steps: Vec<StepRecord>,
    pub topics: Vec<Topic>,
    /// The registration, read only when the stored package cannot be.
    pub attendee: Option<AttendeeRecord>,
    /// The lead's live state during this event.
    pub live: Option<LiveFacts>,
}

/// A lead's live state: the stored row, and its explanation, written from the same scans when
/// the page is read.
pub struct LiveFacts {
    pub row: LiveLeadRow,
    pub explanation: String,
}

/// Loads what the package page of `lead` shows beside the stored package.
pub async fn package_view(
    state: &AppState,
    event: &EventRecord,
    lead: LeadRow,
    now: Timestamp,
) -> WebResult<PackageView> {
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let facts = package_facts(state, event, lead).await?;
    Ok(view(facts, &tz, now))
}

/// Reads the facts of `lead`'s package page.
async fn package_facts(
    state: &AppState,
    event: &EventRecord,
    lead: LeadRow,
) -> WebResult<PackageFacts> {
    let store = &state.ctx.store;
    let id = lead.lead.attendee_id;
    // A broken playbook file is reported where outcomes are recorded; here the stored
    // history is still shown, custom outcomes by their key.
    let book = crate::leads::feedback::playbook(&state.ctx, event).unwrap_or_else(|e| {
        tracing::warn!(event = event.id, "playbook unreadable: {e:#}");
        Playbook::default()
    });
    let package = lead.lead.package().ok();
    if package.is_none() {
        tracing::warn!(attendee = id, "stored lead package could not be read");
    }
    let attendee = match &package {
        Some(_) => None,
        None => store.attendees().attendee(id).await?,
    };
    Ok(PackageFacts {
        feedback: store.leads().lead_feedback(event.id, id).await?,
        book,
        colleagues: store.data_pool().colleagues(event.id, id).await?,
        company: store.data_pool().pool_links(id).await?.1,
        deadline_steps: store.leads().lead_deadline_steps(event.id, id).await?,
        topics: store.events().event_topics(event.id).await?,
        attendee,
        live: live_facts(state, event.id, id, lead.lead.tier).await?,
        package,
        lead,
    })
}

/// The live state of attendee `id` at `event_id`, if the event has run with live updates.
/// The page shows the live explanation only where the live tier moved from the built one, so
/// only then is it written.
async fn live_facts(
    state: &AppState,
    event_id: i64,
    id: i64,
    built: Tier,
) -> WebResult<Option<LiveFacts>> {
    let Some(row) =
        (state.ctx.store.leads().live_lead(id).await?).filter(|l| l.event_id == event_id)
    else {
        return Ok(None);
    };
    if row.tier == built {
        return Ok(Some(LiveFacts {
            row,
            explanation: String::new(),
        }));
    }
    // A scoring file that no longer reads leaves the live state without its explanation,
    // not the page without its lead.
    let explanation = match crate::leads::live_updates::explain(&state.ctx, event_id, &[id]).await {
        Ok(mut by_id) => by_id.remove(&id).unwrap_or_default(),
        Err(e) => {
            tracing::warn!(event = event_id, "live explanation not written: {e:#}");
            String::new()
        }
    };
    Ok(Some(LiveFacts { row, explanation }))
}

/// The package page's view of `facts`, at `now` in `tz`.
pub fn view(facts: PackageFacts, tz: &TimeZone, now: Timestamp) -> PackageView {
    let PackageFacts {
        lead,
        package,
        feedback,
        book,
        colleagues,
        company,
        deadline_steps,
        topics,
        attendee,
        live,
    } = facts;
    let topic_name = |slug: &str| {
        topics
            .iter()
            .find(|t| t.slug.as_str() == slug)
            .map_or_else(|| slug.to_owned(), |t| t.name.clone())
    };
    let l = &lead.lead;
    let mut view = PackageView {
        attendee_id: l.attendee_id,
        readable: package.is_some(),
        contact: contact(attendee.as_ref()),
        tier: l.tier.as_str().to_owned(),
        tier_meaning: l.tier.meaning().to_owned(),
        score: format::points(l.score),
        fit: format::points(l.fit),
        engagement: format::points(l.engagement),
        stage_points: String::new(),
        topics: Vec::new(),
        sessions: Vec::new(),
        attended: String::new(),
        industry: words(
            attendee.as_ref().and_then(|a| a.answers.industry),
            Industry::label,
        ),
        company_size: words(
            attendee.as_ref().and_then(|a| a.answers.company_size),
            CompanySize::label,
        ),
        stage: words(l.stage, PurchaseStage::label),
        declared: Vec::new(),
        show: Vec::new(),
        next_need: None,
        factors: Vec::new(),
        explanation: l.explanation.clone(),
        exclusion: None,
        owner: lead.owner.clone(),
        routing_rule: None,
        due: l.due_at.map(|d| format::local_time_zoned(d, tz)),
        overdue: is_overdue(l.due_at, !feedback.is_empty(), now.as_millisecond()),
        next_action: feedback
            .first()
            .map(|f| f.next.in_words(|t| format::local_date(t, tz))),
        colleagues: colleagues.into_iter().map(colleague).collect(),
        company,
        deadline_steps: deadline_steps
            .into_iter()
            .map(|s| deadline_step(s, tz))
            .collect(),
        history: history(feedback, &book, tz),
        live: live.map(
            |LiveFacts {
                 row: live,
                 explanation,
             }| LiveView {
                moved: live.tier != l.tier,
                interest: live.top_topic.as_deref().map_or_else(
                    || "no topic of interest shows yet".into(),
                    |t| format!("most interested in {}", topic_name(t)),
                ),
                updated: format::local_time_zoned(live.updated_at, tz),
                tier: live.tier.as_str().to_owned(),
                explanation,
            },
        ),
    };
    if let Some(p) = package {
        fill_from_package(&mut view, p, &topic_name);
    }
    view
}

/// The contact as registered, for a lead whose stored package cannot be read (empty without
/// the registration).
fn contact(attendee: Option<&AttendeeRecord>) -> ContactView {
    let text =
        |pick: fn(&AttendeeRecord) -> &String| attendee.map(pick).cloned().unwrap_or_default();
    ContactView {
        name: text(|a| &a.name),
        email: text(|a| &a.email),
        job_title: text(|a| &a.answers.job_title),
        company: text(|a| &a.answers.company),
        country: text(|a| &a.answers.country),
        role: role_words(attendee.and_then(|a| a.answers.decision_role)),
        responsibilities: String::new(),
    }
}

/// A colleague as the package lists them: name, role, tier, top topic.
fn colleague(c: MemberRow) -> (String, String, String, String) {
    (
        c.name,
        role_words(c.decision_role),
        c.tier
            .map_or_else(|| "no lead".into(), |t| t.key().to_owned()),
        c.topic_name.unwrap_or_default(),
    )
}

/// "5 Mar 14:00: reminder sent to the owner (deadline of sam, to sally): sent".
fn deadline_step(s: StepRecord, tz: &TimeZone) -> String {
    let to = s.to.map(|t| format!(", to {t}")).unwrap_or_default();
    format!(
        "{}: {} (deadline of {}{to}): {}",
        format::local_time_zoned(s.at, tz),
        s.step.label(),
        s.owner,
        if s.detail.is_empty() {
            s.state
        } else {
            s.detail
        }
    )
}

fn fill_from_package(view: &mut PackageView, p: LeadPackage, topic_name: &dyn Fn(&str) -> String) {
    view.next_need = p
        .next_need
        .as_ref()
        .map(|n| (n.name.clone(), n.reason.clone()));
    let c = p.contact;
    view.contact = ContactView {
        role: role_words(c.decision_role),
        name: c.name,
        email: c.email,
        job_title: c.job_title,
        company: c.company,
        country: c.country,
        responsibilities: c.responsibilities,
    };
    view.stage_points = format::points(p.stage_points);
    view.topics = p
        .topics
        .into_iter()
        .map(|t| TopicLine {
            score: format::points(t.score),
            sessions: t.sessions.len(),
            minutes: format::duration(t.minutes),
            declared: t.declared,
            name: t.name,
        })
        .collect();
    view.sessions = p
        .sessions
        .into_iter()
        .map(|s| SessionLine {
            title: s.title,
            kind: s.kind,
            minutes: format::duration(s.minutes),
        })
        .collect();
    view.attended = format!(
        "{}, {} in all",
        plural(p.session_count as usize, "session"),
        format::duration(p.minutes)
    );
    let n = &p.needs;
    view.industry = given(&n.industry);
    view.company_size = given(&n.company_size);
    if !n.stage_label.is_empty() {
        view.stage = n.stage_label.clone();
    }
    view.declared = n.declared_interests.iter().map(|s| topic_name(s)).collect();
    view.show = p
        .show
        .into_iter()
        .map(|s| PickLine {
            link: link(&s.url),
            kind: s.kind,
            title: s.title,
            why: s.why,
        })
        .collect();
    view.factors = p
        .factors
        .into_iter()
        .map(|f| FactorLine {
            axis: f.axis,
            label: f.label,
            value: f.value,
            points: format!("{:+.0}", f.points),
        })
        .collect();
    if !p.explanation.is_empty() {
        view.explanation = p.explanation;
    }
    view.exclusion = p.exclusion;
    view.routing_rule = p.routing.map(|r| r.rule);
}

#[cfg(test)]
#[path = "package_tests.rs"]
mod tests;
