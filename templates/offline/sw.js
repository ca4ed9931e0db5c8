/* 安居 service worker (served at /sw.js by core.views.service_worker).
 *
 * Keeps what a phone needs without signal: the app's own assets (cache first), and the pages
 * recorded on site (network first; offline, the last copy seen). Offline, a household form
 * not opened before is the same form of another household: offline.js fills in the household
 * from the list the user took offline. Entries made offline are kept by offline.js in
 * IndexedDB, not here. */
'use strict';

var VERSION = '{{ version }}';
var ASSETS_CACHE = 'anju-assets-' + VERSION;
var PAGES_CACHE = 'anju-pages';
var ASSETS = [{% for url in assets %}'{{ url|escapejs }}'{% if not forloop.last %}, {% endif %}{% endfor %}];
var PAGES = [{% for pattern in page_patterns %}new RegExp('{{ pattern|escapejs }}'){% if not forloop.last %}, {% endif %}{% endfor %}];
var STATIC_PREFIX = '{{ static_prefix|escapejs }}';
var FIELD_URL = '{{ field_url|escapejs }}';
var HOUSEHOLD_FORM = /^\/inspections\/households\/\d+\/(inspections|hazards)\/new\/$/;

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(ASSETS_CACHE)
      .then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf('anju-assets-') === 0 && key !== ASSETS_CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// Signing out forgets the pages kept for this user (offline.js asks).
self.addEventListener('message', function (event) {
  if (event.data === 'forget-pages') event.waitUntil(caches.delete(PAGES_CACHE));
});

function offlinePage() {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(FIELD_URL);
  }).then(function (field) {
    return field || new Response(
      '<!DOCTYPE html><html lang="zh-Hans"><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>没有网络 · 安居</title><p>当前没有网络，此页面没有保存在本机。</p>' +
      '<p>有网络时打开“离线外业”页面，即可离线查询农户、录入排查和隐患上报。</p></html>',
      { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } }
    );
  });
}

// Offline, a household form never opened: the same form of another household, if kept.
function sameFormOfAnotherHousehold(cache, path) {
  var kind = path.match(HOUSEHOLD_FORM);
  if (!kind) return Promise.resolve(undefined);
  return cache.keys().then(function (requests) {
    for (var i = 0; i < requests.length; i++) {
      var other = new URL(requests[i].url).pathname.match(HOUSEHOLD_FORM);
      if (other && other[1] === kind[1]) return cache.match(requests[i]);
    }
    return undefined;
  });
}

function networkFirst(request, path) {
  return fetch(request).then(function (response) {
    // Only the page itself: not a redirect to the sign-in page, not an error page.
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(path).then(function (hit) {
        return hit || sameFormOfAnotherHousehold(cache, path);
      });
    }).then(function (hit) { return hit || offlinePage(); });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (request.mode !== 'navigate') return;
  if (PAGES.some(function (pattern) { return pattern.test(url.pathname); })) {
    event.respondWith(networkFirst(request, url.pathname));
    return;
  }
  event.respondWith(fetch(request).catch(offlinePage));
});
