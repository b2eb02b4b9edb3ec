/**
 * Two cloudcourt nodes on one PostgreSQL database and one S3 bucket (moto), behind a round-robin TCP balancer as nginx
 * would be, serving one hearing: the clerk (PC) and a party (phone) in Chromium through the balancer, a bot straight at
 * each node.
 *
 * 1. Every event reaches every participant whichever node they reach: the party sees the clerk's and both bots' video
 *    and hears them; the clerk's room shows the party's and both bots' tiles and the party's picture; 开庭 made on one
 *    node reaches the party's live channel, and a transcript version saved on the other shows in the party's 查看笔录.
 *    (The two-node integration test, crates/server/tests/cluster.rs, checks the roster, state, transcript and evidence
 *    messages one by one, numbered alike on both nodes.)
 * 2. Under load (bots publishing, the clerk saving the transcript several times a second, the party's upload in
 *    flight), the node the hearing's media runs on is killed (`kill -9`). The other node takes the hearing over: the
 *    party's live channel is back within 5 s and the media soon after, every transcript save and chunk acknowledged
 *    before or after is kept, the upload completes with the file's SHA-256; the killed node, started again, recovers its
 *    recording segment (an `interruption` gap), the survivor records on in a new segment until 闭庭, both segments are
 *    listed from the shared store with every file reading back with its SHA-256 and passing ffprobe, and
 *    `cloudcourt audit verify` passes.
 *
 * Needs CLOUDCOURT_TEST_POSTGRES (an admin URL: a database is made and dropped) and CLOUDCOURT_TEST_MOTO (moto_server);
 * CLOUDCOURT_TEST_NO_S3=1 runs it on a blob directory the nodes share instead.
 */

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { WEB_FROM_DISK_ARGS, eventually } from './helpers.mjs';
import { MEDIA_ARGS, deskContext, enterRoom, inbound, phoneContext, tile } from './join-helpers.mjs';
import { BINARY, CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const run = promisify(execFile);
const BOT = process.env.CLOUDCOURT_BOT_BIN || '/var/tmp/cloudcourt-target/debug/cloudcourt-bot';
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];
const ADMIN_URL = process.env.CLOUDCOURT_TEST_POSTGRES;
const MOTO = process.env.CLOUDCOURT_TEST_MOTO;
const NO_S3 = process.env.CLOUDCOURT_TEST_NO_S3 === '1';

const PARTY = { name: '陈5', role: 'plaintiff', phone: '13600000051', masked: '136****0051', label: '原告 陈5' };
const BOT_A = { name: '林6', role: 'defendant', phone: '13600000062', label: '被告 林6' };
const BOT_B = { name: '何7', role: 'third_party', phone: '13600000073', label: '第三人 何7' };

/** A round-robin TCP balancer: each connection goes to the next node that accepts it (a dead one is skipped). */
async function balancer(/** @type {() => number[]} */ ports) {
  let next = 0;
  const server = net.createServer((client) => {
    client.pause();
    const candidates = ports();
    const start = next++;
    const attempt = (/** @type {number} */ tried) => {
      if (tried >= candidates.length) return client.destroy();
      const upstream = net.connect(candidates[(start + tried) % candidates.length], '127.0.0.1');
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        client.pipe(upstream).pipe(client);
        client.resume();
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        upstream.on('error', close).on('close', close);
        client.on('error', close).on('close', close);
      });
      upstream.once('error', () => attempt(tried + 1));
    };
    attempt(0);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {net.AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((resolve) => server.close(() => resolve(undefined))) };
}

/** moto_server on a free port with a fresh bucket. */
async function startMoto() {
  const child = spawn(/** @type {string} */ (MOTO), ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start:\n${log}`)), 30_000);
    child.stderr.on('data', (chunk) => {
      log += chunk.toString('utf8');
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', () => reject(new Error(`moto exited:\n${log}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = `cloudcourt-${randomBytes(6).toString('hex')}`;
  const made = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  assert.ok(made.ok, `bucket made: ${made.status}`);
  return { endpoint, bucket, stop: () => child.kill('SIGKILL') };
}

async function psql(/** @type {string} */ url, /** @type {string} */ sql) {
  const { stdout } = await run('psql', [url, '-At', '-c', sql]);
  return stdout.trim();
}

/** @param {string[]} args */
function startBot(args) {
  const child = spawn(BOT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString('utf8')).slice(-16 * 1024)));
  return { output: () => stderr, stop: () => child.kill('SIGTERM') };
}

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {{url: string, close: () => Promise<unknown>}} */
let lb;
/** @type {Awaited<ReturnType<typeof startServer>>[]} */
let nodes = [];
/** @type {Awaited<ReturnType<typeof startMoto>> | null} */
let moto = null;
let databaseUrl = '';
let configDir = '';
let password = '';

describe('two nodes on one PostgreSQL and one S3 store', () => {
  before(async () => {
    assert.ok(ADMIN_URL, 'CLOUDCOURT_TEST_POSTGRES names the PostgreSQL server (scripts/test sets it)');
    assert.ok(MOTO || NO_S3, 'CLOUDCOURT_TEST_MOTO names moto_server (scripts/test installs it); CLOUDCOURT_TEST_NO_S3=1 to skip S3');
    const name = `cc_e2e_${randomBytes(6).toString('hex')}`;
    await psql(ADMIN_URL, `CREATE DATABASE ${name}`);
    databaseUrl = `${ADMIN_URL.slice(0, ADMIN_URL.lastIndexOf('/'))}/${name}`;
    configDir = await mkdtemp(path.join(tmpdir(), 'cloudcourt-cluster-'));
    let blobs = `[blobs]\nkind = "local"\ndir = "${path.join(configDir, 'blobs')}"\n`;
    if (!NO_S3) {
      moto = await startMoto();
      blobs = `[blobs]\nkind = "s3"\nbucket = "${moto.bucket}"\nregion = "us-east-1"\nendpoint = "${moto.endpoint}"\naccess_key_id = "test"\nsecret_access_key = "test"\nallow_http = true\n`;
    }
    await writeFile(path.join(configDir, 'cloudcourt.toml'), blobs);
    password = `e2e-${randomBytes(9).toString('base64url')}`;
    // The first start makes the demo data; the second node finds it.
    nodes.push(await startServer({ env: nodeEnv(), password }));
    nodes.push(await startServer({ env: nodeEnv(), password }));
    lb = await balancer(() => nodes.map((n) => Number(new URL(n.url).port)));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
  });

  after(async () => {
    await browser?.close();
    await lb?.close();
    for (const node of nodes) await node.stop();
    moto?.stop();
    if (databaseUrl && ADMIN_URL) await psql(ADMIN_URL, `DROP DATABASE IF EXISTS ${databaseUrl.slice(databaseUrl.lastIndexOf('/') + 1)} WITH (FORCE)`);
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  test('every event reaches everyone on both nodes, and a killed node loses nothing acknowledged', async () => {
    const clerk = await deskContext(browser, { url: lb.url, password });
    const api = clerk.context.request;
    const staff = await (await api.get(`${lb.url}/api/v1/staff`)).json();
    const judge = staff.find((/** @type {{username: string}} */ u) => u.username === 'judge');
    const clerkUser = staff.find((/** @type {{username: string}} */ u) => u.username === 'clerk');
    const legalCase = await (await api.post(`${lb.url}/api/v1/cases`, { data: { case_number: '(2026)京0107民初9101号', cause: '借款合同纠纷' } })).json();
    const scheduled = await api.post(`${lb.url}/api/v1/hearings`, {
      data: {
        case_id: legalCase.id,
        scheduled_at: new Date(Date.now() + 3600_000).toISOString(),
        judge_ids: [judge.id],
        clerk_id: clerkUser.id,
        participants: [PARTY, BOT_A, BOT_B].map(({ name, role, phone }) => ({ name, role, phone })),
      },
    });
    assert.equal(scheduled.status(), 201, await scheduled.text());
    const hearing = await scheduled.json();
    const hearingApi = `${lb.url}/api/v1/hearings/${hearing.id}`;
    const [partyId, botAId, botBId] = [PARTY, BOT_A, BOT_B].map((p) => hearing.participants.find((/** @type {{phone: string}} */ x) => x.phone === p.phone).id);
    assert.equal((await api.post(`${hearingApi}/transitions`, { data: { transition: 'open' } })).status(), 200);

    // --- the clerk's room, the party's phone (through the balancer), a bot straight at each node ---
    await clerk.page.goto(`${lb.url}/console/#/hearings/${encodeURIComponent(hearing.id)}/room`);
    const party = await phoneContext(browser, { url: lb.url });
    await enterRoom(party.page, { url: lb.url, meeting: hearing.meeting_number, hearingId: hearing.id, clerkRequest: api }, PARTY);
    const bots = [BOT_A, BOT_B].map((bot, i) =>
      startBot(['--server', nodes[i].url, '--meeting', hearing.meeting_number, '--phone', bot.phone, '--staff-user', 'clerk', '--staff-password', password, '--admit', '--duration', '300s', '--report', 'json']),
    );
    try {
      await eventually(async () => {
        const seen = await inbound(party.page);
        for (const id of [clerkUser.id, botAId, botBId]) {
          assert.ok((seen[id]?.framesDecoded ?? 0) > 0 && (seen[id]?.audioPackets ?? 0) > 0, `the party sees and hears ${id}: ${JSON.stringify(seen)}\n${bots.map((b) => b.output()).join('\n')}`);
        }
      }, 45_000, 500);
      for (const label of [PARTY.label, BOT_A.label, BOT_B.label]) await tile(clerk.page, label).waitFor();
      await eventually(async () => {
        const seen = await inbound(clerk.page);
        assert.ok((seen[partyId]?.framesDecoded ?? 0) > 0, `the clerk sees the party: ${JSON.stringify(seen)}`);
      }, 20_000, 500);

      // 开庭 on node 2, a transcript version on node 1, the party's evidence through the balancer: everyone sees each.
      const node1 = nodes[0].url;
      const node2 = nodes[1].url;
      assert.equal((await api.post(`${node2}/api/v1/hearings/${hearing.id}/transitions`, { data: { transition: 'start' } })).status(), 200);
      await eventually(async () => assert.equal(await party.page.evaluate(() => /** @type {any} */ (window).__ccLive?.debug.status), 'connected'));
      let version = 0;
      const acknowledged = /** @type {string[]} */ ([]);
      const save = async (/** @type {string} */ base, /** @type {string} */ line) => {
        const entries = [...acknowledged, line].map((text) => ({ role: 'clerk', name: '梁1', text }));
        const saveId = crypto.randomUUID();
        for (let attempt = 0; attempt < 40; attempt++) {
          try {
            const response = await api.put(`${base}/api/v1/hearings/${hearing.id}/transcript`, { data: { base_version: version, save_id: saveId, entries }, timeout: 5_000 });
            if (response.status() === 200) {
              version = (await response.json()).version;
              acknowledged.push(line);
              return;
            }
            assert.ok(response.status() >= 500, `save refused: ${response.status()} ${await response.text()}`);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.fail(`the save of “${line}” was never acknowledged`);
      };
      await save(node1, '书记员：现在宣布法庭纪律。');
      await party.page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await party.page.getByTestId('fab-menu').tap();
      await party.page.getByRole('dialog', { name: '功能菜单' }).getByRole('button', { name: '查看笔录', exact: true }).tap();
      const reading = party.page.getByRole('dialog', { name: '查看笔录' });
      await reading.getByText('书记员：现在宣布法庭纪律。').waitFor({ timeout: 10_000 });
      await reading.getByRole('button', { name: '返回', exact: true }).tap();

      // --- under load, the node of the hearing is killed ---
      const ownerUrl = await psql(databaseUrl, `SELECT n.url FROM hearing_placements p JOIN cluster_nodes n ON n.id = p.node_id WHERE p.hearing_id = '${hearing.id}'`);
      const victim = nodes.findIndex((n) => n.url === ownerUrl);
      assert.ok(victim >= 0, `the hearing runs on a node: ${ownerUrl}`);
      const survivor = nodes[1 - victim];
      const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(12 * 1024 * 1024)]);
      const uploading = uploadThrough(party.context.request, lb.url, hearing.id, file);
      let typing = true;
      const typed = (async () => {
        for (let n = 1; typing; n++) await save(lb.url, `书记员：第${n}行。`);
      })();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const connectsBefore = await party.page.evaluate(() => /** @type {any} */ (window).__ccLive.debug.connects);
      const killedAt = Date.now();
      await nodes[victim].crash();
      await eventually(async () => {
        const live = await party.page.evaluate(() => /** @type {any} */ (window).__ccLive.debug);
        assert.ok(live.status === 'connected' && live.connects > connectsBefore, `the party's live channel is back: ${JSON.stringify(live)}`);
      }, 20_000, 100);
      const liveBack = (Date.now() - killedAt) / 1000;
      const before = await inbound(party.page);
      await eventually(async () => {
        const now = await inbound(party.page);
        const clerkMedia = now[clerkUser.id];
        assert.ok(clerkMedia && (clerkMedia.streams !== before[clerkUser.id]?.streams || clerkMedia.framesDecoded > (before[clerkUser.id]?.framesDecoded ?? 0)), `the clerk's video is back on the party's phone: ${JSON.stringify(now)}`);
        assert.ok(clerkMedia.audioPackets > 0, 'and the sound');
      }, 30_000, 100);
      const mediaBack = (Date.now() - killedAt) / 1000;
      console.log(`# node killed: live channel back in ${liveBack.toFixed(1)} s, the clerk's picture and sound in ${mediaBack.toFixed(1)} s`);
      assert.ok(liveBack <= 5, `the party's live channel is back within 5 s (${liveBack.toFixed(1)} s)`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      typing = false;
      await typed;
      const evidence = await uploading;

      // Nothing acknowledged is lost: every line saved, the upload whole, on the surviving node.
      const transcript = await (await api.get(`${survivor.url}/api/v1/hearings/${hearing.id}/transcript`)).json();
      assert.deepEqual(transcript.entries.map((/** @type {{text: string}} */ e) => e.text), acknowledged, 'every acknowledged line, in order');
      assert.ok(acknowledged.length > 5, `the clerk kept typing through the crash (${acknowledged.length} saves)`);
      assert.equal(evidence.sha256, createHash('sha256').update(file).digest('hex'));
      const listed = await (await api.get(`${survivor.url}/api/v1/hearings/${hearing.id}/evidence`)).json();
      assert.ok(listed.some((/** @type {{id: string}} */ e) => e.id === evidence.id), 'the item is listed');
      await tile(party.page, '书记员').waitFor();

      // --- the killed node starts again and recovers its segment; the survivor records on; 闭庭 ---
      const restarted = await startServer({ env: nodeEnv(), dataDir: nodes[victim].dataDir, password });
      nodes[victim] = restarted;
      await eventually(async () => {
        const recovered = await audit(restarted.dataDir, hearing.id, 'recording.recovered');
        assert.equal(recovered.length, 1, 'the killed node recovered its segment');
      }, 30_000, 500);
      assert.equal((await api.post(`${survivor.url}/api/v1/hearings/${hearing.id}/transitions`, { data: { transition: 'close' } })).status(), 200);
      await eventually(async () => assert.ok((await audit(restarted.dataDir, hearing.id, 'recording.finish')).length >= 1, 'the survivor finished its segment'), 60_000, 1_000);
      // Both segments are in the shared store, listed by either node: the killed node's recovered with its
      // interruption registered, the survivor's finished; every file reads back with its SHA-256 and is valid media.
      /** @type {{segment: number, state: string, node: string, gaps: {kind: string}[], files: {file: string, url: string, kind: string, sha256: string}[]}[]} */
      let segments = [];
      await eventually(async () => {
        segments = await (await api.get(`${restarted.url}/api/v1/hearings/${hearing.id}/recordings`)).json();
        assert.deepEqual(segments.map((s) => s.state).sort(), ['finished', 'recovered'], JSON.stringify(segments.map((s) => [s.segment, s.state, s.node])));
      }, 60_000, 1_000);
      assert.notEqual(segments[0].node, segments[1].node, 'recorded on two nodes');
      const recovered = segments.find((s) => s.state === 'recovered');
      assert.ok(recovered?.gaps.some((g) => g.kind === 'interruption'), `the interruption is registered: ${JSON.stringify(recovered?.gaps)}`);
      const media = await mkdtemp(path.join(tmpdir(), 'cloudcourt-cluster-media-'));
      try {
        for (const segment of segments) {
          for (const file of segment.files) {
            const response = await api.get(`${survivor.url}${file.url}`);
            assert.equal(response.status(), 200, `${file.file}: ${response.status()}`);
            const bytes = await response.body();
            assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, `${file.file} reads back whole`);
            if (!/\.(ivf|ogg|opus|webm)$/.test(file.file)) continue;
            const local = path.join(media, `${segment.segment}-${path.basename(file.file)}`);
            await writeFile(local, bytes);
            await run('ffprobe', ['-v', 'error', '-show_format', local]);
          }
        }
      } finally {
        await rm(media, { recursive: true, force: true });
      }
      const verified = await run(BINARY, ['audit', '--database-url', databaseUrl, 'verify']);
      assert.match(verified.stdout, /intact|完整|ok/i, verified.stdout);
    } finally {
      for (const bot of bots) bot.stop();
      await party.context.close();
      await clerk.context.close();
    }
  });
});

/** The environment of a node: the shared database and bucket. */
function nodeEnv() {
  return { CLOUDCOURT_DATABASE_URL: databaseUrl, CLOUDCOURT_CONFIG: path.join(configDir, 'cloudcourt.toml'), RUST_LOG: 'info' };
}

/**
 * The hearing's audit events of `action`, through the CLI on the shared database.
 * @returns {Promise<{details: any}[]>}
 */
async function audit(/** @type {string} */ dataDir, /** @type {string} */ hearingId, /** @type {string} */ action) {
  const { stdout } = await run(BINARY, ['audit', '--database-url', databaseUrl, '--data-dir', dataDir, 'list', '--hearing', hearingId, '--action', action]);
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * Uploads `file` as evidence through `base` in 1 MiB chunks, as the web client does: on a lost answer it asks where
 * the server is and goes on; an upload whose node died (410) starts again.
 * @param {import('playwright-core').APIRequestContext} request the party's session
 */
async function uploadThrough(request, base, hearingId, file) {
  const chunk = 1024 * 1024;
  for (let start = 0; start < 3; start++) {
    const created = await request.post(`${base}/api/v1/hearings/${hearingId}/evidence/uploads`, { data: { file_name: '借条.pdf', size: file.length, title: '借条扫描件', purpose: '证明借款事实' } });
    assert.equal(created.status(), 201, await created.text());
    const { id } = await created.json();
    let offset = 0;
    for (let tries = 0; tries < 200; tries++) {
      try {
        const response = await request.patch(`${base}/api/v1/evidence/uploads/${id}`, {
          headers: { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
          data: file.subarray(offset, Math.min(offset + chunk, file.length)),
          timeout: 10_000,
        });
        if (response.status() === 410) break;
        if (response.status() === 409) {
          offset = Number(response.headers()['upload-offset']);
          continue;
        }
        if (response.status() === 200) {
          const view = await response.json();
          if (view.evidence) return view.evidence;
          offset = view.offset;
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        assert.ok(response.status() >= 500, `chunk refused: ${response.status()} ${await response.text()}`);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      const status = await request.get(`${base}/api/v1/evidence/uploads/${id}`).catch(() => null);
      if (status?.status() === 200) offset = (await status.json()).offset;
      if (status?.status() === 410) break;
    }
  }
  assert.fail('the upload never completed');
}
