// Module store: what the kiosk keeps on the device. The paired device (with its event's keys,
// revocations, rooms, sessions, door rules and refusal messages), the scans it accepted and
// the door's settings (room, direction, last sync) in localStorage; scans waiting to be sent
// and scans the server refused to read in IndexedDB, so nothing scanned is lost to a reload, a
// crash or a lost network. The only module that touches the kiosk's database and its
// localStorage keys, but the camera's choice (camera.js).

const STORAGE = {
  device: "bt.kiosk.device",
  room: "bt.kiosk.room",
  direction: "bt.kiosk.direction",
  lastSync: "bt.kiosk.lastSync",
  lastRefresh: "bt.kiosk.lastRefresh",
  history: "bt.kiosk.accepted",
};

export function loadDevice() {
  try {
    const raw = localStorage.getItem(STORAGE.device);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function saveDevice(device) {
  localStorage.setItem(STORAGE.device, JSON.stringify(device));
}

export function forgetDevice() {
  localStorage.removeItem(STORAGE.device);
}

/// The scans this device accepted (door.js, `DoorHistory`), kept across reloads so a double
/// scan is still found offline after one.
export function loadHistory() {
  try {
    const raw = localStorage.getItem(STORAGE.history);
    const entries = raw ? JSON.parse(raw) : [];
    return Array.isArray(entries) ? entries : [];
  } catch {
    return [];
  }
}

/// `now` is on the clock the scans were decided at (device.js, `serverNow`).
export function saveHistory(history, now) {
  try {
    history.prune(now);
    localStorage.setItem(STORAGE.history, JSON.stringify(history.entries));
  } catch (e) {
    // A full storage costs only the offline double-scan check; the server still finds them.
    console.warn("the accepted scans were not saved", e);
  }
}

/// The door's direction (`entry` or `exit`), kept across reloads.
export function loadDirection() {
  return localStorage.getItem(STORAGE.direction) === "exit" ? "exit" : "entry";
}

export function saveDirection(direction) {
  localStorage.setItem(STORAGE.direction, direction);
}

/// The room staff chose on a kiosk not bound to one; "" when none.
export function loadRoom() {
  return localStorage.getItem(STORAGE.room) || "";
}

export function saveRoom(room) {
  localStorage.setItem(STORAGE.room, room);
}

/// When a batch was last acknowledged (ISO 8601), or null.
export function loadLastSync() {
  return localStorage.getItem(STORAGE.lastSync);
}

export function saveLastSync(iso) {
  localStorage.setItem(STORAGE.lastSync, iso);
}

/// When the device state was last refreshed (ISO 8601), for support staff.
export function saveLastRefresh(iso) {
  localStorage.setItem(STORAGE.lastRefresh, iso);
}

let dbPromise = null;

/// Version 1 had the queue; version 2 adds `rejected`: scans the server would not read (a
/// 400, 413 or 422 for that scan alone), kept for staff instead of being dropped.
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open("badgetrail-kiosk", 2);
      req.onupgradeneeded = (event) => {
        const db = req.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("seq", "seq");
        }
        if (event.oldVersion < 2) {
          db.createObjectStore("rejected", { keyPath: "nonce" });
        }
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

export async function queuePut(scan) {
  const db = await openDb();
  const tx = db.transaction("queue", "readwrite");
  tx.objectStore("queue").put(scan);
  await txDone(tx);
}

/// The oldest `limit` queued scans, and how many are queued in all.
export async function queuePeek(limit) {
  const db = await openDb();
  const tx = db.transaction("queue", "readonly");
  const store = tx.objectStore("queue");
  const countReq = store.count();
  const itemsReq = store.index("seq").getAll(null, limit);
  await txDone(tx);
  return { items: itemsReq.result, total: countReq.result };
}

export async function queueRemove(nonces) {
  const db = await openDb();
  const tx = db.transaction("queue", "readwrite");
  const store = tx.objectStore("queue");
  for (const n of nonces) store.delete(n);
  await txDone(tx);
}

/// Moves one scan from the queue to the rejected scans, in one transaction.
export async function queueReject(scan, status, error) {
  const db = await openDb();
  const tx = db.transaction(["queue", "rejected"], "readwrite");
  tx.objectStore("rejected").put({
    ...scan,
    rejected_at: new Date().toISOString(),
    status,
    error: String(error || "").slice(0, 500),
  });
  tx.objectStore("queue").delete(scan.nonce);
  await txDone(tx);
}

export async function storeCounts() {
  const db = await openDb();
  const tx = db.transaction(["queue", "rejected"], "readonly");
  const queued = tx.objectStore("queue").count();
  const rejected = tx.objectStore("rejected").count();
  await txDone(tx);
  return { queued: queued.result, rejected: rejected.result };
}

export async function rejectedScans() {
  const db = await openDb();
  const tx = db.transaction("rejected", "readonly");
  const req = tx.objectStore("rejected").getAll();
  await txDone(tx);
  return req.result;
}
