// Module sync: the queue's way to the server. Queued scans (store.js) sent oldest first in
// batches of 50 (`POST /api/v1/scans`), with backoff while the server fails or cannot be
// reached, and a batch the server will not read split until the scans at fault are found and
// set aside. Owns the sync state (running, failures, next attempt, server reachable); no DOM
// access: what the server answered goes to the `onResults` and `onChange` handlers of `init`.

import { authHeaders, checkAnswer, current, DeviceGone } from "./device.js";
import { queuePeek, queueReject, queueRemove, saveLastSync } from "./store.js";

const APP_VERSION = "0.3.0";
const BATCH_SIZE = 50;
const MAX_BACKOFF_MS = 60000;
/// While the server cannot be reached, try again at least this often.
const MAX_UNREACHABLE_BACKOFF_MS = 8000;
/// Answers that mean the server will never read this batch as it is: split it to find why.
const UNREADABLE = new Set([400, 413, 422]);

let syncing = false;
/// A sync was asked for while one ran: run again when it ends, for scans it did not see.
let syncAgain = false;
let failures = 0;
let nextAttemptAt = 0;
let reachable = true;

/// `onResults(results)`: the server's verdicts of a batch it took; `onChange()`: the queue or
/// the server's reachability may have changed.
/** @type {{ onResults: (results: any[]) => void, onChange: () => void }} */
let handlers = { onResults: () => {}, onChange: () => {} };

class Unreachable extends Error {}

export function init(on) {
  handlers = on;
}

/// Whether the server answered the last request (a kiosk with a network may still not reach it).
export function isReachable() {
  return reachable;
}

/// The server was just reached another way (pairing).
export function markReachable() {
  reachable = true;
}

/// The network is back: try again now, not at the next backoff.
export function resetBackoff() {
  failures = 0;
  nextAttemptAt = 0;
}

/// Syncs unless waiting out a backoff.
export function syncIfDue() {
  if (Date.now() >= nextAttemptAt) syncNow();
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
  checkAnswer(res);
  if (res.status === 200) {
    const answer = await res.json();
    await queueRemove(items.map((s) => s.nonce));
    saveLastSync(new Date().toISOString());
    handlers.onResults(answer.results || []);
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

/// Sends every queued scan now, batch after batch, unless a sync is running (it then runs
/// again when that one ends).
export async function syncNow() {
  if (!current()) return;
  if (syncing) {
    syncAgain = true;
    return;
  }
  syncing = true;
  syncAgain = false;
  try {
    for (;;) {
      const { items, total } = await queuePeek(BATCH_SIZE);
      if (items.length === 0 || !current()) break;
      await sendBatch(items, total - items.length);
      failures = 0;
      nextAttemptAt = 0;
      handlers.onChange();
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
    handlers.onChange();
    if (syncAgain && current() && Date.now() >= nextAttemptAt) setTimeout(syncNow, 0);
  }
}
