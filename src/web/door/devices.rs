//! Staff pages for door devices: create a kiosk with a pairing code, list and revoke them,
//! and the clock (24-hour or 12-hour) the event's kiosks show times with.

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
    domain::{clock::Clock, user::Action},
    door, qr,
    store::{
        EventRecord,
        list_order::{ListOrder, SortColumn},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/devices", get(list).post(create))
        .route("/events/{slug}/devices/{id}/revoke", post(revoke))
        .route("/events/{slug}/devices/clock", post(set_clock))
}

struct DeviceLine {
    id: i64,
    name: String,
    room: String,
    status: &'static str,
    last_seen: String,
    /// For sorting: when it was last heard from (unix ms) and its queue.
    last_seen_at: Option<i64>,
    queued: Option<i64>,
    app_version: String,
    queue_size: String,
}

/// The device list's sortable columns (a list read whole, sorted in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceSort {
    Name,
    Room,
    Status,
    LastContact,
    App,
    Queued,
}

impl SortColumn for DeviceSort {
    const KEYS: &'static [(&'static str, DeviceSort)] = &[
        ("name", DeviceSort::Name),
        ("room", DeviceSort::Room),
        ("status", DeviceSort::Status),
        ("last_contact", DeviceSort::LastContact),
        ("app", DeviceSort::App),
        ("queued", DeviceSort::Queued),
    ];
}

/// The devices in the order asked for (as created by default); ties by id.
fn sort_devices(rows: &mut [DeviceLine], order: Option<ListOrder<DeviceSort>>) {
    let Some(o) = order else { return };
    let d = o.dir;
    match o.column {
        DeviceSort::Name => sorting::sort_rows(rows, d, |r| (r.name.to_lowercase(), r.id)),
        DeviceSort::Room => sorting::sort_rows(rows, d, |r| (r.room.to_lowercase(), r.id)),
        DeviceSort::Status => sorting::sort_rows(rows, d, |r| (r.status, r.id)),
        DeviceSort::LastContact => sorting::sort_rows(rows, d, |r| (r.last_seen_at, r.id)),
        DeviceSort::App => sorting::sort_rows(rows, d, |r| (r.app_version.clone(), r.id)),
        DeviceSort::Queued => sorting::sort_rows(rows, d, |r| (r.queued, r.id)),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

struct PairingView {
    code: String,
    qr_svg: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/devices.html")]
struct DevicesPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    rooms: Vec<String>,
    devices: Vec<DeviceLine>,
    pairing: Option<PairingView>,
    heads: Vec<SortHeader>,
    /// The kiosks' clock: each choice with whether it is the event's; the zone's usual one.
    clocks: Vec<(&'static str, &'static str, bool)>,
    usual_clock: &'static str,
    clock_is_usual: bool,
    time_zone: String,
}

async fn render(
    state: &AppState,
    user: CurrentUser,
    csrf: String,
    event: EventRecord,
    pairing: Option<PairingView>,
    order: Option<ListOrder<DeviceSort>>,
) -> WebResult<Html<String>> {
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let rooms = state.ctx.store.door().event_rooms(event.id).await?;
    let room_name = |id: Option<i64>| {
        id.and_then(|id| rooms.iter().find(|(r, _)| *r == id).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| "any room".into())
    };
    let mut devices: Vec<DeviceLine> = state
        .ctx
        .store
        .door()
        .list_devices(event.id)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            room: room_name(d.room_id),
            status: if d.revoked_at.is_some() {
                "revoked"
            } else if d.paired_at.is_some() {
                "active"
            } else {
                "waiting for pairing"
            },
            last_seen: d
                .last_seen_at
                .map(|t| format::local_time(t, &tz))
                .unwrap_or_default(),
            last_seen_at: d.last_seen_at,
            queued: d.queue_size,
            app_version: d.app_version.unwrap_or_default(),
            queue_size: d.queue_size.map(|q| q.to_string()).unwrap_or_default(),
            id: d.id,
            name: d.name,
        })
        .collect();
    sort_devices(&mut devices, order);
    let clock = state.ctx.store.events().event_clock(event.id).await?;
    let usual = Clock::usual_in(&event.info.time_zone);
    let heads = sorting::headers(
        &format!("/admin/events/{}/devices", event.info.slug),
        &[],
        order,
        vec![
            Column::by(DeviceSort::Name, "Device"),
            Column::by(DeviceSort::Room, "Room"),
            Column::by(DeviceSort::Status, "Status"),
            Column::by(
                DeviceSort::LastContact,
                format!("Last contact ({})", event.info.time_zone),
            ),
            Column::by(DeviceSort::App, "App"),
            Column::by(DeviceSort::Queued, "Queued scans"),
            Column::plain(""),
        ],
    );
    let page = DevicesPage {
        clocks: Clock::ALL
            .iter()
            .map(|c| (c.as_str(), c.label(), *c == clock))
            .collect(),
        usual_clock: usual.label(),
        clock_is_usual: clock == usual,
        time_zone: event.info.time_zone.clone(),
        heads,
        user,
        csrf,
        slug: event.info.slug.to_string(),
        event_name: event.info.name,
        rooms: rooms.into_iter().map(|(_, n)| n).collect(),
        devices,
        pairing,
    };
    Ok(Html(page.render()?))
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::ManageDevices)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let order = ListOrder::from_query(&q.sort, &q.dir);
    render(&state, user, csrf.0, event, None, order).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    room: String,
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<CreateForm>,
) -> WebResult<Html<String>> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ManageDevices)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(Error::BadRequest(
            "a device needs a name of 1 to 80 characters".into(),
        ));
    }
    let room = Some(form.room.as_str()).filter(|r| !r.is_empty());
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let created = door::create_device(&state.ctx, &event, room, name, Timestamp::now())
        .await
        .map_err(|e| Error::BadRequest(format!("{e:#}")))?;
    tracing::info!(user = user.id, device = created.device_id, "device created");
    let pairing = PairingView {
        qr_svg: qr::render_svg(&created.pairing_code).map_err(|e| Error::Internal(e.into()))?,
        expires: format::local_time_zoned(created.expires_at.as_millisecond(), &tz),
        code: created.pairing_code,
    };
    render(&state, user, csrf.0, event, Some(pairing), None).await
}

async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<crate::web::ConfirmForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ManageDevices)?;
    form.confirmed("revoke this kiosk")?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let devices = state.ctx.store.door().list_devices(event.id).await?;
    if !devices.iter().any(|d| d.id == id) {
        return Err(Error::NotFound);
    }
    state
        .ctx
        .store
        .door()
        .revoke_device(id, Timestamp::now())
        .await?;
    tracing::info!(user = user.id, device = id, "device revoked");
    Ok(Redirect::to(&format!("/admin/events/{slug}/devices")))
}

#[derive(Deserialize)]
struct ClockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    clock: String,
}

/// Sets how the event's kiosks write times; they take it at their next refresh.
async fn set_clock(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<ClockForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ManageDevices)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let clock = Clock::parse(&form.clock)
        .ok_or_else(|| Error::BadRequest("Choose a 24-hour or a 12-hour clock.".into()))?;
    // The zone's usual clock is stored as no choice, so it follows a change of zone.
    let stored = (clock != Clock::usual_in(&event.info.time_zone)).then_some(clock);
    state
        .ctx
        .store
        .events()
        .set_event_clock(event.id, stored, Timestamp::now())
        .await?;
    tracing::info!(user = user.id, event = event.id, clock = %clock, "kiosk clock set");
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/devices?clock=saved#clock"
    )))
}
