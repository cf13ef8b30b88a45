// Module main (the page's entry): the badgetrail door kiosk wired together. Pairing, scanning
// with a keyboard-wedge scanner or the camera, decisions on the device by the server's rules
// (badge.js, door.js), an offline-first queue (store.js) synced to the server in batches
// (sync.js), the device state refreshed (device.js) and everything shown by screen.js. Owns
// the door's direction and the scans this device accepted; `window.kiosk` is what tests,
// benchmarks and support staff read from the console.

import { camera } from "./camera.js";
import * as device from "./device.js";
import { DoorHistory, decideOnDevice } from "./door.js";
import { latencies, startTiming } from "./latency.js";
import * as screen from "./screen.js";
import {
  loadDirection,
  loadHistory,
  loadLastSync,
  loadRoom,
  queuePut,
  rejectedScans,
  saveDirection,
  saveHistory,
  saveRoom,
  storeCounts,
} from "./store.js";
import * as sync from "./sync.js";

const SYNC_INTERVAL_MS = 5000;
/// How often a kiosk online fetches its event's keys, revocations, rooms and sessions.
const REFRESH_INTERVAL_MS = 60000;
/// Longer input cannot be a badge (124 characters); it is cut so a batch stays small.
const MAX_BADGE_CHARS = 512;

let direction = loadDirection();
/// The scans this device accepted, for finding double scans while offline.
const doorHistory = new DoorHistory(loadHistory());
let seq = Date.now() * 1000;

/// Whether the server can be reached now, as far as the kiosk knows.
function online() {
  return navigator.onLine && sync.isReachable();
}

function now() {
  return device.serverNow(Date.now());
}

function showScanning() {
  screen.showScanning(device.current(), now(), loadRoom(), direction);
  refreshStatus();
  screen.focusWedge();
}

function showPairing(message) {
  camera.stop();
  screen.showPairing(message);
}

async function refreshStatus() {
  screen.renderNetwork(navigator.onLine, sync.isReachable());
  screen.renderLastSync(device.current(), loadLastSync());
  let counts = null;
  try {
    counts = await storeCounts();
  } catch {
    counts = null;
  }
  screen.renderCounts(counts);
}

/// Refreshes the device state and shows what changed.
async function refreshDevice() {
  const refreshed = await device.refresh();
  if (refreshed && screen.isScanning()) screen.renderDevice(device.current(), now(), loadRoom());
  return refreshed;
}

/// The server no longer takes this device (or staff unpaired it): back to pairing.
function deviceLost(message) {
  // Queued scans stay queued: they are sent once the kiosk is paired again.
  device.forget();
  // The next pairing may be for another event: earlier scans say nothing about it.
  doorHistory.entries = [];
  saveHistory(doorHistory, now());
  screen.forgetVerdict();
  showPairing(message);
}

/// The server's verdicts of a batch: they settle the accepted scans kept here and replace
/// the device's own verdict on screen.
function serverResults(results) {
  let settled = false;
  for (const r of results) {
    settled = doorHistory.settle(r.nonce, r.decision, r.session_id) || settled;
    screen.showServerVerdict(device.current(), r);
  }
  if (settled) saveHistory(doorHistory, now());
}

/// One badge read by the wedge or the camera. `timing`: `{input, startedAt}` (performance.now()).
async function handleScan(raw, timing) {
  const paired = device.current();
  if (!paired) return;
  const badge = raw.trim().slice(0, MAX_BADGE_CHARS);
  if (!badge) return;
  // The server refuses a scan without a room; staff choose the room before anything counts.
  const room = screen.currentRoom(paired);
  if (!room) {
    screen.showNoRoom();
    return;
  }
  const nonce = crypto.randomUUID();
  const scan = {
    nonce,
    seq: seq++,
    badge,
    device_time: new Date().toISOString(),
    direction,
    room,
  };
  screen.expectVerdict(nonce);
  if (timing) startTiming(nonce, timing, online());
  // The scan is safe on the device before anyone is told it went through; it is decided
  // while it is written.
  const checked = decideOnDevice(
    paired,
    { nonce, badge, room, at: device.serverNow(Date.parse(scan.device_time)), direction },
    doorHistory,
  );
  try {
    await queuePut(scan);
  } catch (e) {
    screen.showNotSaved(nonce);
    console.error("queueing a scan failed", e);
    return;
  }
  const verdict = await checked;
  screen.showLocalVerdict(device.current(), nonce, verdict, online());
  saveHistory(doorHistory, now());
  refreshStatus();
  sync.syncNow();
}

async function pair(code) {
  screen.showPairingStarted();
  try {
    const failure = await device.pair(code);
    if (failure) {
      showPairing(failure);
      return;
    }
    screen.clearPairingCode();
    sync.markReachable();
    showScanning();
    await refreshDevice();
    sync.syncNow();
  } catch {
    showPairing("No connection — pairing needs the network");
  }
}

function start() {
  screen.bind({
    onPair: pair,
    onScan: handleScan,
    onDirection: (dir) => {
      direction = dir;
      saveDirection(dir);
      screen.renderDirection(dir);
    },
    onRoom: (name) => {
      saveRoom(name);
      screen.renderSession(device.current(), now());
    },
    onUnpair: () => deviceLost(""),
  });
  camera.init({ onCode: (text, timing) => handleScan(text, timing) });
  sync.init({ onResults: serverResults, onChange: refreshStatus });

  window.addEventListener("online", () => {
    sync.resetBackoff();
    refreshStatus();
    sync.syncNow();
    refreshDevice();
  });
  window.addEventListener("offline", refreshStatus);
  setInterval(sync.syncIfDue, SYNC_INTERVAL_MS);
  setInterval(() => {
    if (navigator.onLine) refreshDevice();
  }, REFRESH_INTERVAL_MS);
  setInterval(() => screen.renderSession(device.current(), now()), 30000);
  setInterval(screen.keepFocus, 1000);

  if (device.init(deviceLost)) {
    showScanning();
    refreshDevice();
  } else {
    showPairing("");
  }
  sync.syncNow();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch((e) => {
      console.warn("service worker not registered:", e);
    });
  }
}

/// What tests, benchmarks and support staff can read from the console.
window.kiosk = {
  latencies,
  decodeStats: () => camera.stats(),
  camera,
  refresh: refreshDevice,
  sync: sync.syncNow,
  rejected: rejectedScans,
  device: () => {
    const d = device.current();
    return d && { ...d, token: undefined };
  },
};

start();
