/* Service worker of the technician's phone, served as /my/sw.js (scope /my/) with
 * SHELL (the URLs the app needs to open) and CACHE_VERSION prepended by the server.
 *
 * Pages under /my/ are network-first: a fresh page when there is a network, the last
 * saved copy when there is none. Static files are cache-first (their names carry a
 * hash). POSTs are never touched: the page itself queues actions while offline. */
"use strict";
const CACHE = "fieldops-phone-" + CACHE_VERSION;

function saveAll(cache, urls) {
  return Promise.all(urls.map(function (url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (response.ok && !response.redirected) return cache.put(url, response);
    }).catch(function () {});
  }));
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return saveAll(cache, SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("fieldops-phone-") === 0 && key !== CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

// The page asks for today's job pages to be saved while it has a network.
self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "cache-pages" || !Array.isArray(event.data.urls)) return;
  const urls = event.data.urls.filter(function (url) { return typeof url === "string" && url.indexOf("/my/") === 0; });
  event.waitUntil(caches.open(CACHE).then(function (cache) { return saveAll(cache, urls); }));
});

function offlinePage() {
  return new Response(
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
    "<title>Offline</title><p>You are offline and this page was not saved on the phone yet. " +
    "<a href='/my/'>Back to today</a></p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { const copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(request, copy); }); }
        return response;
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/my/") !== 0 || url.pathname === "/my/sw.js") return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected && request.mode === "navigate") {
      const copy = response.clone();
      caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) {
      return hit || (request.mode === "navigate" ? offlinePage() : Response.error());
    });
  }));
});
