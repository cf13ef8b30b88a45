// The service worker: keeps the kiosk app shell so the page opens without a network. API calls
// are never cached. Served through src/web/kiosk.rs, which fills in the cache name and files.
"use strict";

// The cache name (a hash of the shell's files, so it changes whenever one of them does) and
// the list of the shell's files, both from `FILES` in src/web/kiosk.rs:
/* CACHE and SHELL: written here by the server (src/web/kiosk.rs) */

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
