// Keeps the kiosk app shell so the page opens without a network. API calls are never cached.
"use strict";

const CACHE = "badgetrail-kiosk-v9";
const SHELL = [
  "/kiosk",
  "/kiosk/kiosk.js",
  "/kiosk/screen.js",
  "/kiosk/sync.js",
  "/kiosk/device.js",
  "/kiosk/latency.js",
  "/kiosk/store.js",
  "/kiosk/badge.js",
  "/kiosk/door.js",
  "/kiosk/camera.js",
  "/kiosk/decoder.js",
  "/kiosk/vendor/jsQR.js",
  "/kiosk/vendor/jsQR.LICENSE",
  "/kiosk/vendor/zxing-wasm/zxing-reader.js",
  "/kiosk/vendor/zxing-wasm/zxing_reader.wasm",
  "/kiosk/vendor/zxing-wasm/LICENSE",
  "/kiosk/vendor/zxing-wasm/zxing-cpp.LICENSE",
  "/kiosk/kiosk.css",
  "/kiosk/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// Network first, so a kiosk online always runs the newest version; the cache when offline.
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(url.pathname, copy));
        }
        return res;
      })
      .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
  );
});
