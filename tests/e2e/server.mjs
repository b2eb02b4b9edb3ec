/** Test helper: start `cloudcourt demo` on a free loopback port with a fresh data dir, and stop it afterwards. */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The binary under test: `CLOUDCOURT_BIN`, else the project's debug build. */
export const BINARY = process.env.CLOUDCOURT_BIN || '/var/tmp/cloudcourt-target/debug/cloudcourt';

/** Chromium: `CHROMIUM`, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Flags for headless Chromium in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const URL_PATTERN = /http:\/\/127\.0\.0\.1:[1-9]\d*/;
const START_TIMEOUT_MS = 60_000;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * @typedef {Object} RunningServer
 * @property {string} url base URL, e.g. http://127.0.0.1:41234
 * @property {string} password the demo staff password
 * @property {string} dataDir
 * @property {() => string} output what the server printed so far (stdout, then stderr)
 * @property {() => Promise<void>} stop kill the server and remove its data dir
 * @property {() => Promise<void>} crash `kill -9` the server, keeping its data dir (start again with `{dataDir, password}`)
 */

/**
 * Start `cloudcourt demo --listen 127.0.0.1:0 --data-dir <tmp> --demo-password <random>` and wait
 * until it prints its URL on stdout.
 * @param {{binary?: string, env?: NodeJS.ProcessEnv, dataDir?: string, password?: string}} [options] `dataDir` and
 *   `password`: start again on what a crashed server left
 * @returns {Promise<RunningServer>}
 */
export async function startServer(options = {}) {
  const binary = options.binary ?? BINARY;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'cloudcourt-e2e-')));
  const password = options.password ?? `e2e-${randomBytes(12).toString('base64url')}`;
  const args = ['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--demo-password', password];
  const child = spawn(binary, args, {
    cwd: dataDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const keep = (/** @type {string} */ all, /** @type {Buffer} */ chunk) => (all + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const crash = async () => {
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  try {
    const url = await new Promise((resolve, reject) => {
      const fail = (/** @type {string} */ why) => {
        clearTimeout(timer);
        reject(new Error(`cloudcourt did not start: ${why}\ncommand: ${binary} ${args.join(' ')}\n${output()}`));
      };
      const timer = setTimeout(() => fail(`no URL on stdout within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      child.stdout.on('data', (chunk) => {
        stdout = keep(stdout, chunk);
        const match = URL_PATTERN.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
      child.stderr.on('data', (chunk) => {
        stderr = keep(stderr, chunk);
      });
      child.once('error', (error) => fail(`spawn failed: ${error.message}`));
      child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    });
    return { url, password, dataDir, output, stop, crash };
  } catch (error) {
    await stop();
    throw error;
  }
}
