/**
 * Service worker of the litigants' client page (/d and /d/{会议号}), registered with scope `/`.
 * Install: precache the page's shell (HTML, modules, CSS, icons, manifest). Fetch: the client page and the shell
 * files it loads are served from the cache at once and refreshed from the network behind it, so the page opens
 * fast and offline. `/api/*` is never cached, and other pages (the staff console) always go to the network.
 * Activate: caches of older versions are deleted. Bump VERSION whenever SHELL changes.
 */

const VERSION = '2026-11-28.2';
const CACHE_PREFIX = 'cloudcourt-client-';
const CACHE = `${CACHE_PREFIX}${VERSION}`;

/** The cached copy of the page served for /d and /d/{会议号}. */
const SHELL_PAGE = '/client/index.html';

/** Everything the client page loads (its module graph included); a test checks this list against the page. */
const SHELL = [
  SHELL_PAGE,
  '/client/app.js',
  '/components/cc-client-guide.js',
  '/components/cc-client-meeting.js',
  '/components/cc-client-permissions.js',
  '/components/cc-client-platform.js',
  '/components/cc-lang-switch.js',
  '/lib/api.js',
  '/lib/dom.js',
  '/lib/forms.js',
  '/lib/i18n.js',
  '/lib/install.js',
  '/lib/meeting.js',
  '/lib/platform.js',
  '/i18n/zh-CN.js',
  '/i18n/en.js',
  '/styles/court.css',
  '/styles/client.css',
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/icons/apple-touch-icon.png',
];
const SHELL_FILES = new Set(SHELL);

/** Paths that show the client page. */
const CLIENT_PAGE = /^\/d(\/\d{8})?\/?$/;

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)));
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    if (isClientPage(url.pathname)) event.respondWith(cacheFirst(event, SHELL_PAGE));
    return;
  }
  if (url.search || !SHELL_FILES.has(url.pathname)) return;
  event.respondWith(
    fromClientPage(event).then((ours) => (ours ? cacheFirst(event, url.pathname) : fetch(request))),
  );
});

/**
 * @param {string} pathname
 * @returns {boolean}
 */
function isClientPage(pathname) {
  return CLIENT_PAGE.test(pathname) || pathname === SHELL_PAGE;
}

/**
 * Whether the request comes from the client page (shared files loaded by the console are left to the network,
 * so the console never mixes cached and fresh modules).
 * @param {FetchEvent} event
 * @returns {Promise<boolean>}
 */
async function fromClientPage(event) {
  if (!event.clientId) return false;
  const client = await sw.clients.get(event.clientId);
  return client ? isClientPage(new URL(client.url).pathname) : false;
}

/**
 * Answer from the cache under `key` when it has it, refreshing the entry from the network meanwhile; else from
 * the network (and keep the answer).
 * @param {FetchEvent} event
 * @param {string} key
 * @returns {Promise<Response>}
 */
async function cacheFirst(event, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok && response.type === 'basic') await cache.put(key, await unredirected(response.clone()));
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

/**
 * A response that followed a redirect cannot answer a navigation; copy it into a plain one.
 * @param {Response} response
 * @returns {Promise<Response>}
 */
async function unredirected(response) {
  if (!response.redirected) return response;
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers: response.headers });
}
