// The badgetrail door kiosk: pairing, scanning with a keyboard-wedge scanner or the camera,
// decisions on the device by the server's rules (store.js, badge.js, door.js), and an
// offline-first queue synced to the server in batches, with the scans it refuses to read set
// aside.
"use strict";

const APP_VERSION = "0.3.0";
const BATCH_SIZE = 50;
const SYNC_INTERVAL_MS = 5000;
/// How often a kiosk online fetches its event's keys, revocations, rooms and sessions.
const REFRESH_INTERVAL_MS = 60000;
const MAX_BACKOFF_MS = 60000;
/// While the server cannot be reached, try again at least this often.
const MAX_UNREACHABLE_BACKOFF_MS = 8000;
/// Longer input cannot be a badge (124 characters); it is cut so a batch stays small.
const MAX_BADGE_CHARS = 512;
/// Answers that mean the server will never read this batch as it is: split it to find why.
const UNREADABLE = new Set([400, 413, 422]);

const MESSAGES = {
  malformed: "Badge not recognised",
  forged: "Forged badge",
  wrong_event: "Badge is for another event",
  revoked: "Badge was replaced — use the newest one",
  unknown_room: "Unknown room",
  outside_session: "No session here now",
};

const NO_ROOM = "Choose the room of this door first";

const REVOKED_DEVICE = "This kiosk was revoked — pair it again";
const UNPAIRED_DEVICE = "This kiosk is no longer paired — pair it again";

const $ = (id) => document.getElementById(id);

let device = null;
let direction = localStorage.getItem(STORAGE.direction) === "exit" ? "exit" : "entry";
/// The nonce of the scan on screen; a server verdict for an older scan is not shown.
let latestNonce = null;
/// Whether the verdict on screen came from the server (a local one never replaces it).
let latestFromServer = false;
/// The scans this device accepted, for finding double scans while offline.
const doorHistory = new DoorHistory(loadHistory());

// ---------------------------------------------------------------------------------------
// Latency from the input (Enter key, camera frame) to the result on screen, for the
// diagnostics and benchmarks: `window.kiosk.latencies`.

const latencies = [];
const timings = new Map();

function recordShown(nonce, source) {
  const t = timings.get(nonce);
  if (!t) return;
  const now = performance.now();
  if (source === "local" && t.localMs === undefined) {
    t.localMs = now - t.startedAt;
    const entry = {
      nonce,
      input: t.input,
      online: t.online,
      shownMs: t.localMs,
      capturedAt: t.capturedAt,
      shownAt: now,
    };
    latencies.push(entry);
    if (latencies.length > 5000) latencies.shift();
    // The panel is on screen once the next frame is drawn.
    requestAnimationFrame(() => setTimeout(() => (entry.paintedMs = performance.now() - t.startedAt), 0));
  } else if (source === "server" && t.serverMs === undefined) {
    t.serverMs = now - t.startedAt;
    const entry = latencies.find((l) => l.nonce === nonce);
    if (entry) entry.serverMs = t.serverMs;
    timings.delete(nonce);
  }
  if (timings.size > 1000) timings.delete(timings.keys().next().value);
}

// ---------------------------------------------------------------------------------------
// Screens.

function showPairing(message) {
  KioskCamera.stop();
  $("scanning").hidden = true;
  $("pairing").hidden = false;
  $("pair-message").textContent = message || "";
  $("pair-submit").disabled = false;
  $("pair-code").focus();
}

function showScanning() {
  $("pairing").hidden = true;
  $("scanning").hidden = false;
  renderDevice();
  renderDirection();
  showResult("idle", "Ready", "Scan a badge", null, "local");
  refreshStatus();
  focusWedge();
}

/// Event, room (bound, or a choice from the event's rooms) and the session running now.
function renderDevice() {
  if (!device) return;
  $("event-name").textContent = device.event_name;
  if (device.room) {
    $("room-name").textContent = device.room;
    $("room-picker").hidden = true;
  } else {
    $("room-name").textContent = "";
    $("room-picker").hidden = false;
    const select = $("room-select");
    const saved = localStorage.getItem(STORAGE.room) || "";
    const rooms = device.rooms || [];
    const options = [new Option("Choose a room…", "")].concat(
      rooms.map((r) => new Option(r.name, r.name)),
    );
    if (saved && !rooms.some((r) => r.name === saved)) options.push(new Option(saved, saved));
    select.replaceChildren(...options);
    select.value = saved;
  }
  renderSession();
}

function formatTime(iso) {
  try {
    // The event's clock (24h or 12h), not the device's locale, so every door reads alike.
    const clock = device && device.clock;
    return new Intl.DateTimeFormat(clock === "12h" ? "en-US" : "en-GB", {
      hour: clock === "12h" ? "numeric" : "2-digit",
      minute: "2-digit",
      hourCycle: clock === "12h" ? "h12" : "h23",
      timeZone: (device && device.time_zone) || undefined,
    }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleTimeString();
  }
}

/// The session of the chosen room at `now` (device clock), or the next one today.
function sessionNow(room, now) {
  const sessions = (device.sessions || []).filter((s) => s.room === room);
  const running = sessions.find((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
  if (running) return { running };
  const next = sessions.find((s) => Date.parse(s.starts_at) > now);
  return { next };
}

function renderSession() {
  const line = $("session-line");
  const room = currentRoom();
  if (!device || !room) {
    line.textContent = device && !device.room ? "Choose the room of this door" : "";
    line.dataset.session = "";
    return;
  }
  const { running, next } = sessionNow(room, serverNow(Date.now()));
  if (running) {
    line.textContent = `Now: ${running.title} (${formatTime(running.starts_at)}–${formatTime(running.ends_at)})`;
    line.dataset.session = String(running.id);
  } else {
    line.textContent = next
      ? `No session now · next: ${next.title} at ${formatTime(next.starts_at)}`
      : "No session now";
    line.dataset.session = "";
  }
}

function renderDirection() {
  $("dir-entry").setAttribute("aria-pressed", String(direction === "entry"));
  $("dir-exit").setAttribute("aria-pressed", String(direction === "exit"));
}

/// Shows a verdict. `name` is the badge holder's first name, which only the server knows:
/// a verdict made on the device shows none.
function showResult(state, title, detail, nonce, source, name) {
  const panel = $("result");
  panel.className = `result ${state}`;
  panel.dataset.state = state;
  panel.dataset.source = source;
  panel.dataset.nonce = nonce || "";
  $("result-title").textContent = title;
  $("result-name").textContent = name || "";
  $("result-name").hidden = !name;
  $("result-detail").textContent = detail;
  if (nonce) recordShown(nonce, source);
}

function messageFor(reason, fallback) {
  return MESSAGES[reason] || fallback || "Refused";
}

function showLocalVerdict(nonce, verdict) {
  if (nonce !== latestNonce || latestFromServer) return;
  const pending = navigator.onLine && reachable ? "Checking…" : "Offline — saved, will sync";
  if (verdict.decision === "accepted") {
    showResult("accepted", "Badge accepted", pending, nonce, "local");
    beep("accepted");
  } else if (verdict.decision === "duplicate") {
    showResult("duplicate", "Already scanned in", pending, nonce, "local");
    beep("duplicate");
  } else if (verdict.decision === "refused") {
    showResult("refused", messageFor(verdict.reason), "Not admitted", nonce, "local");
    beep("refused");
  } else {
    showResult("idle", "Badge read", pending, nonce, "local");
  }
}

/// The title of a session of this event, from the last device state refresh.
function sessionTitle(id) {
  const s = device && (device.sessions || []).find((x) => x.id === id);
  return s ? s.title : "";
}

function showServerVerdict(result) {
  if (result.nonce !== latestNonce) return;
  const first = !latestFromServer;
  latestFromServer = true;
  const shown = $("result").dataset.state;
  const name = typeof result.first_name === "string" ? result.first_name : "";
  const session = sessionTitle(result.session_id);
  if (result.decision === "accepted") {
    showResult("accepted", "Welcome", session || "Badge accepted", result.nonce, "server", name);
  } else if (result.decision === "duplicate") {
    showResult(
      "duplicate",
      result.message || "Already scanned in",
      session || "Let them through",
      result.nonce,
      "server",
      name,
    );
  } else {
    showResult(
      "refused",
      result.message || messageFor(result.reason),
      "Not admitted",
      result.nonce,
      "server",
    );
  }
  if (first && shown !== result.decision) beep(result.decision);
}

let audio = null;

function beep(decision) {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = decision === "accepted" ? 880 : decision === "duplicate" ? 660 : 220;
    osc.type = decision === "refused" ? "square" : "sine";
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    const t = audio.currentTime;
    osc.start(t);
    osc.stop(t + (decision === "refused" ? 0.4 : 0.15));
  } catch {
    // Sound is a nicety; a browser without it still shows the result.
  }
}

// ---------------------------------------------------------------------------------------
// Scanning.

let seq = Date.now() * 1000;

function currentRoom() {
  if (!device) return "";
  return device.room || ($("room-select").value || "").trim();
}

/// One badge read by the wedge or the camera. `timing`: `{input, startedAt}` (performance.now()).
async function handleScan(raw, timing) {
  if (!device) return;
  const badge = raw.trim().slice(0, MAX_BADGE_CHARS);
  if (!badge) return;
  // The server refuses a scan without a room; staff choose the room before anything counts.
  if (!currentRoom()) {
    latestNonce = null;
    showResult("refused", NO_ROOM, "Not scanned", null, "local");
    beep("refused");
    return;
  }
  const nonce = crypto.randomUUID();
  const scan = {
    nonce,
    seq: seq++,
    badge,
    device_time: new Date().toISOString(),
    direction,
    room: currentRoom(),
  };
  latestNonce = nonce;
  latestFromServer = false;
  if (timing) {
    timings.set(nonce, { ...timing, online: navigator.onLine && reachable });
  }
  // The scan is safe on the device before anyone is told it went through; it is decided
  // while it is written.
  const checked = decideOnDevice(
    device,
    { nonce, badge, room: scan.room, at: serverNow(Date.parse(scan.device_time)), direction },
    doorHistory,
  );
  try {
    await queuePut(scan);
  } catch (e) {
    showResult("refused", "Scan not saved", "Storage error — try again", nonce, "local");
    console.error("queueing a scan failed", e);
    return;
  }
  showLocalVerdict(nonce, await checked);
  saveHistory(doorHistory, serverNow(Date.now()));
  refreshStatus();
  syncNow();
}

function focusWedge() {
  const wedge = $("wedge");
  if (!$("scanning").hidden && document.activeElement !== wedge) {
    wedge.focus({ preventScroll: true });
  }
}

/// Focus returns to the wedge unless a person is using another control.
function keepFocus() {
  const active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement) {
    focusWedge();
  }
}

// ---------------------------------------------------------------------------------------
// Sync.

let syncing = false;
/// A sync was asked for while one ran: run again when it ends, for scans it did not see.
let syncAgain = false;
let failures = 0;
let nextAttemptAt = 0;
let reachable = true;

class Unreachable extends Error {}
class DeviceGone extends Error {}

function authHeaders() {
  return { Authorization: `Bearer ${device.token}` };
}

/// Answers 401/403 mean this kiosk's token no longer works.
function checkDevice(res) {
  if (res.status === 403 || res.status === 401) {
    deviceLost(res.status === 403 ? REVOKED_DEVICE : UNPAIRED_DEVICE);
    throw new DeviceGone();
  }
}

/// Posts queued scans (oldest first) as one batch.
/** @param {any[]} items @param {number} remaining */
async function post(items, remaining) {
  const body = {
    sent_at: new Date().toISOString(),
    app_version: APP_VERSION,
    queue_size: remaining,
    scans: items.map((s) => ({
      nonce: s.nonce,
      badge: s.badge,
      device_time: s.device_time,
      direction: s.direction,
      room: s.room,
    })),
  };
  try {
    return await fetch("/api/v1/scans", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...authHeaders() },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new Unreachable();
  }
}

/// Sends scans. When the server will not read the batch (400, 413, 422), sends each half on
/// its own until the scans it refuses are found; those are set aside, the rest go through.
async function sendBatch(items, remaining) {
  const res = await post(items, remaining);
  reachable = true;
  checkDevice(res);
  if (res.status === 200) {
    const answer = await res.json();
    await queueRemove(items.map((s) => s.nonce));
    localStorage.setItem(STORAGE.lastSync, new Date().toISOString());
    let settled = false;
    for (const r of answer.results || []) {
      settled = doorHistory.settle(r.nonce, r.decision, r.session_id) || settled;
      showServerVerdict(r);
    }
    if (settled) saveHistory(doorHistory, serverNow(Date.now()));
    return;
  }
  if (!UNREADABLE.has(res.status)) throw new Error(`server answered ${res.status}`);
  if (items.length === 1) {
    let error = "";
    try {
      error = (await res.json()).error || "";
    } catch {
      error = "";
    }
    await queueReject(items[0], res.status, error);
    console.warn(`a scan was refused by the server (${res.status}) and set aside`);
    return;
  }
  const half = Math.ceil(items.length / 2);
  await sendBatch(items.slice(0, half), remaining + items.length - half);
  await sendBatch(items.slice(half), remaining);
}

async function syncNow() {
  if (!device) return;
  if (syncing) {
    syncAgain = true;
    return;
  }
  syncing = true;
  syncAgain = false;
  try {
    for (;;) {
      const { items, total } = await queuePeek(BATCH_SIZE);
      if (items.length === 0 || !device) break;
      await sendBatch(items, total - items.length);
      failures = 0;
      nextAttemptAt = 0;
      refreshStatus();
    }
  } catch (e) {
    if (!(e instanceof DeviceGone)) {
      if (e instanceof Unreachable) reachable = false;
      failures += 1;
      const cap = e instanceof Unreachable ? MAX_UNREACHABLE_BACKOFF_MS : MAX_BACKOFF_MS;
      const delay = Math.min(cap, 1000 * 2 ** Math.min(failures, 6));
      nextAttemptAt = Date.now() + delay * (0.75 + Math.random() * 0.5);
      if (!(e instanceof Unreachable)) console.warn("sync failed:", e.message);
    }
  } finally {
    syncing = false;
    refreshStatus();
    if (syncAgain && device && Date.now() >= nextAttemptAt) setTimeout(syncNow, 0);
  }
}

/// Fetches this device's state and its event's keys, revocations, rooms and sessions
/// (`GET /api/v1/devices/self`) and keeps them, so later offline decisions use them.
async function refreshDevice() {
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
    checkDevice(res);
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
    // The server puts a scan on its own clock (the skew measured at sync); deciding on the
    // device at the same corrected time keeps a wrong device clock from changing the verdict.
    clock_offset_ms: clockOffset(s.server_time, sentAt, answeredAt),
    refreshed_at: new Date().toISOString(),
  };
  saveDevice(device);
  importedKeys.clear();
  localStorage.setItem(STORAGE.lastRefresh, device.refreshed_at);
  if (!$("scanning").hidden) renderDevice();
  return true;
}

/// Server clock minus device clock, taking the server's time as read halfway through the
/// request; 0 when the server did not say.
function clockOffset(serverTime, sentAt, answeredAt) {
  const server = Date.parse(serverTime);
  return Number.isFinite(server) ? Math.round(server - (sentAt + answeredAt) / 2) : 0;
}

/// The device clock corrected by the offset measured at the last refresh.
function serverNow(at) {
  return at + ((device && device.clock_offset_ms) || 0);
}

function deviceLost(message) {
  // Queued scans stay queued: they are sent once the kiosk is paired again.
  forgetDevice();
  device = null;
  importedKeys.clear();
  // The next pairing may be for another event: earlier scans say nothing about it.
  doorHistory.entries = [];
  saveHistory(doorHistory, serverNow(Date.now()));
  latestNonce = null;
  showPairing(message);
}

async function refreshStatus() {
  const net = $("net-state");
  const online = navigator.onLine && reachable;
  net.textContent = !navigator.onLine ? "offline" : reachable ? "online" : "server unreachable";
  net.className = `net ${online ? "online" : "offline"}`;
  const last = localStorage.getItem(STORAGE.lastSync);
  $("last-sync").textContent = last ? formatTime(last) : "never";
  try {
    const counts = await storeCounts();
    $("queue-count").textContent = String(counts.queued);
    $("rejected-count").textContent = String(counts.rejected);
    $("rejected").className = `rejected${counts.rejected > 0 ? " warn" : ""}`;
  } catch {
    $("queue-count").textContent = "?";
  }
}

// ---------------------------------------------------------------------------------------
// Pairing.

async function pair(event) {
  event.preventDefault();
  const code = $("pair-code").value.trim().toUpperCase();
  if (!code) return;
  $("pair-submit").disabled = true;
  $("pair-message").textContent = "Pairing…";
  try {
    const res = await fetch("/api/v1/devices/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
      cache: "no-store",
    });
    if (res.status === 404) {
      showPairing("Unknown or expired pairing code");
      return;
    }
    if (!res.ok) {
      showPairing(`Pairing failed (${res.status})`);
      return;
    }
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
      paired_at: new Date().toISOString(),
    };
    saveDevice(device);
    $("pair-code").value = "";
    reachable = true;
    showScanning();
    await refreshDevice();
    syncNow();
  } catch {
    showPairing("No connection — pairing needs the network");
  }
}

// ---------------------------------------------------------------------------------------
// Start.

function start() {
  $("pair-form").addEventListener("submit", pair);
  $("wedge").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const startedAt = performance.now();
      e.preventDefault();
      const text = e.target.value;
      e.target.value = "";
      handleScan(text, { input: "wedge", startedAt });
    }
  });
  $("wedge").addEventListener("blur", () => setTimeout(keepFocus, 0));
  for (const [id, dir] of [["dir-entry", "entry"], ["dir-exit", "exit"]]) {
    $(id).addEventListener("click", () => {
      direction = dir;
      localStorage.setItem(STORAGE.direction, dir);
      renderDirection();
      focusWedge();
    });
  }
  $("room-select").addEventListener("change", (e) => {
    localStorage.setItem(STORAGE.room, e.target.value);
    renderSession();
    focusWedge();
  });
  $("unpair").addEventListener("click", () => {
    if (confirm("Unpair this kiosk? It needs a new pairing code afterwards.")) {
      deviceLost("");
    } else {
      focusWedge();
    }
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest("input, button, label, select")) focusWedge();
  });
  KioskCamera.init({ onCode: (text, timing) => handleScan(text, timing) });
  // After using a camera control, the handheld scanner types into the wedge again.
  $("camera-toggle").addEventListener("click", () => setTimeout(focusWedge, 0));
  $("camera-select").addEventListener("change", () => setTimeout(focusWedge, 0));

  window.addEventListener("online", () => {
    failures = 0;
    nextAttemptAt = 0;
    refreshStatus();
    syncNow();
    refreshDevice();
  });
  window.addEventListener("offline", refreshStatus);
  setInterval(() => {
    if (Date.now() >= nextAttemptAt) syncNow();
  }, SYNC_INTERVAL_MS);
  setInterval(() => {
    if (navigator.onLine) refreshDevice();
  }, REFRESH_INTERVAL_MS);
  setInterval(renderSession, 30000);
  setInterval(keepFocus, 1000);

  device = loadDevice();
  if (device) {
    showScanning();
    refreshDevice();
  } else {
    showPairing("");
  }
  syncNow();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch((e) => {
      console.warn("service worker not registered:", e);
    });
  }
}

/// What tests, benchmarks and support staff can read from the console.
window.kiosk = {
  latencies,
  decodeStats: () => KioskCamera.stats(),
  camera: KioskCamera,
  refresh: refreshDevice,
  sync: syncNow,
  rejected: rejectedScans,
  device: () => device && { ...device, token: undefined },
};

start();
