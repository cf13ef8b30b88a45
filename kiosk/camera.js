// Module camera: camera scanning for the kiosk. Frames of the chosen camera, at most
// 1280x720's pixels and never stretched, decoded in a Web Worker (decoder.js), with the same
// badge held in view reported once, and the decode time of every frame measured on this
// device. Owns the camera's stream, its controls on screen, the worker and the decode
// statistics; what a code read means is the caller's (`init`'s `onCode`).

/// What the camera is asked for; it may give more.
const WIDTH = 640;
const HEIGHT = 480;
/// Pixels of the largest frame sent to the decoder: a 1280x720 camera's whole frame, where
/// halving it would lose a far badge that zxing-cpp reads in about 10 ms. jsQR, ten times
/// slower and more on such frames, gets 640x480's pixels.
const MAX_PIXELS = 1280 * 720;
const MAX_PIXELS_JSQR = WIDTH * HEIGHT;
/// The same code is reported again only after this many decoded frames without it.
const ABSENT_FRAMES_TO_REPEAT = 5;
/// Decode times kept for the rolling percentiles.
const WINDOW = 200;

const CHOSEN = "bt.kiosk.camera";

let onCode = () => {};
let worker = null;
let workerReady = null;
let decoder = null;
let stream = null;
let running = false;
let inFlight = false;
let frameId = 0;
const pending = new Map();
let lastCode = null;
let absentFrames = 0;
const decodeTimes = [];
let frames = 0;
/// Codes passed on to be scanned: a badge held in view counts once.
let codes = 0;
let diagTimer = null;
/// The size of the last frame sent, for the diagnostics line.
let frameSize = null;

const $ = (id) => document.getElementById(id);

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/// Decode time per frame over the last frames: `{decoder, frames, codes, window, p50, p95}`,
/// times in ms.
function stats() {
  const sorted = [...decodeTimes].sort((a, b) => a - b);
  return {
    decoder,
    frames,
    codes,
    window: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
  };
}

function renderDiag() {
  const s = stats();
  const fmt = (v) => (v === null ? "–" : `${v.toFixed(1)} ms`);
  $("camera-diag").textContent = s.decoder
    ? `${s.decoder} in a worker · ${frameSize ? `${frameSize.width}×${frameSize.height}` : "–"} · decode p50 ${fmt(s.p50)} · p95 ${fmt(s.p95)} · ${s.frames} frames`
    : "";
}

function startWorker(prefer) {
  const w = new Worker("/kiosk/decoder.js");
  const ready = new Promise((resolve, reject) => {
    w.addEventListener("message", function first(e) {
      if (e.data.type === "ready") {
        w.removeEventListener("message", first);
        resolve(e.data.decoder);
      }
    });
    w.addEventListener("error", (e) => reject(e.message || "decoder failed to start"));
  });
  w.postMessage({ type: "init", prefer });
  return { worker: w, ready };
}

function ensureWorker() {
  if (!worker) {
    const started = startWorker(null);
    worker = started.worker;
    workerReady = started.ready.then((name) => {
      decoder = name;
      return name;
    });
    worker.addEventListener("message", onResult);
  }
  return workerReady;
}

function onResult(e) {
  const m = e.data;
  if (m.type !== "result") return;
  const frame = pending.get(m.id);
  pending.delete(m.id);
  inFlight = false;
  if (m.decodeMs !== null && m.decodeMs !== undefined) {
    frames += 1;
    decodeTimes.push(m.decodeMs);
    if (decodeTimes.length > WINDOW) decodeTimes.shift();
    if (frames === 1) renderDiag();
  }
  if (!running) return;
  if (m.text) {
    const again = m.text === lastCode;
    absentFrames = 0;
    lastCode = m.text;
    if (!again) {
      codes += 1;
      onCode(m.text, { input: "camera", startedAt: frame ? frame.grabbedAt : performance.now(), capturedAt: frame ? frame.capturedAt : null });
    }
  } else if (++absentFrames >= ABSENT_FRAMES_TO_REPEAT) {
    lastCode = null;
  }
  if (framesSeen !== frameSent) grab();
}

/// Video frames seen by the page, and the one last sent to the worker.
let framesSeen = 0;
let frameSent = 0;
let lastMeta = null;
let watching = false;

/// Counts the camera's frames as the page gets them; a frame that arrives while the worker
/// is idle goes to it at once.
function watchFrames() {
  if (watching) return;
  watching = true;
  const video = $("camera-video");
  const schedule = () => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
    else setTimeout(() => onFrame(performance.now(), null), 33);
  };
  const onFrame = (now, meta) => {
    if (!running) {
      watching = false;
      return;
    }
    framesSeen += 1;
    lastMeta = meta;
    if (!inFlight) grab();
    schedule();
  };
  schedule();
}

/// The size a frame of `video` is sent at: its own, or scaled down, keeping its shape, to the
/// decoder's pixel budget.
function sizeFor(video) {
  const w = video.videoWidth || WIDTH;
  const h = video.videoHeight || HEIGHT;
  const budget = decoder === "jsQR" ? MAX_PIXELS_JSQR : MAX_PIXELS;
  const scale = Math.min(1, Math.sqrt(budget / (w * h)));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/// Sends the newest frame to the worker (see `sizeFor`), unless it is busy: called when
/// a frame arrives, and when the worker answers while a newer frame is waiting, so a badge
/// shown during a decode is taken as soon as the worker is free.
async function grab() {
  const video = $("camera-video");
  if (!running || inFlight || video.readyState < 2) return;
  inFlight = true;
  frameSent = framesSeen;
  const meta = lastMeta;
  const grabbedAt = performance.now();
  let bitmap;
  const size = sizeFor(video);
  try {
    bitmap = await createImageBitmap(video, {
      resizeWidth: size.width,
      resizeHeight: size.height,
      resizeQuality: "low",
    });
  } catch {
    inFlight = false;
    return;
  }
  if (!running) {
    bitmap.close();
    inFlight = false;
    return;
  }
  frameSize = size;
  const id = ++frameId;
  pending.set(id, { grabbedAt, capturedAt: meta && meta.captureTime ? meta.captureTime : null });
  worker.postMessage({ type: "frame", id, bitmap }, [bitmap]);
}

function explain(error) {
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Camera access was refused. Allow the camera for this page in the browser settings, or use the handheld scanner.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found on this device. Use the handheld scanner.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is busy in another app. Close that app and try again.";
    default:
      return "The camera could not start. Use the handheld scanner.";
  }
}

async function listCameras() {
  const select = $("camera-select");
  let cams = [];
  try {
    cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  } catch {
    cams = [];
  }
  const current = stream ? stream.getVideoTracks()[0].getSettings().deviceId : null;
  select.replaceChildren(
    ...cams.map((c, i) => {
      const o = document.createElement("option");
      o.value = c.deviceId;
      o.textContent = c.label || `Camera ${i + 1}`;
      o.selected = c.deviceId === current;
      return o;
    }),
  );
  $("camera-choice").hidden = cams.length < 2;
}

function renderButton() {
  const b = $("camera-toggle");
  b.textContent = running ? "Stop camera" : "Start camera";
  b.setAttribute("aria-pressed", String(running));
}

async function start(deviceId) {
  const message = $("camera-message");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    message.textContent = "This browser cannot use a camera on this page. Use the handheld scanner.";
    return false;
  }
  stop();
  message.textContent = "Starting the camera…";
  const chosen = deviceId || localStorage.getItem(CHOSEN) || undefined;
  const video = { width: { ideal: WIDTH }, height: { ideal: HEIGHT }, facingMode: "environment" };
  if (chosen) video.deviceId = { exact: chosen };
  try {
    await ensureWorker();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (e) {
      // A remembered camera that is gone: take any camera instead.
      if (!chosen || e.name !== "OverconstrainedError" && e.name !== "NotFoundError") throw e;
      delete video.deviceId;
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    }
  } catch (e) {
    stream = null;
    message.textContent = explain(e);
    renderButton();
    return false;
  }
  // Remembered before the video shows, so whoever sees the new camera also finds it saved.
  const id = stream.getVideoTracks()[0].getSettings().deviceId;
  if (id) localStorage.setItem(CHOSEN, id);
  const el = $("camera-video");
  el.srcObject = stream;
  el.hidden = false;
  try {
    await el.play();
  } catch {
    // Muted inline video plays without a gesture; if not, frames still arrive.
  }
  running = true;
  lastCode = null;
  absentFrames = 0;
  message.textContent = "Hold the badge in front of the camera";
  renderButton();
  listCameras();
  clearInterval(diagTimer);
  diagTimer = setInterval(renderDiag, 500);
  watchFrames();
  return true;
}

function stop() {
  running = false;
  inFlight = false;
  pending.clear();
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  const el = $("camera-video");
  if (el) {
    el.srcObject = null;
    el.hidden = true;
  }
  const message = $("camera-message");
  if (message) message.textContent = "";
  clearInterval(diagTimer);
  renderDiag();
  renderButton();
}

/// Decodes grey frames (one byte a pixel) one at a time in a fresh worker, with the
/// decoder asked for (`"jsQR"`, `"zxing-wasm"`, or null for the best this browser has):
/// what was read and how long each decode took. With `asCamera`, each frame reaches the
/// worker as an ImageBitmap, as camera frames do, and `frameMs` includes reading its pixels
/// there. For benchmarks on frames also given to other decoders.
async function measureGreyFrames(greyFrames, width, height, prefer, asCamera) {
  const { worker: w, ready } = startWorker(prefer);
  const name = await ready;
  const out = [];
  // The first frame once beforehand, not counted: compiling and first calls are paid once,
  // when the kiosk starts its camera.
  for (let i = greyFrames.length > 0 ? -1 : 0; i < greyFrames.length; i++) {
    const grey = greyFrames[Math.max(i, 0)];
    let message = { type: "frame", id: i, grey, width, height };
    let transfer = [];
    if (asCamera) {
      const rgba = new Uint8ClampedArray(width * height * 4);
      for (let p = 0, q = 0; p < grey.length; p++, q += 4) {
        rgba[q] = rgba[q + 1] = rgba[q + 2] = grey[p];
        rgba[q + 3] = 255;
      }
      const bitmap = await createImageBitmap(new ImageData(rgba, width, height));
      message = { type: "frame", id: i, bitmap };
      transfer = [bitmap];
    }
    const answer = await new Promise((resolve) => {
      w.onmessage = (e) => {
        if (e.data.type === "result") resolve(e.data);
      };
      w.postMessage(message, transfer);
    });
    if (i >= 0) out.push({ text: answer.text, decodeMs: answer.decodeMs, frameMs: answer.frameMs });
  }
  w.terminate();
  return { decoder: name, frames: out };
}

function init(handlers) {
  onCode = handlers.onCode;
  $("camera-toggle").addEventListener("click", () => (running ? stop() : start()));
  $("camera-select").addEventListener("change", (e) => start(e.target.value));
  renderButton();
}

/// The camera as the kiosk, tests and benchmarks use it.
export const camera = {
  init,
  start,
  stop,
  stats,
  measureGreyFrames,
  isRunning: () => running,
  hasBarcodeDetector: () => typeof BarcodeDetector !== "undefined",
};
