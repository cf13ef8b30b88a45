// Decodes camera frames off the page's main thread: the browser's BarcodeDetector where it
// reads QR codes, otherwise the vendored jsQR. The page sends one frame at a time and the
// next only after the answer, so frames never pile up here.
"use strict";

const WIDTH = 640;
const HEIGHT = 480;

let detector = null;
let decoder = null;
let canvas = null;
let context = null;

async function init(prefer) {
  detector = null;
  if (prefer !== "jsQR" && typeof BarcodeDetector !== "undefined") {
    try {
      const formats = await BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        detector = new BarcodeDetector({ formats: ["qr_code"] });
      }
    } catch {
      detector = null;
    }
  }
  if (!detector && typeof jsQR === "undefined") importScripts("/kiosk/vendor/jsQR.js");
  decoder = detector ? "BarcodeDetector" : "jsQR";
  return decoder;
}

/// The frame's pixels at 640x480 (RGBA), drawn here so the page's thread never reads them.
function pixelsOfBitmap(bitmap) {
  if (!canvas) {
    canvas = new OffscreenCanvas(WIDTH, HEIGHT);
    context = canvas.getContext("2d", { willReadFrequently: true });
  }
  context.drawImage(bitmap, 0, 0, WIDTH, HEIGHT);
  return context.getImageData(0, 0, WIDTH, HEIGHT);
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

async function decode(message) {
  const started = performance.now();
  const image = message.bitmap
    ? detector
      ? message.bitmap
      : pixelsOfBitmap(message.bitmap)
    : pixelsOfGrey(message.grey, message.width, message.height);
  const t0 = performance.now();
  let text = null;
  if (detector) {
    const codes = await detector.detect(image);
    text = codes.length > 0 ? codes[0].rawValue : null;
  } else {
    // Badges are printed dark on light, so the inverted pass would only double the cost.
    const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    text = code ? code.data : null;
  }
  const finished = performance.now();
  return { text, decodeMs: finished - t0, frameMs: finished - started };
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
