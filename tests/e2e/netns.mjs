/**
 * A "bad network" for one browser: a network namespace joined to the host by an impaired link, and a cloudcourt server
 * reachable from both sides of it.
 *
 * The impairment is netem's (loss, delay with jitter, a total outage), per direction. This machine's kernel is built
 * without `sch_netem` (CONFIG_NET_SCH_NETEM is not set: `tc qdisc add … netem` answers "Specified qdisc kind is
 * unknown", and there are no modules to load), so the link is not a veth pair with netem on it but a pair of TUN
 * devices — one in the host namespace, one in the test's namespace — and a small process (`WIRE`, Python, standard
 * library only) that moves every IP packet from one to the other, dropping and delaying them as netem would:
 * `loss P` drops each packet independently with probability P, `delay D J` holds each packet D ± J (uniform, clipped at
 * 0, so packets may be reordered, as netem does without a rate) — the same as `tc qdisc … netem loss P delay D J`
 * without correlation. Like netem, packets already held keep their schedule when the settings change.
 *
 * Everything is undone by `close()` (the namespace is deleted, which deletes its device; the host device and the
 * process go too), and `sweep()` removes what a killed test run left behind.
 */

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { BINARY, CHROMIUM } from './server.mjs';

const run = promisify(execFile);

/** The tools (iproute2), with their error output in the message when they fail. */
async function ip(/** @type {string[]} */ ...args) {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    const e = /** @type {{stderr?: string, message: string}} */ (error);
    throw new Error(`ip ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/**
 * The wire: reads IP packets from the host's TUN device (downlink: towards the namespace) and from the namespace's
 * (uplink), and writes each to the other side after the direction's loss and delay. Commands on stdin, one JSON line
 * each, each answered by one JSON line: `{"set": {"up": {...}, "down": {...}}}` (loss 0–1, delay and jitter in ms) and
 * `{"stats": true}` (packets seen, dropped, delivered per direction).
 */
const WIRE = String.raw`
import ctypes, fcntl, heapq, json, os, random, select, struct, sys, time
TUNSETIFF, IFF_TUN, IFF_NO_PI, CLONE_NEWNET = 0x400454CA, 0x0001, 0x1000, 0x40000000

def tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd

host_dev, ns_dev, ns_path = sys.argv[1:4]
host = tun(host_dev)
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(os.open(ns_path, os.O_RDONLY), CLONE_NEWNET) != 0:
    raise OSError(ctypes.get_errno(), 'setns ' + ns_path)
ns = tun(ns_dev)

clean = {'loss': 0.0, 'delay': 0.0, 'jitter': 0.0}
dirs = {
    'up': {'src': ns, 'dst': host, 'cfg': dict(clean), 'seen': 0, 'dropped': 0, 'delivered': 0},
    'down': {'src': host, 'dst': ns, 'cfg': dict(clean), 'seen': 0, 'dropped': 0, 'delivered': 0},
}
by_fd = {ns: dirs['up'], host: dirs['down']}
held = []  # (due, order, direction, packet)
order = 0
rng = random.Random()

def deliver(d, packet):
    try:
        os.write(d['dst'], packet)
        d['delivered'] += 1
    except BlockingIOError:
        d['dropped'] += 1

def answer(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()

def stats():
    return {name: {k: d[k] for k in ('seen', 'dropped', 'delivered')} for name, d in dirs.items()}

answer({'ready': True})
stdin = sys.stdin.fileno()
pending = b''
while True:
    now = time.monotonic()
    while held and held[0][0] <= now:
        _, _, name, packet = heapq.heappop(held)
        deliver(dirs[name], packet)
    timeout = max(0.0, held[0][0] - now) if held else 1.0
    readable, _, _ = select.select([host, ns, stdin], [], [], timeout)
    for fd in readable:
        if fd == stdin:
            chunk = os.read(stdin, 65536)
            if not chunk:
                sys.exit(0)
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                command = json.loads(line)
                if 'set' in command:
                    for name, cfg in command['set'].items():
                        dirs[name]['cfg'] = {**clean, **cfg}
                answer(stats())
            continue
        d = by_fd[fd]
        name = 'up' if d is dirs['up'] else 'down'
        for _ in range(64):
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                break
            d['seen'] += 1
            cfg = d['cfg']
            if cfg['loss'] > 0 and rng.random() < cfg['loss']:
                d['dropped'] += 1
                continue
            wait = cfg['delay'] + (rng.uniform(-cfg['jitter'], cfg['jitter']) if cfg['jitter'] > 0 else 0.0)
            if wait <= 0 and not held:
                deliver(d, packet)
            else:
                order += 1
                heapq.heappush(held, (time.monotonic() + max(0.0, wait) / 1000.0, order, name, packet))
`;

/**
 * @typedef {{loss?: number, delay?: number, jitter?: number}} Impairment loss 0–1; delay and jitter in ms
 * @typedef {{seen: number, dropped: number, delivered: number}} WireCount
 * @typedef {{up: WireCount, down: WireCount}} WireStats up: from the namespace to the host; down: the other way
 */

/**
 * @typedef {Object} BadNetwork
 * @property {string} name the namespace
 * @property {string} hostIp the host's end of the link (the server listens here)
 * @property {string} nsIp the namespace's end
 * @property {string} chromium an executable that runs Chromium inside the namespace (for `executablePath`)
 * @property {(up: Impairment, down?: Impairment) => Promise<WireStats>} impair both directions (`down` defaults to `up`)
 * @property {() => Promise<WireStats>} stats
 * @property {() => Promise<void>} close
 */

/** Names of what one test run makes, from its process id (interface names: at most 15 characters). */
function names(/** @type {number} */ pid) {
  return { ns: `cc-netem-${pid}`, hostDev: `ccw${pid}h`, nsDev: `ccw${pid}n` };
}

/**
 * Remove namespaces and devices that test runs which no longer run left behind (killed before their `close()`).
 */
export async function sweep() {
  const listed = await ip('netns', 'list').catch(() => '');
  for (const match of listed.matchAll(/^cc-netem-(\d+)\b/gm)) {
    const pid = Number(match[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    const { ns, hostDev } = names(pid);
    await ip('netns', 'delete', ns).catch(() => {});
    await ip('link', 'delete', hostDev).catch(() => {});
  }
}

/** @param {number} pid */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A subnet 10.78.<n>.0/24 that no interface of the host uses.
 * @returns {Promise<number>}
 */
async function freeSubnet() {
  const used = await ip('-4', '-o', 'addr', 'show');
  for (let i = 0; i < 250; i++) {
    const n = ((process.pid + i) % 250) + 1;
    if (!used.includes(`10.78.${n}.`)) return n;
  }
  throw new Error('no free 10.78.<n>.0/24 subnet');
}

/**
 * Make the namespace, its link to the host and the wire between them (clean until `impair`).
 * @returns {Promise<BadNetwork>}
 */
export async function badNetwork() {
  await sweep();
  const { ns, hostDev, nsDev } = names(process.pid);
  const n = await freeSubnet();
  const hostIp = `10.78.${n}.1`;
  const nsIp = `10.78.${n}.2`;
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-netem-'));
  /** @type {import('node:child_process').ChildProcessWithoutNullStreams | null} */
  let wire = null;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (wire && wire.exitCode === null && wire.signalCode === null) {
      const exited = new Promise((resolve) => wire?.once('exit', resolve));
      wire.kill('SIGTERM');
      await exited;
    }
    await ip('netns', 'delete', ns).catch(() => {});
    await ip('link', 'delete', hostDev).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await ip('netns', 'add', ns);
    await ip('tuntap', 'add', 'dev', hostDev, 'mode', 'tun');
    await ip('tuntap', 'add', 'dev', nsDev, 'mode', 'tun');
    await ip('link', 'set', nsDev, 'netns', ns);
    await ip('addr', 'add', hostIp, 'peer', `${nsIp}/32`, 'dev', hostDev);
    await ip('link', 'set', hostDev, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'addr', 'add', nsIp, 'peer', `${hostIp}/32`, 'dev', nsDev);
    await ip('-n', ns, 'link', 'set', nsDev, 'up');
    // Everything else goes that way too (and nowhere further): Chromium finds its "default" interface by a route.
    await ip('-n', ns, 'route', 'add', 'default', 'via', hostIp, 'dev', nsDev);

    const script = path.join(dir, 'wire.py');
    await writeFile(script, WIRE);
    const child = spawn('python3', ['-u', script, hostDev, nsDev, `/var/run/netns/${ns}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    wire = child;
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8192);
    });
    /** @type {Array<{resolve: (v: any) => void, reject: (e: Error) => void}>} */
    const waiting = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
    child.once('exit', (code, signal) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`the wire stopped (code ${code}, signal ${signal}): ${stderr}`));
    });
    /** @param {object | null} command @returns {Promise<any>} */
    const ask = (command) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (command) child.stdin.write(`${JSON.stringify(command)}\n`);
      });
    await ask(null);

    const chromium = path.join(dir, 'chromium-in-netns');
    await writeFile(chromium, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
    await chmod(chromium, 0o755);

    return {
      name: ns,
      hostIp,
      nsIp,
      chromium,
      impair: (up, down = up) => ask({ set: { up, down } }),
      stats: () => ask({ stats: true }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Start `cloudcourt demo` listening (HTTP, and the SFU's UDP and TCP port) on `host` only, with a fresh data dir, so
 * that the host's browsers and the namespace's reach it at the same address. (server.mjs's `startServer` listens on
 * 127.0.0.1, which a namespace cannot reach.)
 * @param {string} host an address of this machine
 * @returns {Promise<import('./server.mjs').RunningServer>}
 */
export async function startServerOn(host) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cloudcourt-e2e-'));
  const password = `e2e-${randomBytes(12).toString('base64url')}`;
  const args = ['demo', '--listen', `${host}:0`, '--data-dir', dataDir, '--demo-password', password];
  const child = spawn(BINARY, args, {
    cwd: dataDir,
    env: { ...process.env, CLOUDCOURT_MEDIA__BIND: `${host}:0` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const limit = 64 * 1024;
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
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
    child.kill('SIGKILL');
    await exited;
  };
  const pattern = new RegExp(`http://${host.replaceAll('.', '\\.')}:[1-9]\\d*`);
  try {
    /** @type {string} */
    const url = await new Promise((resolve, reject) => {
      const fail = (/** @type {string} */ why) => {
        clearTimeout(timer);
        reject(new Error(`cloudcourt did not start: ${why}\ncommand: ${BINARY} ${args.join(' ')}\n${output()}`));
      };
      const timer = setTimeout(() => fail('no URL on stdout within 60 s'), 60_000);
      child.stdout.on('data', (chunk) => {
        stdout = (stdout + chunk.toString('utf8')).slice(-limit);
        const match = pattern.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
      child.stderr.on('data', (chunk) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-limit);
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
