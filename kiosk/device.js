// Module device: the paired device. Pairing with a code, the refresh of its state (its event's
// keys, revocations, rooms, sessions, door rules and refusal messages, `GET
// /api/v1/devices/self`), its bearer token, its clock offset, and forgetting it when the server
// no longer knows it. Owns the device state (kept on the device by store.js); no DOM access.

import { forgetKeys } from "./badge.js";
import { forgetDevice, loadDevice, saveDevice, saveLastRefresh } from "./store.js";

const REVOKED_DEVICE = "This kiosk was revoked — pair it again";
const UNPAIRED_DEVICE = "This kiosk is no longer paired — pair it again";

/// The server no longer takes this device's token (401, 403): the device is forgotten.
export class DeviceGone extends Error {}

let device = null;
/// Told, with the words to show, when the server no longer takes this device's token.
/** @type {(message: string) => void} */
let onLost = () => {};

/// Loads the device kept on this browser; `lost(message)` is called when the server no
/// longer takes its token.
export function init(lost) {
  onLost = lost;
  device = loadDevice();
  return device;
}

/// The paired device's state, or null when not paired.
export function current() {
  return device;
}

export function authHeaders() {
  return { Authorization: `Bearer ${device.token}` };
}

/// Answers 401/403 mean this kiosk's token no longer works: tells the kiosk and throws.
export function checkAnswer(res) {
  if (res.status === 403 || res.status === 401) {
    onLost(res.status === 403 ? REVOKED_DEVICE : UNPAIRED_DEVICE);
    throw new DeviceGone();
  }
}

/// Pairs with a code (`POST /api/v1/devices/pair`): null once paired, else the words to show.
/// Throws when the server cannot be reached.
export async function pair(code) {
  const res = await fetch("/api/v1/devices/pair", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code }),
    cache: "no-store",
  });
  if (res.status === 404) return "Unknown or expired pairing code";
  if (!res.ok) return `Pairing failed (${res.status})`;
  const p = await res.json();
  device = {
    token: p.token,
    device_id: p.device_id,
    event_id: p.event_id,
    event_slug: p.event_slug,
    event_name: p.event_name,
    room: p.room || null,
    public_keys: p.public_keys || [],
    revocations: p.revocations || [],
    rooms: [],
    sessions: [],
    refusal_messages: p.refusal_messages || {},
    duplicate_message: p.duplicate_message || "",
    paired_at: new Date().toISOString(),
  };
  saveDevice(device);
  return null;
}

/// Fetches this device's state and its event's keys, revocations, rooms, sessions, rules and
/// refusal messages (`GET /api/v1/devices/self`) and keeps them, so later offline decisions
/// use them. True when the state was refreshed.
export async function refresh() {
  if (!device) return false;
  let res;
  const sentAt = Date.now();
  try {
    res = await fetch("/api/v1/devices/self", { headers: authHeaders(), cache: "no-store" });
  } catch {
    return false;
  }
  const answeredAt = Date.now();
  try {
    checkAnswer(res);
  } catch {
    return false;
  }
  if (!res.ok) return false;
  const s = await res.json();
  if (!device || s.device_id !== device.device_id) return false;
  device = {
    ...device,
    event_id: s.event_id,
    event_slug: s.event_slug,
    event_name: s.event_name,
    time_zone: s.time_zone,
    clock: s.clock || "24h",
    room: s.room || null,
    room_id: s.room_id === undefined ? null : s.room_id,
    public_keys: s.public_keys || [],
    revocations: s.revocations || [],
    rooms: s.rooms || [],
    sessions: s.sessions || [],
    rules: s.rules || null,
    refusal_messages: s.refusal_messages || device.refusal_messages || {},
    duplicate_message: s.duplicate_message || device.duplicate_message || "",
    // The server puts a scan on its own clock (the skew measured at sync); deciding on the
    // device at the same corrected time keeps a wrong device clock from changing the verdict.
    clock_offset_ms: clockOffset(s.server_time, sentAt, answeredAt),
    refreshed_at: new Date().toISOString(),
  };
  saveDevice(device);
  forgetKeys();
  saveLastRefresh(device.refreshed_at);
  return true;
}

/// Server clock minus device clock, taking the server's time as read halfway through the
/// request; 0 when the server did not say.
function clockOffset(serverTime, sentAt, answeredAt) {
  const server = Date.parse(serverTime);
  return Number.isFinite(server) ? Math.round(server - (sentAt + answeredAt) / 2) : 0;
}

/// The device clock corrected by the offset measured at the last refresh.
export function serverNow(at) {
  return at + ((device && device.clock_offset_ms) || 0);
}

/// Forgets the device here (its queued scans stay, to be sent after the next pairing).
export function forget() {
  forgetDevice();
  device = null;
  forgetKeys();
}
