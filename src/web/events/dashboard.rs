//! The staff start page (`/admin`): the events as cards, the one on now (or next) first and
//! largest, each with the figures an organiser looks for first, every figure a link to the
//! page that explains it; then the list of every event.

use askama::Template;
use axum::{Router, extract::State, response::Html, routing::get};
use futures_util::future::try_join_all;
use jiff::{Timestamp, tz::TimeZone};

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken, format::EventLine};
use crate::{
    dashboard::{self, EventFigures},
    domain::{
        campaigns::campaign::CampaignState,
        dashboard::{Days, RATE_WINDOW_MINUTES, arrange},
        user::Action,
    },
    store::EventRecord,
    web::error::WebResult,
};

/// How many events get a card with figures; the list at the end has them all.
const CARDS: usize = 4;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(page))
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    user: CurrentUser,
    csrf: String,
    /// The event on now or next first.
    cards: Vec<Card>,
    events: Vec<EventLine>,
    can_see_leads: bool,
    can_see_devices: bool,
    can_see_live: bool,
    /// Admins create events and manage staff accounts.
    can_set_up: bool,
}

/// One event's card.
struct Card {
    slug: String,
    name: String,
    dates: String,
    venue: String,
    time_zone: String,
    /// "on", "upcoming" or "over".
    phase: &'static str,
    /// "On now: day 1 of 2", "Starts in 12 days".
    status: String,
    /// When the figures were read, in the event's time zone: "14:05 CEST".
    as_of: String,
    registered: String,
    checked_in: String,
    /// "62% of registered".
    checked_in_share: String,
    in_rooms: String,
    /// "3 of 8 rooms in use; fullest: Main Hall, 92%".
    in_rooms_context: String,
    scans_per_minute: String,
    /// "186 accepted, 7 refused in 15 min".
    scans_context: String,
    /// Each minute's scans as a share of the busiest minute, oldest first.
    scan_bars: Vec<u64>,
    leads: Option<LeadsCard>,
}

struct LeadsCard {
    total: String,
    tiered: String,
    tiers: Vec<TierLine>,
    overdue: String,
    due: String,
    campaigns: Vec<CampaignLine>,
}

struct TierLine {
    tier: &'static str,
    meaning: &'static str,
    leads: String,
    /// Width of the tier's part of the bar: "25.0%".
    width: String,
    /// "25%".
    percent: String,
    empty: bool,
}

struct CampaignLine {
    slug: String,
    name: String,
    paused: bool,
    sent: String,
    waiting: String,
    not_sent: u64,
    percent_done: u64,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> WebResult<Html<String>> {
    user.require(Action::SeeEvents)?;
    let can_see_leads = user.may(Action::WorkOnLeads);
    let now = Timestamp::now();
    let records = state.ctx.store.events().list_events().await?;
    let arranged = arrange(records.clone(), |e| days(e, now));
    let shown: Vec<_> = arranged.into_iter().take(CARDS).collect();
    let figures = try_join_all(
        shown
            .iter()
            .map(|(_, e)| dashboard::read(&state.ctx, e.id, now, can_see_leads)),
    )
    .await?;
    let cards = shown
        .into_iter()
        .zip(figures)
        .map(|((d, e), f)| card(e, d, f, now))
        .collect();
    Ok(Html(
        Dashboard {
            can_see_devices: user.may(Action::ManageDevices),
            can_see_live: user.may(Action::WatchLive),
            can_set_up: user.may(Action::EditEventSetup),
            can_see_leads,
            user,
            csrf: csrf.0,
            cards,
            events: records.into_iter().map(EventLine::from).collect(),
        }
        .render()?,
    ))
}

fn zone(e: &EventRecord) -> TimeZone {
    // An imported event's zone always resolves (`Programme::validate`).
    e.info.tz().unwrap_or(TimeZone::UTC)
}

fn days(e: &EventRecord, now: Timestamp) -> Days {
    Days {
        starts_on: e.info.starts_on,
        ends_on: e.info.ends_on,
        today: now.to_zoned(zone(e)).date(),
    }
}

fn card(e: EventRecord, d: Days, f: EventFigures, now: Timestamp) -> Card {
    let a = f.attendance;
    let share = |part: i64, whole: i64| {
        if whole > 0 {
            format!("{}% of registered", part * 100 / whole)
        } else {
            "nobody registered yet".to_owned()
        }
    };
    let rooms = f.in_rooms;
    let mut in_rooms_context = format!(
        "{} of {} room{} in use",
        rooms.rooms_in_use,
        rooms.rooms,
        if rooms.rooms == 1 { "" } else { "s" }
    );
    if let (Some(name), Some((_, percent))) = (&f.fullest_room, rooms.fullest) {
        in_rooms_context.push_str(&format!("; fullest: {name}, {percent}%"));
    }
    let scans = &f.scans;
    let peak = scans.peak().max(1);
    let mut scans_context = format!(
        "{} accepted, {} refused",
        count(scans.accepted),
        count(scans.refused)
    );
    if scans.duplicate > 0 {
        scans_context.push_str(&format!(", {} repeated", count(scans.duplicate)));
    }
    scans_context.push_str(&format!(" in the last {RATE_WINDOW_MINUTES} min"));
    let tz = zone(&e);
    Card {
        phase: d.phase().as_str(),
        status: d.status(),
        as_of: now.to_zoned(tz).strftime("%H:%M %Z").to_string(),
        registered: count(a.registered.max(0) as u64),
        checked_in: count(a.checked_in.max(0) as u64),
        checked_in_share: share(a.checked_in, a.registered),
        in_rooms: count(rooms.present),
        in_rooms_context,
        scans_per_minute: rate(scans.average()),
        scans_context,
        scan_bars: scans.per_minute.iter().map(|n| n * 100 / peak).collect(),
        leads: f.leads.map(|l| LeadsCard {
            total: count(l.mix.total),
            tiered: count(l.mix.tiered()),
            tiers: l
                .mix
                .tiers
                .iter()
                .map(|t| TierLine {
                    tier: t.tier.as_str(),
                    meaning: t.tier.meaning(),
                    leads: count(t.leads),
                    width: format!("{:.1}%", t.percent),
                    percent: format!("{:.0}%", t.percent),
                    empty: t.leads == 0,
                })
                .collect(),
            overdue: count(l.mix.overdue),
            due: count(l.due),
            campaigns: l
                .campaigns
                .iter()
                .map(|c| CampaignLine {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                    paused: c.state == CampaignState::Paused,
                    sent: count(c.sent),
                    waiting: count(c.waiting),
                    not_sent: c.not_sent,
                    percent_done: c.percent_done(),
                })
                .collect(),
        }),
        dates: e.info.dates(),
        time_zone: e.info.time_zone.clone(),
        slug: e.info.slug.to_string(),
        name: e.info.name,
        venue: e.info.venue,
    }
}

/// A count with thousands separated: "100,000".
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as people read it: "0", "0.4", "12", "1,250".
fn rate(per_minute: f64) -> String {
    if per_minute == 0.0 {
        "0".to_owned()
    } else if per_minute < 10.0 {
        format!("{per_minute:.1}")
    } else {
        count(per_minute.round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates_read_naturally() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(2_000_000), "2,000,000");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(0.4), "0.4");
        assert_eq!(rate(12.4), "12");
        assert_eq!(rate(1250.0), "1,250");
    }
}
