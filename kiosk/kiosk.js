// The badgetrail door kiosk: pairing, badge scanning with a keyboard-wedge scanner, local
// verification of badge signatures, and an offline-first queue synced to the server.
"use strict";

const APP_VERSION = "0.1.0";
const BATCH_SIZE = 50;
const SYNC_INTERVAL_MS = 5000;
const MAX_BACKOFF_MS = 60000;
/// Longer input cannot be a badge (124 characters); it is cut so a batch stays small.
const MAX_BADGE_CHARS = 512;

const STORAGE = {
  device: "bt.kiosk.device",
  room: "bt.kiosk.room",
  direction: "bt.kiosk.direction",
  lastSync: "bt.kiosk.lastSync",
};

const MESSAGES = {
  malformed: "Badge not recognised",
  forged: "Forged badge",
  wrong_event: "Badge is for another event",
  revoked: "Badge was replaced — use the newest one",
  unknown_room: "Unknown room",
  outside_session: "No session here now",
};

const REVOKED_DEVICE = "This kiosk was revoked — pair it again";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------
// Storage: the paired device in localStorage, the scan queue in IndexedDB.

function loadDevice() {
  try {
    const raw = localStorage.getItem(STORAGE.device);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function saveDevice(device) {
  localStorage.setItem(STORAGE.device, JSON.stringify(device));
}

function forgetDevice() {
  localStorage.removeItem(STORAGE.device);
}

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open("badgetrail-kiosk", 1);
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore("queue", { keyPath: "nonce" });
        store.createIndex("seq", "seq");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

function txDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

async function queuePut(scan) {
  const db = await openDb();
  const tx = db.transaction("queue", "readwrite");
  tx.objectStore("queue").put(scan);
  await txDone(tx);
}

/// The oldest `limit` queued scans, and how many are queued in all.
async function queuePeek(limit) {
  const db = await openDb();
  const tx = db.transaction("queue", "readonly");
  const store = tx.objectStore("queue");
  const countReq = store.count();
  const itemsReq = store.index("seq").getAll(null, limit);
  await txDone(tx);
  return { items: itemsReq.result, total: countReq.result };
}

async function queueRemove(nonces) {
  const db = await openDb();
  const tx = db.transaction("queue", "readwrite");
  const store = tx.objectStore("queue");
  for (const n of nonces) store.delete(n);
  await txDone(tx);
}

async function queueCount() {
  const db = await openDb();
  const tx = db.transaction("queue", "readonly");
  const req = tx.objectStore("queue").count();
  await txDone(tx);
  return req.result;
}

// ---------------------------------------------------------------------------------------
// Badge tokens (docs/formats.md, "Badge token"), verified with the event's public keys.

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const TOKEN_CHARS = 124;
const TOKEN_BYTES = 77;
const PAYLOAD_LEN = 13;
const SIGNATURE_CONTEXT = new TextEncoder().encode("badgetrail/badge/v1\0");

/// RFC 4648 base32 without padding; null for anything that is not a well-formed token.
function base32Decode(text) {
  if (text.length !== TOKEN_CHARS) return null;
  const out = new Uint8Array(TOKEN_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (n < TOKEN_BYTES) out[n++] = (value >> bits) & 0xff;
      value &= (1 << bits) - 1;
    }
  }
  // The last character carries unused bits, which must be zero.
  if (n !== TOKEN_BYTES || value !== 0) return null;
  return out;
}

function base64Decode(text) {
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const importedKeys = new Map();

async function publicKey(device, keyId) {
  const cacheKey = `${device.event_id}/${keyId}`;
  if (importedKeys.has(cacheKey)) return importedKeys.get(cacheKey);
  const entry = (device.public_keys || []).find((k) => k.key_id === keyId);
  if (!entry) return null;
  const key = await crypto.subtle.importKey(
    "raw",
    base64Decode(entry.public_key),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  importedKeys.set(cacheKey, key);
  return key;
}

/// What the kiosk can tell on its own: `{decision, reason}`, or decision `unknown` when this
/// browser cannot verify signatures.
async function verifyLocally(device, text) {
  const token = text.trim().toUpperCase();
  const bytes = base32Decode(token);
  if (!bytes) return { decision: "refused", reason: "malformed" };
  const view = new DataView(bytes.buffer);
  if (view.getUint8(0) !== 1) return { decision: "refused", reason: "malformed" };
  const eventId = view.getUint32(1);
  if (eventId !== device.event_id) return { decision: "refused", reason: "wrong_event" };
  const keyId = view.getUint16(5);
  const attendeeId = view.getUint32(7);
  const serial = view.getUint16(11);
  let key;
  try {
    key = await publicKey(device, keyId);
  } catch {
    return { decision: "unknown" };
  }
  if (!key) return { decision: "refused", reason: "forged" };
  const message = new Uint8Array(SIGNATURE_CONTEXT.length + PAYLOAD_LEN);
  message.set(SIGNATURE_CONTEXT, 0);
  message.set(bytes.subarray(0, PAYLOAD_LEN), SIGNATURE_CONTEXT.length);
  let valid;
  try {
    valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      bytes.subarray(PAYLOAD_LEN),
      message,
    );
  } catch {
    return { decision: "unknown" };
  }
  if (!valid) return { decision: "refused", reason: "forged" };
  const current = revocations(device).get(attendeeId);
  if (current !== undefined && serial < current) {
    return { decision: "refused", reason: "revoked" };
  }
  return { decision: "accepted" };
}

let revocationCache = { device: null, map: new Map() };

function revocations(device) {
  if (revocationCache.device !== device) {
    revocationCache = { device, map: new Map(device.revocations || []) };
  }
  return revocationCache.map;
}

// ---------------------------------------------------------------------------------------
// Screens.

let device = null;
let direction = localStorage.getItem(STORAGE.direction) === "exit" ? "exit" : "entry";
/// The nonce of the scan on screen; a server verdict for an older scan is not shown.
let latestNonce = null;
/// Whether the verdict on screen came from the server (a local one never replaces it).
let latestFromServer = false;

function showPairing(message) {
  $("scanning").hidden = true;
  $("pairing").hidden = false;
  $("pair-message").textContent = message || "";
  $("pair-submit").disabled = false;
  $("pair-code").focus();
}

function showScanning() {
  $("pairing").hidden = true;
  $("scanning").hidden = false;
  $("event-name").textContent = device.event_name;
  if (device.room) {
    $("room-name").textContent = device.room;
    $("room-picker").hidden = true;
  } else {
    $("room-name").textContent = "";
    $("room-picker").hidden = false;
    $("room-input").value = localStorage.getItem(STORAGE.room) || "";
  }
  renderDirection();
  showResult("idle", "Ready", "Scan a badge", null, "local");
  refreshStatus();
  focusWedge();
}

function renderDirection() {
  $("dir-entry").setAttribute("aria-pressed", String(direction === "entry"));
  $("dir-exit").setAttribute("aria-pressed", String(direction === "exit"));
}

function showResult(state, title, detail, nonce, source) {
  const panel = $("result");
  panel.className = `result ${state}`;
  panel.dataset.state = state;
  panel.dataset.source = source;
  panel.dataset.nonce = nonce || "";
  $("result-title").textContent = title;
  $("result-detail").textContent = detail;
}

function messageFor(reason, fallback) {
  return MESSAGES[reason] || fallback || "Refused";
}

function showLocalVerdict(nonce, verdict) {
  if (nonce !== latestNonce || latestFromServer) return;
  const pending = navigator.onLine ? "Checking…" : "Offline — saved, will sync";
  if (verdict.decision === "accepted") {
    showResult("accepted", "Badge accepted", pending, nonce, "local");
    beep("accepted");
  } else if (verdict.decision === "refused") {
    showResult("refused", messageFor(verdict.reason), "Not admitted", nonce, "local");
    beep("refused");
  } else {
    showResult("idle", "Badge read", pending, nonce, "local");
  }
}

function showServerVerdict(result) {
  if (result.nonce !== latestNonce) return;
  const first = !latestFromServer;
  latestFromServer = true;
  const shown = $("result").dataset.state;
  if (result.decision === "accepted") {
    showResult("accepted", "Welcome", result.message || "Welcome", result.nonce, "server");
  } else if (result.decision === "duplicate") {
    showResult(
      "duplicate",
      "Already scanned in",
      result.message || "Already scanned in",
      result.nonce,
      "server",
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
  return device.room || ($("room-input").value || "").trim();
}

async function handleScan(raw) {
  if (!device) return;
  const badge = raw.trim().slice(0, MAX_BADGE_CHARS);
  if (!badge) return;
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
  // The scan is safe on the device before anyone is told it went through.
  try {
    await queuePut(scan);
  } catch (e) {
    showResult("refused", "Scan not saved", "Storage error — try again", nonce, "local");
    console.error("queueing a scan failed", e);
    return;
  }
  refreshStatus();
  const verdict = await verifyLocally(device, badge);
  showLocalVerdict(nonce, verdict);
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
      if (items.length === 0) break;
      const token = device.token;
      const body = {
        sent_at: new Date().toISOString(),
        app_version: APP_VERSION,
        queue_size: total - items.length,
        scans: items.map((s) => ({
          nonce: s.nonce,
          badge: s.badge,
          device_time: s.device_time,
          direction: s.direction,
          room: s.room,
        })),
      };
      let res;
      try {
        res = await fetch("/api/v1/scans", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
          cache: "no-store",
        });
      } catch {
        reachable = false;
        throw new Error("network");
      }
      reachable = true;
      if (res.status === 403 || res.status === 401) {
        deviceLost(res.status === 403 ? REVOKED_DEVICE : "This kiosk is no longer paired — pair it again");
        return;
      }
      if (res.status !== 200) throw new Error(`server answered ${res.status}`);
      const answer = await res.json();
      await queueRemove(items.map((s) => s.nonce));
      localStorage.setItem(STORAGE.lastSync, new Date().toISOString());
      failures = 0;
      nextAttemptAt = 0;
      for (const r of answer.results || []) showServerVerdict(r);
      refreshStatus();
    }
  } catch (e) {
    failures += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 6));
    nextAttemptAt = Date.now() + delay * (0.75 + Math.random() * 0.5);
    if (e && e.message !== "network") console.warn("sync failed:", e.message);
  } finally {
    syncing = false;
    refreshStatus();
    if (syncAgain && device && Date.now() >= nextAttemptAt) setTimeout(syncNow, 0);
  }
}

function deviceLost(message) {
  // Queued scans stay queued: they are sent once the kiosk is paired again.
  forgetDevice();
  device = null;
  importedKeys.clear();
  latestNonce = null;
  showPairing(message);
}

async function refreshStatus() {
  const net = $("net-state");
  const online = navigator.onLine && reachable;
  net.textContent = !navigator.onLine ? "offline" : reachable ? "online" : "server unreachable";
  net.className = `net ${online ? "online" : "offline"}`;
  const last = localStorage.getItem(STORAGE.lastSync);
  $("last-sync").textContent = last ? new Date(last).toLocaleTimeString() : "never";
  try {
    $("queue-count").textContent = String(await queueCount());
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
      paired_at: new Date().toISOString(),
    };
    saveDevice(device);
    $("pair-code").value = "";
    reachable = true;
    showScanning();
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
      e.preventDefault();
      const text = e.target.value;
      e.target.value = "";
      handleScan(text);
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
  $("room-input").addEventListener("input", (e) => {
    localStorage.setItem(STORAGE.room, e.target.value.trim());
  });
  $("room-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      focusWedge();
    }
  });
  $("room-input").addEventListener("change", focusWedge);
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

  window.addEventListener("online", () => {
    failures = 0;
    nextAttemptAt = 0;
    refreshStatus();
    syncNow();
  });
  window.addEventListener("offline", refreshStatus);
  setInterval(() => {
    if (Date.now() >= nextAttemptAt) syncNow();
  }, SYNC_INTERVAL_MS);
  setInterval(keepFocus, 1000);

  device = loadDevice();
  if (device) showScanning();
  else showPairing("");
  syncNow();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" }).catch((e) => {
      console.warn("service worker not registered:", e);
    });
  }
}

start();
