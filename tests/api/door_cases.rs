//! One table of door cases (golden/door_cases.json) decided by the server's rules and by the
//! kiosk's in headless Chromium: each case must get the table's verdict from both.

use std::collections::{BTreeMap, HashMap};

use badgetrail::{
    domain::{
        badge::{self, BadgeClaims, EventKeySet},
        door::scan::{self, Decision, Direction, ScanFacts, SessionSlot},
        door::scan_group,
    },
    door,
};
use data_encoding::{BASE32_NOPAD, BASE64_NOPAD};
use fantoccini::Locator;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::support::{
    app::{Db, spawn_app},
    browser::browser,
    door::new_device,
};

const TABLE: &str = include_str!("golden/door_cases.json");

#[derive(Deserialize)]
struct Table {
    event_id: u32,
    keys: Vec<KeyDef>,
    revocations: Vec<(i64, i64)>,
    rooms: Vec<RoomDef>,
    sessions: Vec<SessionDef>,
    badges: BTreeMap<String, BadgeDef>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct KeyDef {
    key_id: u16,
    seed: u8,
}

#[derive(Deserialize)]
struct RoomDef {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct SessionDef {
    id: i64,
    room: String,
    starts_at: Timestamp,
    ends_at: Timestamp,
}

/// A badge as the table describes it; `token` makes its text.
#[derive(Deserialize)]
struct BadgeDef {
    /// Literal text instead of a signed token.
    text: Option<String>,
    #[serde(default)]
    attendee: u32,
    #[serde(default = "first")]
    serial: u16,
    #[serde(default = "first")]
    key: u16,
    /// Signs with this seed instead of the event key's.
    seed: Option<u8>,
    event_id: Option<u32>,
    /// Another token version byte.
    version: Option<u8>,
    /// One character of the signature changed.
    #[serde(default)]
    forge: bool,
    /// `lowercase_padded` or `unicode_lowercase`: the same token read differently.
    variant: Option<String>,
}

fn first() -> u16 {
    1
}

#[derive(Deserialize, Serialize, Clone)]
struct ScanDef {
    badge: String,
    room: String,
    at: Timestamp,
    #[serde(default = "entry")]
    direction: Direction,
}

fn entry() -> Direction {
    Direction::Entry
}

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(flatten)]
    scan: ScanDef,
    bound_room: Option<String>,
    #[serde(default)]
    earlier: Vec<ScanDef>,
    expect: Verdict,
}

/// A verdict as both sides report it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
struct Verdict {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    session: Option<i64>,
}

impl From<Decision> for Verdict {
    fn from(d: Decision) -> Verdict {
        Verdict {
            decision: d.as_str().to_owned(),
            reason: match d {
                Decision::Refused(r) => Some(r.as_str().to_owned()),
                _ => None,
            },
            session: d.session_id(),
        }
    }
}

fn table() -> Table {
    serde_json::from_str(TABLE).expect("golden/door_cases.json reads")
}

fn signing_key(seed: u8) -> ed25519_dalek::SigningKey {
    badge::signing_key_from_seed([seed; 32])
}

/// The text a scanner reads off the described badge.
fn token(t: &Table, b: &BadgeDef) -> String {
    if let Some(text) = &b.text {
        return text.clone();
    }
    let seed = b
        .seed
        .or_else(|| t.keys.iter().find(|k| k.key_id == b.key).map(|k| k.seed))
        .expect("a seed for the badge's key");
    let claims = BadgeClaims {
        event_id: b.event_id.unwrap_or(t.event_id),
        key_id: b.key,
        attendee_id: b.attendee,
        serial: b.serial,
    };
    let mut text = badge::sign(&claims, &signing_key(seed));
    if let Some(v) = b.version {
        let mut bytes = BASE32_NOPAD.decode(text.as_bytes()).unwrap();
        bytes[0] = v;
        text = BASE32_NOPAD.encode(&bytes);
    }
    if b.forge {
        let mut chars: Vec<char> = text.chars().collect();
        chars[100] = if chars[100] == 'A' { 'B' } else { 'A' };
        text = chars.into_iter().collect();
    }
    match b.variant.as_deref() {
        None => text,
        Some("lowercase_padded") => format!(" {}\t", text.to_ascii_lowercase()),
        // Letters whose Unicode upper case is an ASCII letter: a dotless i, a long s.
        Some("unicode_lowercase") => {
            let lower = text.to_ascii_lowercase();
            if lower.contains('i') {
                lower.replace('i', "\u{131}")
            } else {
                assert!(lower.contains('s'), "the token has an I or an S");
                lower.replace('s', "\u{17f}")
            }
        }
        Some(other) => panic!("unknown badge variant {other}"),
    }
}

fn tokens(t: &Table) -> HashMap<String, String> {
    t.badges
        .iter()
        .map(|(name, b)| (name.clone(), token(t, b)))
        .collect()
}

/// Every case decided by the server's rules: the badge check and `decide_group` over the
/// device's earlier scans and the case, as `door::write` decides a batch.
fn server_verdicts(t: &Table) -> Vec<Verdict> {
    let tokens = tokens(t);
    let keys = EventKeySet {
        event_id: t.event_id,
        keys: t
            .keys
            .iter()
            .map(|k| (k.key_id, signing_key(k.seed).verifying_key()))
            .collect(),
    };
    let serials: HashMap<i64, i64> = t.revocations.iter().copied().collect();
    let room_id = |name: &str| t.rooms.iter().find(|r| r.name == name).map(|r| r.id);
    let slots: Vec<SessionSlot> = t
        .sessions
        .iter()
        .map(|s| SessionSlot {
            session_id: s.id,
            room_id: room_id(&s.room).expect("a session in a listed room"),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    let rules = door::rules();
    t.cases
        .iter()
        .map(|case| {
            let bound = case.bound_room.as_deref().map(|r| room_id(r).unwrap());
            let facts: Vec<ScanFacts> = case
                .earlier
                .iter()
                .chain([&case.scan])
                .map(|s| ScanFacts {
                    badge: scan::check_badge(badge::verify(&tokens[&s.badge], &keys), |a| {
                        serials.get(&a).copied().unwrap_or(1)
                    }),
                    room_id: bound.or_else(|| room_id(&s.room)),
                    at: s.at,
                    direction: s.direction,
                    slots: &slots,
                    previous_accepted: None,
                })
                .collect();
            let decisions = scan_group::decide_group(&facts, &[], &rules);
            (*decisions.last().unwrap()).into()
        })
        .collect()
}

/// The device state a kiosk keeps (`GET /api/v1/devices/self`) for the table's event.
fn device_state(t: &Table) -> Value {
    let rules = door::rules();
    json!({
        "device_id": 1,
        "event_id": t.event_id,
        "event_slug": "door-cases",
        "event_name": "Door cases",
        "time_zone": "UTC",
        "room": null,
        "room_id": null,
        "public_keys": t.keys.iter().map(|k| json!({
            "key_id": k.key_id,
            "public_key": BASE64_NOPAD.encode(signing_key(k.seed).verifying_key().as_bytes()),
        })).collect::<Vec<_>>(),
        "revocations": t.revocations,
        "rooms": t.rooms.iter().map(|r| json!({ "id": r.id, "name": r.name, "capacity": 100 }))
            .collect::<Vec<_>>(),
        "sessions": t.sessions.iter().map(|s| json!({
            "id": s.id,
            "room_id": t.rooms.iter().find(|r| r.name == s.room).unwrap().id,
            "key": format!("S{}", s.id),
            "title": format!("Session {}", s.id),
            "room": s.room,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
        })).collect::<Vec<_>>(),
        "rules": {
            "grace_before_start_secs": rules.grace_before_start.as_secs(),
            "grace_after_end_secs": rules.grace_after_end.as_secs(),
            "duplicate_window_secs": rules.duplicate_window.as_secs(),
        },
        "refreshed_at": "2026-05-12T07:00:00Z",
    })
}

/// Runs every case through the kiosk's `decideOnDevice` (kiosk/door.js) in the page, each
/// case on a device with no earlier scans but its own.
const KIOSK_DECIDES: &str = "const [base, cases] = arguments; \
    return (async () => { const out = []; \
      const { DoorHistory, decideOnDevice } = await import('/kiosk/door.js'); \
      for (const c of cases) { \
        const device = { ...base }; \
        if (c.bound_room) { device.room = c.bound_room; \
          device.room_id = base.rooms.find((r) => r.name === c.bound_room).id; } \
        const history = new DoorHistory([]); let v = null; \
        for (const [i, s] of c.scans.entries()) { \
          v = await decideOnDevice(device, { nonce: 'n' + i, badge: s.badge, room: s.room, \
            at: Date.parse(s.at), direction: s.direction }, history); } \
        out.push({ decision: v.decision, reason: v.reason ?? null, session: v.session_id ?? null }); \
      } return out; })();";

fn report(t: &Table, got: &[Verdict], who: &str) -> Vec<String> {
    t.cases
        .iter()
        .zip(got)
        .filter(|(c, g)| c.expect != **g)
        .map(|(c, g)| format!("{who}: {}: expected {:?}, got {:?}", c.name, c.expect, g))
        .collect()
}

#[test]
fn the_server_rules_give_every_door_case_its_verdict() {
    let t = table();
    let got = server_verdicts(&t);
    let wrong = report(&t, &got, "server");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_gives_every_door_case_the_server_verdict() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let t = table();
    let server = server_verdicts(&t);
    let tokens = tokens(&t);
    let cases: Vec<Value> = t
        .cases
        .iter()
        .map(|c| {
            let scans: Vec<Value> = c
                .earlier
                .iter()
                .chain([&c.scan])
                .map(|s| {
                    json!({ "badge": tokens[&s.badge], "room": s.room, "at": s.at,
                            "direction": s.direction })
                })
                .collect();
            json!({ "bound_room": c.bound_room, "scans": scans })
        })
        .collect();
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    c.goto(&app.url("/kiosk")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#pairing:not([hidden])"))
        .await
        .unwrap();
    let out = c
        .execute(KIOSK_DECIDES, vec![device_state(&t), json!(cases)])
        .await
        .unwrap();
    let kiosk: Vec<Verdict> = serde_json::from_value(out).unwrap();
    assert_eq!(kiosk.len(), t.cases.len());
    let mut wrong = report(&t, &kiosk, "kiosk");
    wrong.extend(
        t.cases
            .iter()
            .zip(server.iter().zip(&kiosk))
            .filter(|(_, (s, k))| s != k)
            .map(|(c, (s, k))| format!("{}: server {s:?}, kiosk {k:?}", c.name)),
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_gets_the_rules_and_room_ids_its_server_decides_with() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let d = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let paired: Value = app
        .post_json("/api/v1/devices/pair", &json!({ "code": d.pairing_code }))
        .await
        .json()
        .await
        .unwrap();
    let s: Value = app
        .get_as(paired["token"].as_str().unwrap(), "/api/v1/devices/self")
        .await
        .json()
        .await
        .unwrap();
    let rules = door::rules();
    assert_eq!(
        s["rules"],
        json!({
            "grace_before_start_secs": rules.grace_before_start.as_secs(),
            "grace_after_end_secs": rules.grace_after_end.as_secs(),
            "duplicate_window_secs": rules.duplicate_window.as_secs(),
        })
    );
    let rooms: HashMap<&str, i64> = s["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(s["room_id"], rooms["Main Hall"]);
    for session in s["sessions"].as_array().unwrap() {
        assert_eq!(
            session["room_id"],
            rooms[session["room"].as_str().unwrap()],
            "{session}"
        );
    }
}
