//! The due list: people whose latest sales outcome says to reach them again now, across
//! events, with why and with what. Marketers and admins see everyone; a salesperson sees
//! the leads they own whose next step is theirs.

use askama::Template;
use axum::{
    Router,
    extract::{Query, State},
    response::Html,
    routing::get,
};
use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    csrf::CsrfToken,
    format,
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{
        leads::playbook::{NextOwner, Playbook},
        user::Action,
    },
    store::{
        DueFollowUp, DueFor,
        list_order::{DueSort, ListOrder},
    },
    web::error::{Error, WebResult},
};

/// Most people one page lists.
const LIMIT: i64 = 500;
/// Longest look ahead accepted, in days.
const WITHIN_MAX: u32 = 366;
/// The look aheads offered.
const CHOICES: [(u32, &str); 5] = [
    (0, "due now"),
    (7, "within a week"),
    (30, "within 30 days"),
    (90, "within 90 days"),
    (366, "within a year"),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/due", get(page))
}

#[derive(Deserialize)]
struct DueQuery {
    /// Also list those due within this many days.
    #[serde(default)]
    within: u32,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

pub struct DueLine {
    pub name: String,
    pub job_title: String,
    pub company: String,
    pub event_name: String,
    /// Where to open the lead: the sales page for its owner, the admin page otherwise.
    pub link: String,
    pub due: String,
    pub overdue: bool,
    pub outcome: String,
    pub recorded: String,
    pub recorded_by: String,
    pub note: String,
    pub next_owner: String,
    pub owner: String,
    pub with: String,
    pub email: bool,
    pub tag: String,
}

#[derive(Template)]
#[template(path = "leads/due.html")]
struct DuePage {
    user: CurrentUser,
    csrf: String,
    lines: Vec<DueLine>,
    within: u32,
    choices: &'static [(u32, &'static str)],
    everyone: bool,
    limit: i64,
    /// The table's column headers, each sorting the list.
    heads: Vec<SortHeader>,
    /// The sort the look-ahead form keeps.
    keep_order: Vec<(&'static str, &'static str)>,
}

fn line(d: DueFollowUp, book: &Playbook, user: &CurrentUser, now: Timestamp) -> DueLine {
    let tz = TimeZone::get(&d.event_time_zone).unwrap_or(TimeZone::UTC);
    let f = d.feedback;
    let owns = d.owner.as_deref() == Some(user.username.as_str());
    let link = if owns || !user.may(Action::SeeOthersLeads) {
        format!("/sales/leads/{}/{}", d.event_slug, f.attendee_id)
    } else {
        format!("/admin/events/{}/leads/{}", d.event_slug, f.attendee_id)
    };
    let topic = d.top_topic.unwrap_or_default();
    let with = match (f.next.content.label(), topic.is_empty()) {
        (label, true) => label.to_owned(),
        (label, false) => format!("{label} ({topic})"),
    };
    DueLine {
        name: d.name,
        job_title: d.job_title,
        company: d.company,
        event_name: d.event_name,
        link,
        due: f
            .next
            .due_at
            .map(|t| {
                format!(
                    "{} ({})",
                    format::local_date(t, &tz),
                    format::zone_name(&tz)
                )
            })
            .unwrap_or_default(),
        overdue: f.next.due_at.is_some_and(|t| t < now),
        outcome: book.label(&f.outcome),
        recorded: format::local_time_zoned(f.at, &tz),
        recorded_by: f.display_name,
        note: f.note,
        next_owner: match f.next.owner {
            NextOwner::Sales => "sales".into(),
            other => other.label().to_owned(),
        },
        owner: d.owner.unwrap_or_else(|| "nobody".into()),
        with,
        email: f.next.email,
        tag: f.next.tag,
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<DueQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::SeeDueFollowUps)?;
    if q.within > WITHIN_MAX {
        return Err(Error::BadRequest(format!(
            "Look ahead at most {WITHIN_MAX} days."
        )));
    }
    let now = Timestamp::now();
    let until = now + SignedDuration::from_hours(24 * i64::from(q.within));
    let who = if !user.may(Action::SeeOthersLeads) {
        DueFor::Owner(user.id)
    } else {
        DueFor::Everyone
    };
    let order = ListOrder::<DueSort>::from_query(&q.sort, &q.dir);
    let due = state
        .ctx
        .store
        .leads()
        .due_follow_ups_sorted(until, who, order, LIMIT)
        .await?;
    // Outcomes an event's playbook adds are shown with its labels.
    let mut books: HashMap<String, Playbook> = HashMap::new();
    let mut lines = Vec::with_capacity(due.len());
    for d in due {
        let book = books.entry(d.event_slug.clone()).or_insert_with(|| {
            let dir = &state.ctx.settings.leads.config_dir;
            crate::leads::files::load_playbook(dir, &d.event_slug, None).unwrap_or_default()
        });
        lines.push(line(d, book, &user, now));
    }
    let within = q.within.to_string();
    let heads = sorting::headers(
        "/due",
        &[("within", if q.within == 0 { "" } else { within.as_str() })],
        order,
        vec![
            Column::by(DueSort::Name, "Person"),
            Column::by(DueSort::Event, "Event"),
            Column::by(DueSort::Due, "Due"),
            Column::by(DueSort::Outcome, "Why"),
            Column::by(DueSort::Owner, "Next"),
            Column::plain("With"),
            Column::plain("Follow-up email"),
        ],
    );
    let page = DuePage {
        heads,
        keep_order: sorting::order_pairs(order),
        everyone: who == DueFor::Everyone,
        user,
        csrf: csrf.0,
        lines,
        within: q.within,
        choices: &CHOICES,
        limit: LIMIT,
    };
    Ok(Html(page.render()?))
}
