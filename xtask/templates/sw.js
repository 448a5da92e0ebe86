// Foldlab's service worker: the app opens and works offline after one visit.
//
// This is a template: `cargo xtask build` (xtask/src/offline.rs) writes it into the build as sw.js
// with the build's version and the list of its files, each with the SRI hash of its contents.
//
// - install: every file of this version is fetched and checked against its hash, then cached
//   (a file already in the browser's HTTP cache is taken from there when its bytes still match,
//   so the first visit does not download the app twice). One file that fails fails the install,
//   and the version that was running stays: a version is cached whole or not at all.
// - waiting: a new version never takes over by itself (a teacher may be mid-lesson); the page
//   shows a banner, and its button posts "skip-waiting", after which the page reloads.
// - activate: the caches of this site's other versions are deleted.
// - fetch: the build's files come from the cache; a navigation anywhere under the scope is answered
//   with the page GitHub Pages would serve for it (the file, `path.html`, `path/index.html`, or
//   404.html with status 404). Anything else goes to the network untouched.
'use strict';

const VERSION = "__FOLDLAB_VERSION__";
const FILES = "__FOLDLAB_FILES__";

const SCOPE = new URL(self.registration.scope);
// Cache names carry the scope, so that another site on the same origin (GitHub Pages serves
// every project of a user from one origin) keeps its caches.
const PREFIX = `foldlab ${SCOPE.pathname} `;
const CACHE = PREFIX + VERSION;
const PATHS = new Set(FILES.map((file) => file.path));

function urlOf(path) {
  return new URL(path, SCOPE).href;
}

async function fetchChecked(file) {
  const url = urlOf(file.path);
  try {
    return await fetch(url, { integrity: file.integrity });
  } catch {
    // A copy from before this deploy (still fresh in the HTTP cache) does not match: ask the server.
    return fetch(url, { integrity: file.integrity, cache: 'reload' });
  }
}

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    FILES.map(async (file) => {
      if (await cache.match(urlOf(file.path))) return;
      const response = await fetchChecked(file);
      if (!response.ok) throw new Error(`${file.path}: ${response.status}`);
      await cache.put(urlOf(file.path), response);
    }),
  );
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

// The file GitHub Pages answers a path with, if this version has it.
function pageFor(path) {
  const candidates = path === '' || path.endsWith('/') ? [`${path}index.html`] : [path, `${path}.html`, `${path}/index.html`];
  return candidates.find((candidate) => PATHS.has(candidate));
}

async function fromCache(path, request) {
  const hit = await caches.match(urlOf(path), { cacheName: CACHE });
  return hit ?? fetch(request);
}

async function page(path, request) {
  const file = pageFor(path);
  if (file) return fromCache(file, request);
  const notFound = await caches.match(urlOf('404.html'), { cacheName: CACHE });
  if (!notFound) return fetch(request);
  return new Response(notFound.body, { status: 404, statusText: 'Not Found', headers: notFound.headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin) return;
  if (request.mode === 'navigate' && `${url.pathname}/` === SCOPE.pathname) {
    // Pages redirects /foldlab to /foldlab/, so relative URLs resolve inside the site.
    event.respondWith(Response.redirect(SCOPE.href, 301));
    return;
  }
  if (!url.pathname.startsWith(SCOPE.pathname)) return;
  let path;
  try {
    path = decodeURIComponent(url.pathname.slice(SCOPE.pathname.length));
  } catch {
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(page(path, request));
  } else if (PATHS.has(path)) {
    event.respondWith(fromCache(path, request));
  }
});
