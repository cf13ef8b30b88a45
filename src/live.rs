//! The live operations view of an event at one instant: how full each room is, how busy each
//! door is, which doors need a look, and the latest refused scans.
//!
//! Occupancy reads only the accepted scans from `occupancy::window_start` on (the earliest
//! scan that can still place anyone in a room now), door rates only the last
//! `RATE_MINUTES` minutes, refusals only the latest `REFUSALS_SHOWN`: what a poll costs
//! follows the current sessions and the door traffic, not the size of the event's history.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use crate::{
    context::Context,
    domain::{
        door::activity::{self, Attention, QUIET_AFTER, RATE_MINUTES},
        door::occupancy::{self, DoorScan, RoomCapacity, RoomOccupancy},
        door::scan::{Direction, Refusal, ScanRules, SessionSlot},
    },
    store::{KioskRoom, KioskSession, Store, ts},
};

/// How many refused scans the page lists.
pub const REFUSALS_SHOWN: i64 = 20;

/// Everything the live page shows, read at `now`.
#[derive(Debug, Clone)]
pub struct LiveOps {
    pub now: Timestamp,
    /// In programme order.
    pub rooms: Vec<RoomNow>,
    /// Paired, unrevoked doors, in the order they were created.
    pub doors: Vec<DoorNow>,
    /// Newest first.
    pub refusals: Vec<RefusalNow>,
}

/// One room now.
#[derive(Debug, Clone)]
pub struct RoomNow {
    pub name: String,
    pub occupancy: RoomOccupancy,
    /// The title of the session running in the room now.
    pub session: Option<String>,
}

/// One door now.
#[derive(Debug, Clone)]
pub struct DoorNow {
    pub id: i64,
    pub name: String,
    /// The room it is bound to; `None` for a door whose staff choose the room.
    pub room: Option<String>,
    /// Scans per minute over the last `RATE_MINUTES` minutes, oldest first.
    pub per_minute: Vec<u32>,
    pub last_seen: Option<Timestamp>,
    pub app_version: Option<String>,
    pub attention: Attention,
}

/// One refused scan.
#[derive(Debug, Clone)]
pub struct RefusalNow {
    /// When the server got it (a door that was offline sends its refusals late).
    pub received: Timestamp,
    /// When it was scanned, on the server's clock.
    pub scanned: Timestamp,
    pub direction: Direction,
    pub reason: Option<Refusal>,
    pub door: String,
    pub room: Option<String>,
    pub attendee: Option<String>,
}

/// Each room's occupancy at `now`, with the rooms and sessions it was computed from.
#[derive(Debug, Clone)]
pub struct Occupancy {
    /// In programme order.
    pub rooms: Vec<KioskRoom>,
    pub sessions: Vec<KioskSession>,
    /// `sessions` as the door rules see them, in the same order.
    pub slots: Vec<SessionSlot>,
    /// One per room, in the order of `rooms`.
    pub occupancy: Vec<RoomOccupancy>,
}

/// Reads who is in which room of `event_id` at `now`: the rooms, the sessions, and the
/// accepted scans from `occupancy::window_start` on, counted by `occupancy::occupancy`.
pub async fn occupancy(store: &Store, event_id: i64, now: Timestamp) -> anyhow::Result<Occupancy> {
    let (rooms, sessions) = tokio::try_join!(
        store.door().kiosk_rooms(event_id),
        store.door().kiosk_sessions(event_id),
    )?;
    let slots: Vec<SessionSlot> = sessions
        .iter()
        .map(|s| SessionSlot {
            session_id: s.id,
            room_id: s.room_id,
            starts_at: ts(s.starts_at),
            ends_at: ts(s.ends_at),
        })
        .collect();
    let from = occupancy::window_start(&slots, now, &ScanRules::default());
    let accepted: Vec<DoorScan> = store
        .door()
        .live_accepted_scans(event_id, from.as_millisecond(), now.as_millisecond())
        .await?
        .into_iter()
        .filter_map(|s| {
            Some(DoorScan {
                attendee_id: s.attendee_id?,
                room_id: s.room_id?,
                session_id: s.session_id?,
                direction: s.direction,
                at: ts(s.scanned_at),
            })
        })
        .collect();
    let capacities: Vec<RoomCapacity> = rooms
        .iter()
        .map(|r| RoomCapacity {
            room_id: r.id,
            capacity: u32::try_from(r.capacity.max(0)).unwrap_or(u32::MAX),
        })
        .collect();
    let occupancy = occupancy::occupancy(&accepted, &slots, &capacities, now);
    Ok(Occupancy {
        rooms,
        sessions,
        slots,
        occupancy,
    })
}

/// Reads the live view of `event_id` at `now`.
pub async fn read(ctx: &Context, event_id: i64, now: Timestamp) -> anyhow::Result<LiveOps> {
    let store = &ctx.store;
    let rates_from = now - SignedDuration::from_mins(RATE_MINUTES as i64);
    let (
        Occupancy {
            rooms,
            sessions,
            slots,
            occupancy,
        },
        devices,
        door_scans,
        refusals,
    ) = tokio::try_join!(
        occupancy(store, event_id, now),
        async { anyhow::Ok(store.door().list_devices(event_id).await?) },
        async {
            anyhow::Ok(
                store
                    .door()
                    .live_door_scans(event_id, rates_from.as_millisecond(), now.as_millisecond())
                    .await?,
            )
        },
        async { anyhow::Ok(store.door().live_refusals(event_id, REFUSALS_SHOWN).await?) },
    )?;
    let running = |room_id: i64| {
        slots
            .iter()
            .zip(&sessions)
            .find(|(slot, _)| slot.room_id == room_id && slot.is_running(now))
            .map(|(_, s)| s.title.clone())
    };
    let room_name = |id: i64| rooms.iter().find(|r| r.id == id).map(|r| r.name.clone());
    let rooms_now = rooms
        .iter()
        .zip(occupancy)
        .map(|(r, occupancy)| RoomNow {
            name: r.name.clone(),
            session: running(r.id),
            occupancy,
        })
        .collect();

    let mut times: HashMap<i64, Vec<Timestamp>> = HashMap::new();
    for (device_id, at) in door_scans {
        times.entry(device_id).or_default().push(ts(at));
    }
    let doors = devices
        .into_iter()
        .filter(|d| d.paired_at.is_some() && d.revoked_at.is_none())
        .map(|d| {
            let last_seen = d.last_seen_at.map(ts);
            DoorNow {
                per_minute: activity::per_minute(
                    times.remove(&d.id).unwrap_or_default(),
                    now,
                    RATE_MINUTES,
                ),
                attention: activity::attention(last_seen, d.queue_size, now, QUIET_AFTER),
                room: d.room_id.and_then(room_name),
                id: d.id,
                name: d.name,
                last_seen,
                app_version: d.app_version.filter(|v| !v.is_empty()),
            }
        })
        .collect();
    let refusals = refusals
        .into_iter()
        .map(|r| RefusalNow {
            received: ts(r.received_at),
            scanned: ts(r.scanned_at),
            direction: r.direction,
            reason: r.reason,
            door: r.device,
            room: r.room,
            attendee: r.attendee,
        })
        .collect();
    Ok(LiveOps {
        now,
        rooms: rooms_now,
        doors,
        refusals,
    })
}
