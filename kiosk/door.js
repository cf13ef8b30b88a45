// Module door: the door rules on the device, the server's rules (src/domain/scan.rs,
// scan_group.rs) in JavaScript, so a verdict made offline is the verdict the server gives the
// same scan. tests/api/door_cases.rs runs one table of cases through both and compares them.

import { verifyLocally } from "./badge.js";

/// The server's rules, for a device state saved before the server sent them.
const DEFAULT_DOOR_RULES = {
  grace_before_start_secs: 15 * 60,
  grace_after_end_secs: 10 * 60,
  duplicate_window_secs: 10 * 60,
};

/// The rules in milliseconds.
function doorRules(device) {
  const r = (device && device.rules) || DEFAULT_DOOR_RULES;
  return {
    graceBefore: r.grace_before_start_secs * 1000,
    graceAfter: r.grace_after_end_secs * 1000,
    duplicateWindow: r.duplicate_window_secs * 1000,
  };
}

/// The room id of a scan: the device's own room, else the room chosen by name; null for a
/// name the event does not have (the server refuses it as `unknown_room`).
function doorRoomId(device, roomName) {
  const rooms = device.rooms || [];
  const byName = (name) => {
    const r = rooms.find((x) => x.name === name);
    return r ? r.id : null;
  };
  if (device.room_id !== undefined && device.room_id !== null) return device.room_id;
  if (device.room) return byName(device.room);
  return byName(roomName);
}

/// The event's sessions as the door sees them, times in milliseconds.
function doorSlots(device) {
  if (device.slotCache && device.slotCache.from === device.sessions) return device.slotCache.slots;
  const rooms = new Map((device.rooms || []).map((r) => [r.name, r.id]));
  const slots = (device.sessions || []).map((s) => ({
    id: s.id,
    room_id: s.room_id !== undefined ? s.room_id : rooms.get(s.room),
    starts_at: Date.parse(s.starts_at),
    ends_at: Date.parse(s.ends_at),
  }));
  Object.defineProperty(device, "slotCache", {
    value: { from: device.sessions, slots },
    enumerable: false,
    configurable: true,
  });
  return slots;
}

/// `resolve_session`: among the room's sessions whose `[start - grace, end + grace]` holds
/// `at` (edges included), the one running at `at`, else the nearest start, then the later
/// start, then the lower id.
function resolveSession(slots, roomId, at, rules) {
  let best = null;
  let bestKey = null;
  for (const s of slots) {
    if (s.room_id !== roomId) continue;
    if (!(s.starts_at - rules.graceBefore <= at && at <= s.ends_at + rules.graceAfter)) continue;
    const key = [s.starts_at <= at && at < s.ends_at ? 1 : 0, -Math.abs(at - s.starts_at), s.starts_at, -s.id];
    if (best === null || compareKeys(key, bestKey) > 0) {
      best = s;
      bestKey = key;
    }
  }
  return best;
}

function compareKeys(a, b) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/// `decide`: the badge, then the room, then the session, then a double scan
/// (`|at - previous| < duplicate window`). `badge` is `{attendee_id}` or `{refusal}`.
function decideDoor(facts, rules) {
  if (facts.badge.refusal) return { decision: "refused", reason: facts.badge.refusal };
  if (facts.roomId === null || facts.roomId === undefined) {
    return { decision: "refused", reason: "unknown_room" };
  }
  const slot = resolveSession(facts.slots, facts.roomId, facts.at, rules);
  if (!slot) return { decision: "refused", reason: "outside_session" };
  const doubled =
    facts.previous !== null &&
    facts.previous !== undefined &&
    Math.abs(facts.at - facts.previous) < rules.duplicateWindow;
  return { decision: doubled ? "duplicate" : "accepted", session_id: slot.id };
}

/// The scans this device accepted, for finding double scans offline as `decide_group` does:
/// `{nonce, attendee_id, session_id, direction, at}`.
export class DoorHistory {
  constructor(entries) {
    this.entries = entries || [];
  }

  /// The accepted scan nearest in time with the same attendee, session and direction.
  nearest(attendeeId, sessionId, direction, at) {
    let best = null;
    for (const e of this.entries) {
      if (e.attendee_id !== attendeeId || e.session_id !== sessionId || e.direction !== direction) {
        continue;
      }
      if (best === null || Math.abs(at - e.at) < Math.abs(at - best)) best = e.at;
    }
    return best;
  }

  add(entry) {
    this.entries.push(entry);
  }

  /// The server had the last word on a scan: only scans it accepted count as earlier ones.
  settle(nonce, decision, sessionId) {
    const i = this.entries.findIndex((e) => e.nonce === nonce);
    if (i < 0) return false;
    if (decision !== "accepted") {
      this.entries.splice(i, 1);
    } else if (typeof sessionId === "number") {
      this.entries[i].session_id = sessionId;
    }
    return true;
  }

  /// Drops what can no longer be a double of a new scan, which is made at `now`: a scan is a
  /// double only within the duplicate window (minutes), so an hour back is plenty and keeps
  /// saving the list after each scan cheap.
  prune(now) {
    const horizon = now - 3600 * 1000;
    this.entries = this.entries.filter((e) => e.at >= horizon).slice(-5000);
  }
}

/// The device's verdict on one scan (`{badge, room, at, direction, nonce}`, `at` in
/// milliseconds), as the server would decide it after this device's earlier scans:
/// `{decision, reason, session_id}`. Decision `unknown` when the badge cannot be checked in
/// this browser or the device has not yet fetched its event's sessions.
export async function decideOnDevice(device, scan, history) {
  const checked = await verifyLocally(device, scan.badge);
  if (checked.decision === "unknown") return { decision: "unknown" };
  const badge =
    checked.decision === "refused" ? { refusal: checked.reason } : { attendee_id: checked.attendee_id };
  if (!badge.refusal && !device.refreshed_at) return { decision: "unknown" };
  const rules = doorRules(device);
  const facts = {
    badge,
    roomId: doorRoomId(device, scan.room),
    at: scan.at,
    slots: doorSlots(device),
    previous: null,
  };
  const first = decideDoor(facts, rules);
  if (first.decision === "refused") return first;
  facts.previous = history.nearest(badge.attendee_id, first.session_id, scan.direction, scan.at);
  const verdict = decideDoor(facts, rules);
  if (verdict.decision === "accepted") {
    history.add({
      nonce: scan.nonce,
      attendee_id: badge.attendee_id,
      session_id: verdict.session_id,
      direction: scan.direction,
      at: scan.at,
    });
  }
  return verdict;
}
