//! Loads what a lead build scores: the programme, every attendee with their trail (rebuilt
//! from accepted scans by `domain::trail`), declared interests and email engagement, and
//! what the data pool knows of the same people from other events.

use std::collections::{BTreeMap, HashMap};

use crate::{
    domain::{
        door::scan::{Direction, SessionSlot},
        leads::build::{AttendeeInput, EventInput, SessionInput, TopicRef},
        leads::elsewhere::Elsewhere,
        trail::{self, TrailScan},
    },
    store::{LeadAttendee, LeadScan, PoolInterests, Store, StoreResult, ts, unpack_scans},
};
use futures_util::{StreamExt, stream};
use tokio::sync::mpsc;

/// Attendees read per query; their scans are read for the same id range.
const PAGE: i64 = 20_000;

/// A page of attendees with their packed scans (`Leads::lead_scans`).
type Page = (Vec<LeadAttendee>, Vec<(i64, String)>);

/// Reads the pages of attendees and scans in a task of its own, two queries in flight, so
/// the database works on the next pages (on both cores while this one waits) while the
/// caller builds this page's trails. Pages arrive in id order.
fn read_pages(store: Store, event_id: i64) -> mpsc::Receiver<StoreResult<Page>> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let starts = match store.leads().lead_page_starts(event_id, PAGE).await {
            Ok(starts) => starts,
            Err(e) => return drop(tx.send(Err(e)).await),
        };
        // Attendees registered after the boundaries were read land in the open last page.
        let ends = starts.iter().skip(1).copied().chain([i64::MAX]);
        let ranges: Vec<(i64, i64)> = starts.iter().copied().zip(ends).collect();
        let mut pages = stream::iter(ranges)
            .map(|(first, end)| {
                let store = store.clone();
                async move {
                    let page = store.leads().lead_attendees(event_id, first, end).await?;
                    let scans = store.leads().lead_scans(first, end - 1).await?;
                    Ok((page, scans))
                }
            })
            .buffered(2);
        while let Some(page) = pages.next().await {
            // A closed channel means the build stopped reading: nothing more to do.
            if tx.send(page).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// Where a build records its progress while reading.
#[derive(Debug, Clone, Copy)]
pub struct BuildRecord {
    pub build_id: i64,
    pub total: i64,
}

/// The event's programme as the scorer indexes it, and what turns stored rows into an
/// attendee's input: the build and the live updates both read attendees through it, so the
/// two see the same trail for the same scans.
#[derive(Debug, Clone)]
pub struct ProgrammeInput {
    pub topics: Vec<TopicRef>,
    pub sessions: Vec<SessionInput>,
    /// Topic id -> index into `topics`.
    pub topic_index: HashMap<i64, usize>,
    /// Session id -> index into `sessions`.
    pub session_index: HashMap<i64, usize>,
    slots: Vec<SessionSlot>,
    room_of: HashMap<i64, i64>,
}

/// Reads the event's topics and sessions with their topic weights.
pub async fn programme(store: &Store, event_id: i64) -> anyhow::Result<ProgrammeInput> {
    let topics = store.leads().lead_topics(event_id).await?;
    let topic_index: HashMap<i64, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, (id, _, _))| (*id, i))
        .collect();
    let rows = store.leads().lead_sessions(event_id).await?;
    let session_index: HashMap<i64, usize> =
        rows.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut sessions: Vec<SessionInput> = rows
        .iter()
        .map(|s| SessionInput {
            external_id: s.external_id.clone(),
            title: s.title.clone(),
            kind: s.kind,
            topics: Vec::new(),
            speakers: serde_json::from_str(&s.speakers).unwrap_or_default(),
            starts_at: ts(s.starts_at),
            ends_at: ts(s.ends_at),
        })
        .collect();
    for (session, topic, weight) in store.leads().lead_session_topics(event_id).await? {
        if let (Some(&s), Some(&t)) = (session_index.get(&session), topic_index.get(&topic)) {
            sessions[s].topics.push((t, weight));
        }
    }
    let slots: Vec<SessionSlot> = rows
        .iter()
        .map(|s| SessionSlot {
            session_id: s.id,
            room_id: s.room_id,
            starts_at: ts(s.starts_at),
            ends_at: ts(s.ends_at),
        })
        .collect();
    let room_of: HashMap<i64, i64> = rows.iter().map(|s| (s.id, s.room_id)).collect();
    Ok(ProgrammeInput {
        topics: topics
            .into_iter()
            .map(|(_, slug, name)| TopicRef { slug, name })
            .collect(),
        sessions,
        topic_index,
        session_index,
        slots,
        room_of,
    })
}

impl ProgrammeInput {
    /// One attendee's input: their trail rebuilt from their accepted scans (`domain::trail`),
    /// the topics they ticked (indexes into `topics`) and their email engagement.
    pub fn attendee(
        &self,
        a: LeadAttendee,
        scans: impl IntoIterator<Item = LeadScan>,
        mut declared: Vec<usize>,
        (opens, clicks): (i64, i64),
    ) -> AttendeeInput {
        let mine: Vec<TrailScan> = scans
            .into_iter()
            .filter_map(|(session, entry, at)| {
                let &room_id = self.room_of.get(&session)?;
                Some(TrailScan {
                    at: ts(at),
                    session_id: session,
                    room_id,
                    direction: if entry {
                        Direction::Entry
                    } else {
                        Direction::Exit
                    },
                })
            })
            .collect();
        let visits = trail::build_trail(&mine, &self.slots)
            .into_iter()
            .filter_map(|v| {
                self.session_index
                    .get(&v.session_id)
                    .map(|&s| (s, v.minutes))
            })
            .collect();
        declared.sort_unstable();
        AttendeeInput {
            id: a.id,
            declared,
            visits,
            email_opens: u32::try_from(opens).unwrap_or(u32::MAX),
            email_clicks: u32::try_from(clicks).unwrap_or(u32::MAX),
            email: a.email,
            name: a.name,
            answers: a.answers,
        }
    }

    /// The event input for these attendees.
    pub fn event_input(&self, attendees: Vec<AttendeeInput>) -> EventInput {
        EventInput {
            topics: self.topics.clone(),
            sessions: self.sessions.clone(),
            attendees,
        }
    }
}

/// Reads the event's inputs; `progress(done)` after each page of attendees, which is also
/// recorded with the build (its heartbeat) when there is one.
pub async fn load(
    store: &Store,
    event_id: i64,
    record: Option<BuildRecord>,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> anyhow::Result<EventInput> {
    let programme = programme(store, event_id).await?;
    let mut declared: HashMap<i64, Vec<usize>> = HashMap::new();
    for (attendee, topic) in store.leads().lead_declared_interests(event_id).await? {
        if let Some(&t) = programme.topic_index.get(&topic) {
            declared.entry(attendee).or_default().push(t);
        }
    }
    let engagement: HashMap<i64, (i64, i64)> = store
        .leads()
        .lead_email_engagement(event_id)
        .await?
        .into_iter()
        .map(|(a, opens, clicks)| (a, (opens, clicks)))
        .collect();

    let mut attendees = Vec::new();
    let mut pages = read_pages(store.clone(), event_id);
    while let Some(page) = pages.recv().await {
        let (page, scans) = page?;
        let mut scans = scans.into_iter().peekable();
        for a in page {
            let mut mine = Vec::new();
            while let Some((attendee, packed)) = scans.next_if(|(attendee, _)| *attendee <= a.id) {
                if attendee == a.id {
                    mine.extend(unpack_scans(&packed));
                }
            }
            let interests = declared.remove(&a.id).unwrap_or_default();
            let engaged = engagement.get(&a.id).copied().unwrap_or_default();
            attendees.push(programme.attendee(a, mine, interests, engaged));
        }
        progress(attendees.len());
        if let Some(r) = record {
            store
                .leads()
                .lead_build_progress(
                    r.build_id,
                    r.total,
                    attendees.len() as i64,
                    jiff::Timestamp::now(),
                )
                .await?;
        }
    }
    Ok(programme.event_input(attendees))
}

/// What other events' builds found (`Leads::pool_interests`), by person, for the attendees
/// of `input`: one entry per pool person, its interests at every other event together.
pub fn elsewhere(found: PoolInterests, input: &EventInput) -> Elsewhere {
    let index: HashMap<i64, usize> = input
        .attendees
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect();
    let mut here: HashMap<usize, Vec<String>> = HashMap::new();
    let mut others: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for p in found.interests {
        let slugs = p
            .genuine
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        match p.here.and_then(|id| index.get(&id)) {
            Some(&i) => here.entry(i).or_default().extend(slugs),
            None => others.entry(p.person_id).or_default().extend(slugs),
        }
    }
    Elsewhere {
        topics: found.topics,
        here,
        others: others.into_values().collect(),
        events: u64::try_from(found.events).unwrap_or(0),
    }
}
