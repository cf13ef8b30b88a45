//! Staff pages for door devices: create a kiosk with a pairing code, list and revoke them.

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    response::{Html, Redirect},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use super::{AppState, auth::CurrentUser, csrf::CsrfToken, format};
use crate::{
    domain::user::Role,
    door,
    error::{Error, WebResult},
    qr,
    store::EventRecord,
};

/// Who may set up and revoke door devices.
pub(super) const DEVICES: &[Role] = &[Role::Admin, Role::Staff];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/devices", get(list).post(create))
        .route("/events/{slug}/devices/{id}/revoke", post(revoke))
}

struct DeviceLine {
    id: i64,
    name: String,
    room: String,
    status: &'static str,
    last_seen: String,
    app_version: String,
    queue_size: String,
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
}

async fn render(
    state: &AppState,
    user: CurrentUser,
    csrf: String,
    event: EventRecord,
    pairing: Option<PairingView>,
) -> WebResult<Html<String>> {
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let rooms = state.ctx.store.event_rooms(event.id).await?;
    let room_name = |id: Option<i64>| {
        id.and_then(|id| rooms.iter().find(|(r, _)| *r == id).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| "any room".into())
    };
    let devices = state
        .ctx
        .store
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
            app_version: d.app_version.unwrap_or_default(),
            queue_size: d.queue_size.map(|q| q.to_string()).unwrap_or_default(),
            id: d.id,
            name: d.name,
        })
        .collect();
    let page = DevicesPage {
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
) -> WebResult<Html<String>> {
    user.require(DEVICES)?;
    let event = super::event_or_404(&state, &slug).await?;
    render(&state, user, csrf.0, event, None).await
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
    user.require(DEVICES)?;
    let event = super::event_or_404(&state, &slug).await?;
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
        expires: format::local_time(created.expires_at.as_millisecond(), &tz),
        code: created.pairing_code,
    };
    render(&state, user, csrf.0, event, Some(pairing)).await
}

async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<super::ConfirmForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(DEVICES)?;
    form.confirmed("revoke this kiosk")?;
    let event = super::event_or_404(&state, &slug).await?;
    let devices = state.ctx.store.list_devices(event.id).await?;
    if !devices.iter().any(|d| d.id == id) {
        return Err(Error::NotFound);
    }
    state.ctx.store.revoke_device(id, Timestamp::now()).await?;
    tracing::info!(user = user.id, device = id, "device revoked");
    Ok(Redirect::to(&format!("/admin/events/{slug}/devices")))
}
