//! The staff dashboard's figures of one event at one instant: registered, checked in, in
//! rooms now, scans per minute and, for those who work leads, leads by tier, overdue
//! feedback, campaigns in flight and follow-ups due. Each family is one grouped read
//! (`store/dashboard.rs`, the lead counts, the live page's occupancy), all run at once.

use jiff::{SignedDuration, Timestamp};

use crate::{
    context::Context,
    domain::dashboard::{
        self, CampaignInFlight, InRooms, RATE_WINDOW_MINUTES, ScanRate, TierCount, TierMix,
    },
    live,
    store::{Attendance, StoreError},
};

/// What one event's card shows.
#[derive(Debug, Clone)]
pub struct EventFigures {
    pub attendance: Attendance,
    pub in_rooms: InRooms,
    /// The name of the fullest room, when anyone is in a room with a capacity.
    pub fullest_room: Option<String>,
    pub scans: ScanRate,
    /// Only for those who may see leads and campaigns.
    pub leads: Option<LeadFigures>,
}

/// The lead side of a card.
#[derive(Debug, Clone)]
pub struct LeadFigures {
    pub mix: TierMix,
    /// Sending or paused, oldest first.
    pub campaigns: Vec<CampaignInFlight>,
    /// People of the event on the due list now.
    pub due: u64,
}

/// Reads the figures of `event_id` at `now`; the lead side only `with_leads`.
pub async fn read(
    ctx: &Context,
    event_id: i64,
    now: Timestamp,
    with_leads: bool,
) -> anyhow::Result<EventFigures> {
    let store = &ctx.store;
    let now_ms = now.as_millisecond();
    let window_start = now - SignedDuration::from_mins(i64::from(RATE_WINDOW_MINUTES));
    let (attendance, occupancy, minutes, leads) = tokio::try_join!(
        async { anyhow::Ok(store.dashboard().dashboard_attendance(event_id).await?) },
        live::occupancy(store, event_id, now),
        async {
            anyhow::Ok(
                store
                    .dashboard()
                    .dashboard_scan_minutes(event_id, window_start.as_millisecond(), now_ms)
                    .await?,
            )
        },
        async {
            if !with_leads {
                return anyhow::Ok(None);
            }
            let (counts, campaigns, due) = tokio::try_join!(
                store.leads().event_lead_counts(event_id, now_ms),
                store.dashboard().campaigns_in_flight(event_id),
                store.dashboard().due_follow_up_count(event_id, now_ms),
            )?;
            let counts = counts
                .into_iter()
                .map(|(tier, leads, overdue)| {
                    Ok(TierCount {
                        tier,
                        leads: leads.max(0) as u64,
                        overdue: overdue.max(0) as u64,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            anyhow::Ok(Some(LeadFigures {
                mix: dashboard::tier_mix(&counts),
                campaigns,
                due: due.max(0) as u64,
            }))
        },
    )?;
    let in_rooms = dashboard::in_rooms(&occupancy.occupancy);
    Ok(EventFigures {
        attendance,
        fullest_room: in_rooms
            .fullest
            .and_then(|(i, _)| occupancy.rooms.get(i))
            .map(|r| r.name.clone()),
        in_rooms,
        scans: dashboard::scan_rate(&minutes, RATE_WINDOW_MINUTES),
        leads,
    })
}
