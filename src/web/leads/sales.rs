//! Sales pages: a salesperson's own leads, their packages, and the outcome form that appends
//! to a lead's feedback history. Another owner's lead does not exist for a salesperson.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, Redirect},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::{Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    csrf::CsrfToken,
    leads::list::{LineView, PAGE_SIZE},
    leads::package::{PackageView, package_view},
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{leads::playbook::OutcomeChoice, user::Action},
    leads::{
        feedback::{self, NOTE_MAX, RecordError},
        webhook::outcome::{self as outcome_webhook, OutcomeRecorded},
    },
    store::{
        EventRecord, LeadRow,
        list_order::{ListOrder, OwnedLeadSort},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sales/leads", get(list))
        .route("/sales/leads/{slug}/{attendee_id}", get(package))
        .route("/sales/leads/{slug}/{attendee_id}/feedback", post(record))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    page: i64,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

#[derive(Template)]
#[template(path = "leads/sales_list.html")]
struct ListPage {
    user: CurrentUser,
    csrf: String,
    lines: Vec<LineView>,
    /// The table's column headers, each sorting the list.
    heads: Vec<SortHeader>,
    /// Whether the list is in its own order (awaiting feedback first, soonest deadline).
    own_order: bool,
    prev: Option<String>,
    next: Option<String>,
    total: i64,
    overdue: i64,
    page: i64,
    pages: i64,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::FollowUpLeads)?;
    let now = Timestamp::now().as_millisecond();
    let page = crate::web::format::page_number(q.page);
    let order = ListOrder::<OwnedLeadSort>::from_query(&q.sort, &q.dir);
    let (rows, total, overdue) = state
        .ctx
        .store
        .leads()
        .owned_lead_page_sorted(user.id, order, now, PAGE_SIZE, page * PAGE_SIZE)
        .await?;
    let lines = rows
        .into_iter()
        .map(|r| {
            let tz = TimeZone::get(&r.event_time_zone).unwrap_or(TimeZone::UTC);
            let mut line = LineView::zoned(r.line, &tz, now);
            line.event_slug = r.event_slug;
            line.event_name = r.event_name;
            line
        })
        .collect();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let page_link = |p: i64| {
        let p = p.to_string();
        let mut pairs = vec![("page", p.as_str())];
        pairs.extend(sorting::order_pairs(order));
        sorting::link("/sales/leads", &pairs)
    };
    let view = ListPage {
        user,
        csrf: csrf.0,
        lines,
        heads: sorting::headers(
            "/sales/leads",
            &[],
            order,
            vec![
                Column::by(OwnedLeadSort::Name, "Lead"),
                Column::by(OwnedLeadSort::Event, "Event"),
                Column::by(OwnedLeadSort::Tier, "Tier"),
                Column::num(OwnedLeadSort::Score, "Score"),
                Column::by(OwnedLeadSort::Topic, "Top topic"),
                Column::by(OwnedLeadSort::Deadline, "Deadline"),
                Column::by(OwnedLeadSort::Feedback, "Latest feedback"),
            ],
        ),
        own_order: order.is_none(),
        prev: (page > 0).then(|| page_link(page - 1)),
        next: (page + 1 < pages).then(|| page_link(page + 1)),
        total,
        overdue,
        page,
        pages,
    };
    Ok(Html(view.render()?))
}

/// The lead as this user may see it: a salesperson only their own (anything else is "not
/// found", so nobody learns which leads exist); marketers and admins any.
async fn visible_lead(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    attendee_id: i64,
) -> WebResult<(EventRecord, LeadRow)> {
    let event = crate::web::event_or_404(state, slug).await?;
    let lead = state
        .ctx
        .store
        .leads()
        .lead(event.id, attendee_id)
        .await?
        .ok_or(Error::NotFound)?;
    let own = lead.lead.owner_id == Some(user.id);
    if !own && !user.may(Action::SeeOthersLeads) {
        return Err(Error::NotFound);
    }
    Ok((event, lead))
}

#[derive(Deserialize)]
struct PackageQuery {
    recorded: Option<String>,
}

#[derive(Template)]
#[template(path = "leads/sales_package.html")]
struct PackagePage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    pkg: PackageView,
    can_record: bool,
    recorded: bool,
    outcomes: Vec<OutcomeChoice>,
    note_max: usize,
}

async fn package(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, attendee_id)): Path<(String, i64)>,
    Query(q): Query<PackageQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::FollowUpLeads)?;
    let (event, lead) = visible_lead(&state, &user, &slug, attendee_id).await?;
    let can_record = lead.lead.owner_id == Some(user.id);
    let outcomes = feedback::playbook(&state.ctx, &event)?.choices();
    let mut pkg = package_view(&state, &event, lead, Timestamp::now()).await?;
    if !user.may(Action::ReadDataPool) {
        // The data pool's pages are for marketers and admins.
        pkg.company = None;
    }
    let page = PackagePage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        pkg,
        can_record,
        recorded: q.recorded.is_some(),
        outcomes,
        note_max: NOTE_MAX,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, attendee_id)): Path<(String, i64)>,
    Form(form): Form<FeedbackForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::FollowUpLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    // Only the owner writes; the store checks ownership in the same statement.
    let at = Timestamp::now();
    let recorded = feedback::record(
        &state.ctx,
        &event,
        attendee_id,
        user.id,
        &form.outcome,
        &form.note,
        at,
    )
    .await
    .map_err(|e| match e {
        RecordError::UnknownOutcome(_) | RecordError::NoteTooLong => {
            Error::BadRequest(e.to_string())
        }
        RecordError::NotTheirs => Error::NotFound,
        RecordError::Failed(e) => Error::Internal(e),
    })?;
    outcome_webhook::spawn(
        &state.ctx.settings.leads,
        OutcomeRecorded::new(&slug, &recorded, form.note.trim(), &user.username, at),
    );
    tracing::info!(
        user = user.id,
        attendee = attendee_id,
        outcome = recorded.outcome.key,
        "lead feedback recorded"
    );
    Ok(Redirect::to(&format!(
        "/sales/leads/{slug}/{attendee_id}?recorded=1"
    )))
}
