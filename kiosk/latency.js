// Module latency: the time from an input (Enter key, camera frame) to its result on screen, for
// the diagnostics and benchmarks (`window.kiosk.latencies`). Owns the records and the scans
// still being timed.

/// One record per scan shown: `{nonce, input, online, shownMs, capturedAt, shownAt,
/// paintedMs, serverMs}`, the oldest dropped past 5,000.
export const latencies = [];
const timings = new Map();

/// Starts timing a scan: `timing` is `{input, startedAt, capturedAt}` (performance.now()),
/// `online` whether the kiosk could reach the server when it was read.
export function startTiming(nonce, timing, online) {
  timings.set(nonce, { ...timing, online });
}

/// A verdict for `nonce` is on screen, the device's own (`local`) or the server's (`server`).
export function recordShown(nonce, source) {
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
