//! Staff pages: an event's attendee list and details, badge re-issue and the badge print sheet.
//! A person's data requests (export, erasure) are in `privacy`.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, Redirect},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    csrf::CsrfToken,
    format,
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::user::Action,
    qr, registration,
    store::{
        AttendeeSummary, EventRecord,
        list_order::{AttendeeSort, ListOrder},
    },
    web::error::{Error, WebResult},
};

const PAGE_SIZE: i64 = 50;
const PRINT_PAGE_SIZE: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}", get(event_page))
        .route("/events/{slug}/attendees/{id}", get(attendee_page))
        .route("/events/{slug}/attendees/{id}/reissue", post(reissue))
        .route("/events/{slug}/badges/print", get(print_sheet))
        .route("/badges/print.js", get(print_script))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: i64,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

#[derive(Template)]
#[template(path = "admin/event.html")]
struct EventPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    name: String,
    dates: String,
    query: String,
    attendees: Vec<AttendeeLine>,
    /// The table's column headers, each sorting the list.
    heads: Vec<SortHeader>,
    /// The sort the search form keeps.
    keep_order: Vec<(&'static str, &'static str)>,
    /// The previous and next page, in the same search and order.
    prev: Option<String>,
    next: Option<String>,
    total: i64,
    page: i64,
    pages: i64,
    can_print: bool,
    can_see_leads: bool,
    can_export: bool,
    time_zone: String,
}

/// One row of the attendee list.
struct AttendeeLine {
    id: i64,
    name: String,
    company: String,
    job_title: String,
    email: String,
    badge_serial: i64,
    /// When they were first scanned in, in the event's time zone; empty: not yet.
    checked_in: String,
}

async fn event_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::SeeEvents)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let page = crate::web::format::page_number(q.page);
    let order = ListOrder::<AttendeeSort>::from_query(&q.sort, &q.dir);
    let (attendees, total) = state
        .ctx
        .store
        .attendees()
        .list_attendees_sorted(event.id, &q.q, order, PAGE_SIZE, page * PAGE_SIZE)
        .await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let attendees = attendees
        .into_iter()
        .map(|a: AttendeeSummary| AttendeeLine {
            checked_in: a
                .checked_in_at
                .map(|ms| format::local_time(ms, &tz))
                .unwrap_or_default(),
            id: a.id,
            name: a.name,
            company: a.company,
            job_title: a.job_title,
            email: a.email,
            badge_serial: a.badge_serial,
        })
        .collect();
    let path = format!("/admin/events/{slug}");
    let checked_in = format!("Checked in ({})", event.info.time_zone);
    let heads = sorting::headers(
        &path,
        &[("q", q.q.as_str())],
        order,
        vec![
            Column::by(AttendeeSort::Name, "Name"),
            Column::by(AttendeeSort::Company, "Company"),
            Column::by(AttendeeSort::JobTitle, "Job title"),
            Column::by(AttendeeSort::Email, "Email"),
            Column::by(AttendeeSort::Badge, "Badge"),
            Column::by(AttendeeSort::CheckedIn, checked_in),
        ],
    );
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let page_link = |p: i64| {
        let p = p.to_string();
        let mut pairs = vec![("q", q.q.as_str()), ("page", p.as_str())];
        pairs.extend(sorting::order_pairs(order));
        sorting::link(&path, &pairs)
    };
    let view = EventPage {
        heads,
        keep_order: sorting::order_pairs(order),
        prev: (page > 0).then(|| page_link(page - 1)),
        next: (page + 1 < pages).then(|| page_link(page + 1)),
        can_print: user.may(Action::PrintBadges),
        can_see_leads: user.may(Action::WorkOnLeads),
        can_export: user.may(Action::ExportAttendees),
        time_zone: event.info.time_zone.clone(),
        user,
        csrf: csrf.0,
        slug,
        dates: event.info.dates(),
        name: event.info.name,
        query: q.q,
        attendees,
        total,
        page,
        pages,
    };
    Ok(Html(view.render()?))
}

struct VisitLine {
    title: String,
    room: String,
    entered: String,
    left: String,
    minutes: u32,
    how: &'static str,
}

struct ConsentLine {
    granted: bool,
    at: String,
    source: String,
    wording: String,
}

struct BadgeLine {
    serial: i64,
    issued: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/attendee.html")]
struct AttendeePage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    attendee: crate::store::AttendeeRecord,
    registered: String,
    /// Choice answers in words, in the order the page shows them.
    answers: Vec<(&'static str, &'static str)>,
    badges: Vec<BadgeLine>,
    consents: Vec<ConsentLine>,
    visits: Vec<VisitLine>,
    minutes_total: u32,
    can_reissue: bool,
    reissued: bool,
    /// Admins may export and erase the person's data on their request.
    can_handle_data_requests: bool,
    /// When the person's data was erased, in the event's time zone.
    erased_at: Option<String>,
    /// The person across events and their company, for those who may open the data pool.
    person_id: Option<i64>,
    company: Option<(i64, String)>,
    /// The zone the tables' times are in, for their headers.
    time_zone: String,
}

/// The choice answers as the words the attendee picked.
fn answers(a: &crate::store::AttendeeRecord) -> Vec<(&'static str, &'static str)> {
    use crate::domain::choice::Choice;
    fn label<T: Choice>(v: Option<T>) -> &'static str {
        v.map_or("(unknown)", T::label)
    }
    let a = &a.answers;
    vec![
        ("Decision role", label(a.decision_role)),
        ("Purchase stage", label(a.purchase_stage)),
        ("Industry", label(a.industry)),
        ("Company size", label(a.company_size)),
    ]
}

#[derive(Deserialize)]
struct AttendeeQuery {
    reissued: Option<String>,
}

pub(super) async fn attendee_of_event(
    state: &AppState,
    event: &EventRecord,
    id: i64,
) -> WebResult<crate::store::AttendeeRecord> {
    let a = state
        .ctx
        .store
        .attendees()
        .attendee(id)
        .await?
        .ok_or(Error::NotFound)?;
    if a.event_id != event.id {
        return Err(Error::NotFound);
    }
    Ok(a)
}

async fn attendee_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<AttendeeQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::SeeEvents)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let attendee = attendee_of_event(&state, &event, id).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let badges = state
        .ctx
        .store
        .attendees()
        .attendee_badges(id)
        .await?
        .into_iter()
        .map(|b| BadgeLine {
            serial: b.serial,
            issued: format::local_time(b.issued_at, &tz),
            revoked: b.revoked_at.map(|r| format::local_time(r, &tz)),
        })
        .collect();
    let consents = state
        .ctx
        .store
        .attendees()
        .attendee_consents(id)
        .await?
        .into_iter()
        .map(|c| ConsentLine {
            granted: c.granted,
            at: format::local_time_zoned(c.at, &tz),
            source: c.source,
            wording: c.wording,
        })
        .collect();
    let trail = crate::trails::attendee_trail(&state.ctx, event.id, id).await?;
    let minutes_total = trail.iter().map(|v| v.minutes).sum();
    let visits = trail
        .into_iter()
        .map(|v| VisitLine {
            entered: format::local_time(v.entered_at.as_millisecond(), &tz),
            left: format::local_time(v.left_at.as_millisecond(), &tz),
            how: match v.exit {
                crate::domain::trail::ExitFrom::ExitScan => "exit scanned",
                crate::domain::trail::ExitFrom::EntryElsewhere => "went to another session",
                crate::domain::trail::ExitFrom::SessionEnd => "stayed to the end",
            },
            minutes: v.minutes,
            title: v.title,
            room: v.room,
        })
        .collect();
    let (person_id, company) = if user.may(Action::ReadDataPool) {
        state.ctx.store.data_pool().pool_links(id).await?
    } else {
        (None, None)
    };
    let page = AttendeePage {
        person_id,
        company,
        visits,
        minutes_total,
        consents,
        can_reissue: user.may(Action::PrintBadges) && attendee.erased_at.is_none(),
        can_handle_data_requests: user.may(Action::HandleDataRequests),
        erased_at: attendee
            .erased_at
            .map(|at| format::local_time_zoned(at, &tz)),
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        registered: format::local_time_zoned(attendee.registered_at, &tz),
        time_zone: format::zone_name(&tz),
        answers: answers(&attendee),
        attendee,
        badges,
        reissued: q.reissued.is_some(),
    };
    Ok(Html(page.render()?))
}

async fn reissue(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<crate::web::ConfirmForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::PrintBadges)?;
    form.confirmed("re-issue this badge")?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    attendee_of_event(&state, &event, id).await?;
    registration::reissue_badge(&state.ctx, &event, id, Timestamp::now()).await?;
    tracing::info!(user = user.id, attendee = id, "badge re-issued by staff");
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/attendees/{id}?reissued=1"
    )))
}

struct PrintBadge {
    name: String,
    company: String,
    svg: String,
}

/// Badges per A4 page: two across, four down.
const BADGES_PER_SHEET: usize = 8;

#[derive(Template)]
#[template(path = "admin/print.html")]
struct PrintSheet {
    event_name: String,
    /// The batch's badges, eight to an A4 page.
    sheets: Vec<Vec<PrintBadge>>,
    /// Badges in this batch, and at most in any.
    count: usize,
    batch: i64,
    page: i64,
    pages: i64,
    slug: String,
}

/// Badges in A4 pages of eight.
fn into_sheets(badges: Vec<PrintBadge>) -> Vec<Vec<PrintBadge>> {
    let mut sheets: Vec<Vec<PrintBadge>> = Vec::new();
    for b in badges {
        match sheets.last_mut() {
            Some(s) if s.len() < BADGES_PER_SHEET => s.push(b),
            _ => sheets.push(vec![b]),
        }
    }
    sheets
}

#[derive(Deserialize)]
struct PrintQuery {
    #[serde(default)]
    page: i64,
}

async fn print_sheet(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(q): Query<PrintQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::PrintBadges)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let page = crate::web::format::page_number(q.page);
    let (attendees, total) = state
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", PRINT_PAGE_SIZE, page * PRINT_PAGE_SIZE)
        .await?;
    let badges = attendees
        .into_iter()
        .map(|a| {
            Ok(PrintBadge {
                svg: qr::render_svg(&a.token).map_err(|e| Error::Internal(e.into()))?,
                name: a.name,
                company: a.company,
            })
        })
        .collect::<WebResult<Vec<_>>>()?;
    let sheet = PrintSheet {
        event_name: event.info.name,
        count: badges.len(),
        sheets: into_sheets(badges),
        batch: PRINT_PAGE_SIZE,
        page,
        pages: (total + PRINT_PAGE_SIZE - 1) / PRINT_PAGE_SIZE,
        slug,
    };
    Ok(Html(sheet.render()?))
}

/// The print sheet's button script (a file, so the page needs no inline script).
async fn print_script() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../static/print.js"),
    )
}
