//! The live operations page for staff and marketers, and the JSON feed its script polls.
//!
//! The page is rendered complete on the server (it reads without scripts); `/admin/live.js`,
//! a static file so the Content-Security-Policy stays `script-src 'self'`, then fetches
//! `live.json` every few seconds and redraws the tables from it with `textContent`.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

use crate::web::{AppState, auth::CurrentUser};
use crate::{
    domain::{door::activity::RATE_MINUTES, door::occupancy::Fill, user::Action},
    live::{self, DoorNow, LiveOps, RefusalNow, RoomNow},
    store::EventRecord,
    web::error::{Error, WebResult},
};

/// How often the page asks for fresh numbers, in milliseconds.
const POLL_MS: u32 = 5000;

const SCRIPT: &str = include_str!("../../../static/live.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/live", get(page))
        .route("/events/{slug}/live.json", get(feed))
        .route("/live.js", get(script))
}

/// The live view as the page and the feed show it; see `docs/formats.md`.
#[derive(Serialize)]
struct Feed {
    event: String,
    server_time: Timestamp,
    /// `server_time` in the event's zone, "09:41:07".
    updated: String,
    /// Column headings of `doors[].per_minute`, oldest first.
    minutes: Vec<String>,
    rooms: Vec<RoomView>,
    doors: Vec<DoorView>,
    refused: Vec<RefusedView>,
}

#[derive(Serialize)]
struct RoomView {
    name: String,
    capacity: u32,
    present: u32,
    /// Share of the capacity taken; `None` for a room without a capacity.
    percent: Option<u32>,
    entries: u32,
    exit_scans: u32,
    /// People who left without scanning out: into another room, or at their session's end.
    estimated_exits: u32,
    left_for_other_room: u32,
    session_ended: u32,
    fill: Fill,
    /// "Nearly full", "Full", "Over capacity", or empty.
    warning: &'static str,
    session: Option<String>,
}

#[derive(Serialize)]
struct DoorView {
    id: i64,
    name: String,
    room: String,
    per_minute: Vec<u32>,
    last_seen_at: Option<Timestamp>,
    /// `last_seen_at` in the event's zone, or "never".
    last_contact: String,
    app_version: String,
    queue_size: u32,
    /// Whole minutes since the last contact, once the door counts as quiet.
    quiet_minutes: Option<i64>,
    needs_attention: bool,
    /// Plain words: "OK", "Quiet for 12 min", "4 scans waiting on the device", ...
    status: String,
}

#[derive(Serialize)]
struct RefusedView {
    received_at: Timestamp,
    /// The scan time in the event's zone, "09:41:07".
    time: String,
    door: String,
    room: String,
    direction: String,
    attendee: String,
    reason: Option<&'static str>,
    /// The reason in plain words.
    message: &'static str,
}

fn clock(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string()
}

fn room_view(r: RoomNow) -> RoomView {
    let o = r.occupancy;
    RoomView {
        name: r.name,
        capacity: o.capacity,
        present: o.present,
        percent: o.percent(),
        entries: o.entries,
        exit_scans: o.exit_scans,
        estimated_exits: o.estimated_exits(),
        left_for_other_room: o.left_for_other_room,
        session_ended: o.session_ended,
        fill: o.fill,
        warning: o.fill.label(),
        session: r.session,
    }
}

fn door_view(d: DoorNow, tz: &TimeZone) -> DoorView {
    let a = d.attention;
    let mut status = Vec::new();
    if a.never_seen {
        status.push("Never heard from".to_owned());
    }
    if let Some(q) = a.quiet_for {
        status.push(format!("Quiet for {} min", q.as_mins()));
    }
    match a.queued {
        0 => {}
        1 => status.push("1 scan waiting on the device".to_owned()),
        n => status.push(format!("{n} scans waiting on the device")),
    }
    DoorView {
        id: d.id,
        name: d.name,
        room: d.room.unwrap_or_else(|| "any room".into()),
        per_minute: d.per_minute,
        last_seen_at: d.last_seen,
        last_contact: d.last_seen.map_or_else(|| "never".into(), |t| clock(t, tz)),
        app_version: d.app_version.unwrap_or_default(),
        queue_size: a.queued,
        quiet_minutes: a.quiet_for.map(|q| q.as_mins()),
        needs_attention: a.needed(),
        status: if status.is_empty() {
            "OK".to_owned()
        } else {
            status.join("; ")
        },
    }
}

fn refused_view(r: RefusalNow, tz: &TimeZone) -> RefusedView {
    RefusedView {
        received_at: r.received,
        time: clock(r.scanned, tz),
        door: r.door,
        room: r.room.unwrap_or_default(),
        direction: r.direction.key().to_owned(),
        attendee: r.attendee.unwrap_or_default(),
        reason: r.reason.map(|r| r.as_str()),
        message: r.reason.map_or("Refused", |r| r.message()),
    }
}

/// "4-5 min ago" ... "last minute": what each rate column covers.
fn minute_headings() -> Vec<String> {
    (0..RATE_MINUTES)
        .rev()
        .map(|ago| match ago {
            0 => "last minute".to_owned(),
            n => format!("{n}-{} min ago", n + 1),
        })
        .collect()
}

fn to_feed(slug: &str, ops: LiveOps, tz: &TimeZone) -> Feed {
    Feed {
        event: slug.to_owned(),
        server_time: ops.now,
        updated: clock(ops.now, tz),
        minutes: minute_headings(),
        rooms: ops.rooms.into_iter().map(room_view).collect(),
        doors: ops.doors.into_iter().map(|d| door_view(d, tz)).collect(),
        refused: ops
            .refusals
            .into_iter()
            .map(|r| refused_view(r, tz))
            .collect(),
    }
}

async fn read_feed(state: &AppState, event: &EventRecord) -> WebResult<Feed> {
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let ops = live::read(&state.ctx, event.id, Timestamp::now()).await?;
    Ok(to_feed(event.info.slug.as_str(), ops, &tz))
}

#[derive(Template)]
#[template(path = "admin/live.html")]
struct LivePage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    poll_ms: u32,
    feed: Feed,
    /// The zone every time on the page is in.
    time_zone: String,
}

impl LivePage {
    fn alerts(&self) -> impl Iterator<Item = &RoomView> {
        self.feed.rooms.iter().filter(|r| r.fill != Fill::Normal)
    }

    fn quiet_doors(&self) -> impl Iterator<Item = &DoorView> {
        self.feed.doors.iter().filter(|d| d.needs_attention)
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: crate::web::csrf::CsrfToken,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    user.require(Action::WatchLive)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let feed = read_feed(&state, &event).await?;
    let page = LivePage {
        user,
        csrf: csrf.0,
        slug,
        time_zone: event.info.time_zone,
        event_name: event.info.name,
        poll_ms: POLL_MS,
        feed,
    };
    Ok(Html(page.render()?))
}

/// The feed answers in JSON even when refused, so the script can say why it stopped.
async fn feed(
    State(state): State<AppState>,
    user: Result<CurrentUser, Error>,
    Path(slug): Path<String>,
) -> Response {
    let answer = async {
        let user = user?;
        user.require(Action::WatchLive)?;
        let event = crate::web::event_or_404(&state, &slug).await?;
        read_feed(&state, &event).await
    };
    match answer.await {
        Ok(feed) => ([(header::CACHE_CONTROL, "no-store")], Json(feed)).into_response(),
        Err(e) => {
            let status = e.status();
            let message = match &e {
                Error::Internal(cause) => {
                    tracing::error!(error = ?cause, "live feed failed");
                    "internal error".to_owned()
                }
                other => other.to_string(),
            };
            (status, Json(serde_json::json!({ "error": message }))).into_response()
        }
    }
}

async fn script() -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_columns_read_from_oldest_to_the_last_minute() {
        let h = minute_headings();
        assert_eq!(h.len(), RATE_MINUTES);
        assert_eq!(h.first().map(String::as_str), Some("4-5 min ago"));
        assert_eq!(h[RATE_MINUTES - 2], "1-2 min ago");
        assert_eq!(h.last().map(String::as_str), Some("last minute"));
    }
}
