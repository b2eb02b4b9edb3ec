/**
 * Shared bits of the browser tests: where screenshots go, polling, the demo's meeting number, page problem collection,
 * and serving the working tree's web/ instead of the binary's embedded copy (`webFromDisk`).
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Screenshots (and failure shots) land here. */
export const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-results');

/**
 * Poll `check` until it stops throwing (or the time is up, then rethrow its last error).
 * @param {() => Promise<void>} check
 * @param {number} [timeoutMs]
 * @param {number} [intervalMs]
 */
export async function eventually(check, timeoutMs = 10_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * The demo hearing's meeting number, as `cloudcourt demo` prints it in its banner.
 * @param {string} output the server's output
 * @returns {string} 8 digits
 */
export function demoMeetingNumber(output) {
  const match = /meeting number:\s*(\d{8})/.exec(output);
  if (!match?.[1]) throw new Error(`no meeting number in the demo banner:\n${output}`);
  return match[1];
}

/**
 * Collect script errors and CSP violations of a page (failed loads — expected 401/404/409/422 answers — are not problems).
 * @param {import('playwright-core').Page} page
 * @returns {string[]} filled as the page runs
 */
export function collectProblems(page) {
  /** @type {string[]} */
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}

/**
 * Width and height of a PNG, from its IHDR chunk.
 * @param {Uint8Array} bytes
 * @returns {{width: number, height: number}}
 */
export function pngSize(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The working tree's web client. */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

/**
 * `CC_WEB_FROM_DISK=1` (or the older `CC_E2E_WEB=disk`): the pages load web/ from this checkout instead of the copy
 * the binary embedded when it was built (for a binary built before the latest web changes); the API still comes from
 * the server.
 */
export const WEB_FROM_DISK = process.env.CC_WEB_FROM_DISK === '1' || process.env.CC_E2E_WEB === 'disk';

/**
 * Chromium flags for `webFromDisk`: pages fulfilled by the test have no address, so Chrome's local network checks
 * would block their WebSocket to 127.0.0.1.
 */
export const WEB_FROM_DISK_ARGS = WEB_FROM_DISK ? ['--disable-features=LocalNetworkAccessChecks'] : [];

/** The server's policy for pages (crates/server/src/http/mod.rs), kept on pages served from disk. */
const PAGE_CSP =
  "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const CONTENT_TYPES = /** @type {Record<string, string>} */ ({
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
});

/**
 * The file of web/ that answers a page address, as the server maps them (/join/{会议号} and /d/{会议号} are pages).
 * @param {string} pathname
 * @returns {string}
 */
function webFileOf(pathname) {
  if (/^\/join(\/\d*)?$/.test(pathname)) return '/join/index.html';
  if (/^\/d(\/\d*)?$/.test(pathname)) return '/client/index.html';
  if (pathname === '/') return '/console/index.html';
  return pathname.endsWith('/') ? `${pathname}index.html` : pathname;
}

/**
 * With `WEB_FROM_DISK`, answer a context's requests for the pages, modules and styles from the working tree's web/
 * (launch the browser with `WEB_FROM_DISK_ARGS`). Without it, nothing changes.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} serverUrl
 */
export async function webFromDisk(context, serverUrl) {
  if (!WEB_FROM_DISK) return;
  const origin = new URL(serverUrl).origin;
  await context.route(
    (url) => url.origin === origin && !url.pathname.startsWith('/api/'),
    async (route) => {
      const url = new URL(route.request().url());
      const file = path.join(WEB_DIR, decodeURIComponent(webFileOf(url.pathname)));
      if (!file.startsWith(WEB_DIR)) return route.fallback();
      try {
        const body = await readFile(file);
        return route.fulfill({
          body,
          contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          headers: { 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' },
        });
      } catch {
        return route.fallback();
      }
    },
  );
}
