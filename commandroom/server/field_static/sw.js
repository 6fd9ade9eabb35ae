/* The field app's service worker: keeps the app shell on the phone so it opens without signal, and every
   base-map tile the phone has shown (the county server's own, of the person's area), so the map opens
   without signal too. No other API answer is ever given from here (the page queues its acts itself). */
'use strict';
const CACHE = 'cr-field-shell-v2';
const TILES = 'cr-field-tiles-v1';  // the page deletes it on sign-out (tiles are of one account's area)
const TILE_PATH = '/api/v1/field/tiles/';
const SHELL = ['/field/', '/field/app.js', '/field/app.css', '/field/manifest.json',
               '/field/icon-192.png', '/field/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('cr-field-shell-') && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(TILE_PATH)) {
    // a tile never changes within a base-map version: the kept one first, else the server's (then kept)
    event.respondWith(caches.open(TILES).then(async (cache) => {
      const kept = await cache.match(req);
      if (kept) return kept;
      const resp = await fetch(req);
      if (resp.ok) await cache.put(req, resp.clone());
      return resp;
    }));
    return;
  }
  if (!(url.pathname === '/field' || url.pathname.startsWith('/field/'))) return;
  const key = url.pathname === '/field' ? '/field/' : url.pathname;
  // the cached shell at once (weak signal must not stall the start); a fresh copy replaces it for next time
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(key);
    const fresh = fetch(req).then((resp) => {
      if (resp && resp.ok) cache.put(key, resp.clone());
      return resp;
    }).catch(() => null);
    if (cached) {
      event.waitUntil(fresh);
      return cached;
    }
    const resp = await fresh;
    return resp || new Response('外勤应用尚未缓存到本机，请在有信号时打开一次。',
      {status: 503, headers: {'Content-Type': 'text/plain; charset=utf-8'}});
  }));
});
