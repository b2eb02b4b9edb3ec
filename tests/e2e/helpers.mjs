/** Shared bits of the browser tests: where screenshots go, polling, the demo's meeting number, page problem collection. */

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
