// Module screen: the kiosk's page. Renders the pairing and scanning screens, the device's event,
// room and session, the direction, the verdict on screen with its sound, and the sync state;
// binds the page's controls to the handlers `bind` is given, and keeps the keyboard wedge
// focused. Owns which scan's verdict is on screen; everything else it shows is passed in.

import { recordShown } from "./latency.js";

const NO_ROOM = "Choose the room of this door first";

const $ = (id) => document.getElementById(id);

/// The nonce of the scan on screen; a server verdict for an older scan is not shown.
let latestNonce = null;
/// Whether the verdict on screen came from the server (a local one never replaces it).
let latestFromServer = false;
let audio = null;

// ---------------------------------------------------------------------------------------
// Controls.

/// Binds the page's controls: `onPair(code)`, `onScan(text, timing)`, `onDirection(dir)`,
/// `onRoom(name)`, `onUnpair()`.
export function bind(on) {
  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("pair-code").value.trim().toUpperCase();
    if (code) on.onPair(code);
  });
  $("wedge").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const startedAt = performance.now();
      e.preventDefault();
      const text = e.target.value;
      e.target.value = "";
      on.onScan(text, { input: "wedge", startedAt });
    }
  });
  $("wedge").addEventListener("blur", () => setTimeout(keepFocus, 0));
  for (const [id, dir] of [["dir-entry", "entry"], ["dir-exit", "exit"]]) {
    $(id).addEventListener("click", () => {
      on.onDirection(dir);
      focusWedge();
    });
  }
  $("room-select").addEventListener("change", (e) => {
    on.onRoom(e.target.value);
    focusWedge();
  });
  $("unpair").addEventListener("click", () => {
    if (confirm("Unpair this kiosk? It needs a new pairing code afterwards.")) {
      on.onUnpair();
    } else {
      focusWedge();
    }
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest("input, button, label, select")) focusWedge();
  });
  // After using a camera control, the handheld scanner types into the wedge again.
  $("camera-toggle").addEventListener("click", () => setTimeout(focusWedge, 0));
  $("camera-select").addEventListener("change", () => setTimeout(focusWedge, 0));
}

export function focusWedge() {
  const wedge = $("wedge");
  if (!$("scanning").hidden && document.activeElement !== wedge) {
    wedge.focus({ preventScroll: true });
  }
}

/// Focus returns to the wedge unless a person is using another control.
export function keepFocus() {
  const active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement) {
    focusWedge();
  }
}

// ---------------------------------------------------------------------------------------
// Screens.

export function showPairing(message) {
  $("scanning").hidden = true;
  $("pairing").hidden = false;
  $("pair-message").textContent = message || "";
  $("pair-submit").disabled = false;
  $("pair-code").focus();
}

/// A pairing code was sent.
export function showPairingStarted() {
  $("pair-submit").disabled = true;
  $("pair-message").textContent = "Pairing…";
}

export function clearPairingCode() {
  $("pair-code").value = "";
}

export function isScanning() {
  return !$("scanning").hidden;
}

/// The scanning screen, ready, for `device` at `now` (the server's clock); `savedRoom` is
/// the room staff chose here before.
export function showScanning(device, now, savedRoom, direction) {
  $("pairing").hidden = true;
  $("scanning").hidden = false;
  renderDevice(device, now, savedRoom);
  renderDirection(direction);
  showResult("idle", "Ready", "Scan a badge", null, "local");
}

/// Event, room (bound, or a choice from the event's rooms) and the session running now.
export function renderDevice(device, now, savedRoom) {
  if (!device) return;
  $("event-name").textContent = device.event_name;
  if (device.room) {
    $("room-name").textContent = device.room;
    $("room-picker").hidden = true;
  } else {
    $("room-name").textContent = "";
    $("room-picker").hidden = false;
    const select = $("room-select");
    const saved = savedRoom || "";
    const rooms = device.rooms || [];
    const options = [new Option("Choose a room…", "")].concat(
      rooms.map((r) => new Option(r.name, r.name)),
    );
    if (saved && !rooms.some((r) => r.name === saved)) options.push(new Option(saved, saved));
    select.replaceChildren(...options);
    select.value = saved;
  }
  renderSession(device, now);
}

/// The room of the next scan: the device's own, else the one chosen on screen; "" when none.
export function currentRoom(device) {
  if (!device) return "";
  return device.room || ($("room-select").value || "").trim();
}

function formatTime(device, iso) {
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

/// The session of the chosen room at `now` (the server's clock), or the next one today.
function sessionNow(device, room, now) {
  const sessions = (device.sessions || []).filter((s) => s.room === room);
  const running = sessions.find((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
  if (running) return { running };
  const next = sessions.find((s) => Date.parse(s.starts_at) > now);
  return { next };
}

export function renderSession(device, now) {
  const line = $("session-line");
  const room = currentRoom(device);
  if (!device || !room) {
    line.textContent = device && !device.room ? "Choose the room of this door" : "";
    line.dataset.session = "";
    return;
  }
  const { running, next } = sessionNow(device, room, now);
  if (running) {
    line.textContent = `Now: ${running.title} (${formatTime(device, running.starts_at)}–${formatTime(device, running.ends_at)})`;
    line.dataset.session = String(running.id);
  } else {
    line.textContent = next
      ? `No session now · next: ${next.title} at ${formatTime(device, next.starts_at)}`
      : "No session now";
    line.dataset.session = "";
  }
}

export function renderDirection(direction) {
  $("dir-entry").setAttribute("aria-pressed", String(direction === "entry"));
  $("dir-exit").setAttribute("aria-pressed", String(direction === "exit"));
}

/// The network line: `onLine` as the browser says, `reachable` whether the server answered.
export function renderNetwork(onLine, reachable) {
  const net = $("net-state");
  const online = onLine && reachable;
  net.textContent = !onLine ? "offline" : reachable ? "online" : "server unreachable";
  net.className = `net ${online ? "online" : "offline"}`;
}

export function renderLastSync(device, iso) {
  $("last-sync").textContent = iso ? formatTime(device, iso) : "never";
}

/// `counts`: `{queued, rejected}`, or null when the device's storage could not be read.
export function renderCounts(counts) {
  if (!counts) {
    $("queue-count").textContent = "?";
    return;
  }
  $("queue-count").textContent = String(counts.queued);
  $("rejected-count").textContent = String(counts.rejected);
  $("rejected").className = `rejected${counts.rejected > 0 ? " warn" : ""}`;
}

// ---------------------------------------------------------------------------------------
// Verdicts.

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

/// The server's words for a refusal reason, as it sent them at pairing and refresh.
function messageFor(device, reason) {
  const messages = (device && device.refusal_messages) || {};
  return messages[reason] || "Refused";
}

/// The server's words for a badge already let in, as it sent them at pairing and refresh.
function duplicateMessage(device) {
  return (device && device.duplicate_message) || "Already scanned";
}

/// A scan of `nonce` was read: only its verdicts are shown from now on.
export function expectVerdict(nonce) {
  latestNonce = nonce;
  latestFromServer = false;
}

/// No scan is on screen any more (the device was lost).
export function forgetVerdict() {
  latestNonce = null;
}

/// A badge was read before staff chose the room: nothing is scanned.
export function showNoRoom() {
  latestNonce = null;
  showResult("refused", NO_ROOM, "Not scanned", null, "local");
  beep("refused");
}

/// The scan could not be written to the device's storage.
export function showNotSaved(nonce) {
  showResult("refused", "Scan not saved", "Storage error — try again", nonce, "local");
}

/// The device's own verdict, unless a later scan or the server's verdict is on screen;
/// `online` whether the server could be reached.
export function showLocalVerdict(device, nonce, verdict, online) {
  if (nonce !== latestNonce || latestFromServer) return;
  const pending = online ? "Checking…" : "Offline — saved, will sync";
  if (verdict.decision === "accepted") {
    showResult("accepted", "Badge accepted", pending, nonce, "local");
    beep("accepted");
  } else if (verdict.decision === "duplicate") {
    showResult("duplicate", duplicateMessage(device), pending, nonce, "local");
    beep("duplicate");
  } else if (verdict.decision === "refused") {
    showResult("refused", messageFor(device, verdict.reason), "Not admitted", nonce, "local");
    beep("refused");
  } else {
    showResult("idle", "Badge read", pending, nonce, "local");
  }
}

/// The title of a session of this event, from the last device state refresh.
function sessionTitle(device, id) {
  const s = device && (device.sessions || []).find((x) => x.id === id);
  return s ? s.title : "";
}

/// The server's verdict on a scan, if that scan is the one on screen.
export function showServerVerdict(device, result) {
  if (result.nonce !== latestNonce) return;
  const first = !latestFromServer;
  latestFromServer = true;
  const shown = $("result").dataset.state;
  const name = typeof result.first_name === "string" ? result.first_name : "";
  const session = sessionTitle(device, result.session_id);
  if (result.decision === "accepted") {
    showResult("accepted", "Welcome", session || "Badge accepted", result.nonce, "server", name);
  } else if (result.decision === "duplicate") {
    showResult(
      "duplicate",
      result.message || duplicateMessage(device),
      session || "Let them through",
      result.nonce,
      "server",
      name,
    );
  } else {
    showResult(
      "refused",
      result.message || messageFor(device, result.reason),
      "Not admitted",
      result.nonce,
      "server",
    );
  }
  if (first && shown !== result.decision) beep(result.decision);
}

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
