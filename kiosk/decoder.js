// Worker decoder: decodes camera frames off the page's main thread. A classic worker script,
// not an ES module, so it can `importScripts` the vendored IIFE builds (and start in browsers
// without module workers); it shares nothing with the page but its messages (camera.js). The browser's own BarcodeDetector where it
// reads QR codes; otherwise zxing-cpp compiled to WebAssembly (vendor/zxing-wasm), which reads
// far, tilted, blurred, dim and noisy badges that jsQR misses, in less time; jsQR only where
// WebAssembly cannot run (iOS Lockdown Mode turns it off, a policy may forbid compiling it).
// The page sends one frame at a time and the next only after the answer, so frames never
// pile up here.
"use strict";

const ZXING_DIR = "/kiosk/vendor/zxing-wasm/";
/// A module that has not compiled by then is taken as unable to: the kiosk falls back to jsQR
/// rather than scan nothing.
const ZXING_START_MS = 10000;

/// What zxing-cpp looks for. Badges are QR codes printed dark on light, one per frame, so the
/// inverted pass, the 90-degree turns (its QR detector finds any angle already) and the other
/// formats would only add time. A second pass at half size, which zxing-cpp makes by default
/// only on frames over 500 px high, is made from 400 px: it reads badges whose modules glare
/// or noise spoil at full size (one glare frame of `benches/camera_decode.rs` that native
/// zxing-cpp read needed it), at a quarter of the pixels and no cost the benchmark could see.
const ZXING_OPTIONS = {
  formats: ["QRCode"],
  tryHarder: true,
  tryRotate: false,
  tryInvert: false,
  tryDownscale: true,
  downscaleThreshold: 400,
  downscaleFactor: 2,
  maxNumberOfSymbols: 1,
};

let detector = null;
let decoder = null;
let canvas = null;
let context = null;

/// Loads zxing-cpp's reader with its .wasm from this server: the package would otherwise fetch
/// it from a CDN, which a kiosk offline cannot reach (and the service worker keeps our copy).
async function startZxing() {
  if (typeof ZXingWASM === "undefined") importScripts(`${ZXING_DIR}zxing-reader.js`);
  const wasm = new URL(ZXING_DIR, self.location.origin).href;
  const module = ZXingWASM.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm + path : prefix + path),
    },
    fireImmediately: true,
  });
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("zxing-wasm did not start")), ZXING_START_MS);
  });
  try {
    await Promise.race([module, late]);
  } finally {
    clearTimeout(timer);
  }
}

/// `prefer`: `"jsQR"` or `"zxing-wasm"` to measure that one, or null for the best this
/// browser has.
async function init(prefer) {
  detector = null;
  if (!prefer && typeof BarcodeDetector !== "undefined") {
    try {
      const formats = await BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        detector = new BarcodeDetector({ formats: ["qr_code"] });
        decoder = "BarcodeDetector";
        return decoder;
      }
    } catch {
      detector = null;
    }
  }
  if (prefer !== "jsQR" && typeof WebAssembly !== "undefined") {
    try {
      await startZxing();
      decoder = "zxing-wasm";
      return decoder;
    } catch (e) {
      // Falls through to jsQR, slower and weaker but plain JavaScript.
      console.warn("kiosk decoder: zxing-wasm unavailable, using jsQR:", e);
    }
  }
  if (typeof jsQR === "undefined") importScripts("/kiosk/vendor/jsQR.js");
  decoder = "jsQR";
  return decoder;
}

/// The frame's pixels (RGBA) at its own size, drawn here so the page's thread never reads them.
function pixelsOfBitmap(bitmap) {
  const { width, height } = bitmap;
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    context = canvas.getContext("2d", { willReadFrequently: true });
  }
  context.drawImage(bitmap, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

/// A grey frame (one byte a pixel) as RGBA, for measuring on exactly the frames zbar reads.
function pixelsOfGrey(grey, width, height) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
    rgba[j] = rgba[j + 1] = rgba[j + 2] = grey[i];
    rgba[j + 3] = 255;
  }
  return new ImageData(rgba, width, height);
}

async function read(image) {
  if (decoder === "BarcodeDetector") {
    const codes = await detector.detect(image);
    return codes.length > 0 ? codes[0].rawValue : null;
  }
  if (decoder === "zxing-wasm") {
    const codes = await ZXingWASM.readBarcodes(image, ZXING_OPTIONS);
    const read = codes.find((c) => c.isValid);
    return read ? read.text : null;
  }
  // Badges are printed dark on light, so the inverted pass would only double the cost.
  const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
  return code ? code.data : null;
}

/// `decodeMs` is the decoder's own time; `frameMs` adds reading the frame's pixels, which is
/// what a camera frame costs the device.
async function decode(message) {
  const started = performance.now();
  const image = message.bitmap
    ? detector
      ? message.bitmap
      : pixelsOfBitmap(message.bitmap)
    : pixelsOfGrey(message.grey, message.width, message.height);
  const t0 = performance.now();
  const text = await read(image);
  const finished = performance.now();
  return {
    text,
    decodeMs: finished - t0,
    frameMs: message.bitmap ? finished - started : null,
  };
}

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "init") {
    self.postMessage({ type: "ready", decoder: await init(message.prefer) });
    return;
  }
  if (message.type !== "frame") return;
  let answer;
  try {
    answer = await decode(message);
  } catch (e) {
    answer = { text: null, decodeMs: null, frameMs: null, error: String(e) };
  } finally {
    if (message.bitmap) message.bitmap.close();
  }
  self.postMessage({ type: "result", id: message.id, decoder, ...answer });
};
