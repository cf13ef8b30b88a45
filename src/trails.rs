//! Trails: each attendee's session visits, built from their accepted scans, for pages,
//! the API and CSV export.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::{
    context::Context,
    domain::{
        dashboard::Decision,
        door::scan::SessionSlot,
        trail::{self, EntryFrom, ExitFrom, TrailScan, Visit},
    },
    store::{AttendeeSummary, EventRecord, ScanRow, ts},
};

/// One visit with the names people read.
#[derive(Debug, Clone, Serialize)]
pub struct VisitView {
    pub session_id: String,
    pub title: String,
    pub room: String,
    pub entered_at: Timestamp,
    pub left_at: Timestamp,
    pub minutes: u32,
    pub entry: EntryFrom,
    pub exit: ExitFrom,
}

/// What a trail needs to know about the programme, loaded once per event.
pub struct ProgrammeIndex {
    slots: Vec<SessionSlot>,
    names: HashMap<i64, (String, String, String)>,
}

impl ProgrammeIndex {
    pub async fn load(ctx: &Context, event_id: i64) -> anyhow::Result<ProgrammeIndex> {
        let slots = crate::door::session_slots(ctx, event_id).await?;
        let names = ctx
            .store
            .door()
            .event_session_names(event_id)
            .await?
            .into_iter()
            .map(|(id, ext, title, room)| (id, (ext, title, room)))
            .collect();
        Ok(ProgrammeIndex { slots, names })
    }

    /// The visits that stored scans add up to.
    pub fn trail(&self, scans: &[ScanRow]) -> Vec<VisitView> {
        let scans: Vec<TrailScan> = scans
            .iter()
            .filter_map(|s| {
                Some(TrailScan {
                    at: ts(s.scanned_at),
                    session_id: s.session_id?,
                    room_id: s.room_id?,
                    direction: s.direction,
                })
            })
            .collect();
        trail::build_trail(&scans, &self.slots)
            .into_iter()
            .map(|v| self.view(v))
            .collect()
    }

    fn view(&self, v: Visit) -> VisitView {
        let (session_id, title, room) = self.names.get(&v.session_id).cloned().unwrap_or_default();
        VisitView {
            session_id,
            title,
            room,
            entered_at: v.entered_at,
            left_at: v.left_at,
            minutes: v.minutes,
            entry: v.entry,
            exit: v.exit,
        }
    }
}

/// One attendee's trail.
pub async fn attendee_trail(
    ctx: &Context,
    event_id: i64,
    attendee_id: i64,
) -> anyhow::Result<Vec<VisitView>> {
    let index = ProgrammeIndex::load(ctx, event_id).await?;
    let scans = ctx
        .store
        .door()
        .attendee_accepted_scans(attendee_id)
        .await?;
    Ok(index.trail(&scans))
}

/// Every attendee's trail as CSV, one row per visit. Text cells that a spreadsheet would
/// read as a formula are prefixed with `'`.
pub async fn event_trails_csv(ctx: &Context, event: &EventRecord) -> anyhow::Result<String> {
    let index = ProgrammeIndex::load(ctx, event.id).await?;
    let mut by_attendee: HashMap<i64, Vec<ScanRow>> = HashMap::new();
    for s in ctx.store.door().event_scans(event.id).await? {
        if let (Some(a), Decision::Accepted) = (s.attendee_id, s.decision) {
            by_attendee.entry(a).or_default().push(s);
        }
    }
    let (people, _) = ctx
        .store
        .attendees()
        .list_attendees(event.id, "", i64::MAX, 0)
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "email",
        "name",
        "session_id",
        "title",
        "room",
        "entered_at",
        "left_at",
        "minutes",
        "entry",
        "exit",
    ])?;
    for AttendeeSummary {
        id, email, name, ..
    } in &people
    {
        let Some(scans) = by_attendee.get(id) else {
            continue;
        };
        for v in index.trail(scans) {
            out.write_record([
                safe_cell(email),
                safe_cell(name),
                safe_cell(&v.session_id),
                safe_cell(&v.title),
                safe_cell(&v.room),
                v.entered_at.to_string(),
                v.left_at.to_string(),
                v.minutes.to_string(),
                serde_json::to_value(v.entry)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                serde_json::to_value(v.exit)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ])?;
        }
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

/// Neutralises spreadsheet formulas (OWASP CSV injection advice).
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
