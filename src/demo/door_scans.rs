//! Plays a simulated door day (`door_day`) through the real door flow: one paired kiosk per
//! room, scans sent in batches and decided like any kiosk's (duplicates included).

use std::collections::HashMap;

use anyhow::Context as _;
use jiff::Timestamp;

use super::door_day::{self, Behaviour, DoorDay, Walker};
use crate::{
    context::Context,
    domain::programme::Programme,
    door::{self, Paired, ReportedScan, ScanBatch},
    store::EventRecord,
};

/// What the doors decided.
#[derive(Debug, Clone, Default)]
pub struct DoorReport {
    pub scans: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub no_shows: usize,
    /// Each attendee's true main topic.
    pub truth: HashMap<i64, String>,
}

const BATCH: usize = 200;

/// Simulates the day for the attendees whose badge tokens are given (attendee id -> token,
/// declared topics) and stores every scan through `door::ingest`.
pub async fn play(
    ctx: &Context,
    event: &EventRecord,
    programme: &Programme,
    attendees: &[(i64, String, Vec<String>)],
    seed: u64,
) -> anyhow::Result<DoorReport> {
    let walkers: Vec<Walker> = attendees
        .iter()
        .map(|(id, _, declared)| Walker {
            attendee_id: *id,
            declared: declared.clone(),
        })
        .collect();
    let tokens: HashMap<i64, &str> = attendees
        .iter()
        .map(|(id, t, _)| (*id, t.as_str()))
        .collect();
    let day: DoorDay = door_day::simulate(programme, &walkers, seed, &Behaviour::default());
    let now = Timestamp::now();
    let mut devices: HashMap<String, Paired> = HashMap::new();
    for room in &programme.rooms {
        let created = door::create_device(
            ctx,
            event,
            Some(&room.name),
            &format!("Door: {}", room.name),
            now,
        )
        .await?;
        let paired = door::pair(ctx, &created.pairing_code, now)
            .await?
            .context("a fresh pairing code was refused")?;
        devices.insert(room.name.clone(), paired);
    }
    let mut report = DoorReport {
        no_shows: day.no_shows,
        ..DoorReport::default()
    };
    let mut by_room: HashMap<&str, Vec<ReportedScan>> = HashMap::new();
    for (i, s) in day.scans.iter().enumerate() {
        let Some(token) = tokens.get(&s.attendee_id) else {
            continue;
        };
        by_room
            .entry(s.room.as_str())
            .or_default()
            .push(ReportedScan {
                nonce: format!("sim-{seed}-{i}"),
                badge: (*token).to_owned(),
                device_time: s.at,
                direction: s.direction,
                room: None,
            });
    }
    for (room, scans) in by_room {
        let device = devices
            .get(room)
            .context("a scan in a room without a door")?;
        for chunk in scans.chunks(BATCH) {
            let now = Timestamp::now();
            let batch = ScanBatch {
                sent_at: now,
                app_version: "door-simulation".into(),
                queue_size: 0,
                scans: chunk.to_vec(),
            };
            for v in door::ingest_paired(ctx, device, &batch, now).await? {
                report.scans += 1;
                match v.decision.as_str() {
                    "accepted" => report.accepted += 1,
                    "duplicate" => report.duplicates += 1,
                    _ => report.refused += 1,
                }
            }
        }
    }
    report.truth = day.truth;
    Ok(report)
}
