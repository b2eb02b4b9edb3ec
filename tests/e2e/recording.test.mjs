/**
 * Browser test of the hearing's recording (庭审录音录像, issue 5): the clerk in the staff room and the plaintiff on a
 * phone (Chromium, fake camera and microphone) are in the room; the clerk opens the hearing (开庭), a few seconds pass,
 * the clerk closes it (闭庭). Then, through the staff's API: the segment is finished and stored in the blob store (its
 * copy on the server's disk removed), every published track has its
 * file (Opus in Ogg at 48 kHz, VP8 in IVF at the size the browser sent), `ffprobe` reads each one and its duration is
 * the session's within a second, each participant has a WebM, the manifest maps every track to the wall clock, every
 * downloaded file's SHA-256 is the manifest's and is in the audit log. And a crash: the server is killed (`kill -9`)
 * mid-session and started again on its data; what was written until the kill is recovered (ffprobe-valid, as long as
 * the session ran, an `interruption` gap registered, hashed and audited), and the hearing, still in session, is
 * recorded on in a second segment.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { WEB_FROM_DISK_ARGS, demoMeetingNumber, eventually } from './helpers.mjs';
import { MEDIA_ARGS, PARTIES, deskContext, enterRoom, hearingIdOf, phoneContext, staffLogin } from './join-helpers.mjs';
import { BINARY, CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const run = promisify(execFile);
/** Without it Chromium gathers no ICE candidate on loopback, where the SFU listens in tests. */
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];
/** How long the hearing is in session. */
const SESSION_MS = 8_000;

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';
let scratch = '';

/**
 * `ffprobe`'s view of a file: its streams and container duration.
 * @param {string} file
 * @returns {Promise<{streams: {codec_name: string, sample_rate?: string, width?: number, height?: number}[], format: {duration?: string}}>}
 */
async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  return JSON.parse(stdout);
}

/**
 * The duration of a file by decoding it through (a container's header may not say it, as IVF's does not).
 * @param {string} file
 */
async function decodedSeconds(file) {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-stats', '-i', file, '-f', 'null', '-'], { maxBuffer: 16 * 1024 * 1024 });
  const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)];
  const last = times.at(-1);
  assert.ok(last, `ffmpeg decodes ${path.basename(file)}: ${stderr.slice(-400)}`);
  return Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
}

/**
 * The size of the top video layer a page sends, once every layer it sends (simulcast: low and high) is flowing —
 * a browser starts with the low layer and adds the high one when its bandwidth estimate allows.
 * @param {import('playwright-core').Page} page
 */
async function sentSize(page) {
  return page.evaluate(async () => {
    const pc = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia?.connection;
    let best = { width: 0, height: 0 };
    if (!pc) return best;
    let idle = false;
    (await pc.getStats()).forEach((report) => {
      if (report.type !== 'outbound-rtp' || report.kind !== 'video') return;
      if (!(report.framesEncoded > 0) || !(report.frameWidth > 0)) idle = true;
      if ((report.frameWidth ?? 0) > best.width) best = { width: report.frameWidth, height: report.frameHeight };
    });
    return idle ? { width: 0, height: 0 } : best;
  });
}

describe('the hearing is recorded', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    scratch = await mkdtemp(path.join(tmpdir(), 'cloudcourt-recording-'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('from 开庭 to 闭庭: every track on file, ffprobe-valid, as long as the session, hashed and audited', async () => {
    const clerk = await deskContext(browser, server, 'clerk');
    const party = await phoneContext(browser, server);
    try {
      const request = clerk.context.request;
      hearingId = await hearingIdOf(request, server.url, meeting);
      const base = `${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}`;
      const transition = async (/** @type {string} */ name) => {
        const response = await request.post(`${base}/transitions`, { data: { transition: name } });
        assert.equal(response.status(), 200, `${name}: ${await response.text()}`);
      };
      await clerk.page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
      await clerk.page.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      await transition('open');
      await enterRoom(party.page, { url: server.url, meeting, hearingId, clerkRequest: request }, PARTIES.plaintiff);
      // Both publish before the session opens: the recording starts with 开庭, not before.
      await eventually(async () => assert.ok((await sentSize(party.page)).width > 0, 'the party sends video'), 20_000, 250);
      await eventually(async () => assert.ok((await sentSize(clerk.page)).width > 0, 'the clerk sends video'), 20_000, 250);

      await transition('start');
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, SESSION_MS));
      const sizes = { party: await sentSize(party.page), clerk: await sentSize(clerk.page) };
      await transition('close');
      const wallSession = (Date.now() - started) / 1000;

      // Finishing (the WebM files by ffmpeg) goes on after 闭庭.
      /** @type {any} */
      let segment;
      await eventually(
        async () => {
          const response = await request.get(`${base}/recordings`);
          assert.equal(response.status(), 200);
          const segments = await response.json();
          assert.equal(segments.length, 1, 'one segment');
          segment = segments[0];
          assert.equal(segment.state, 'finished', `the recording is finished and stored: ${segment.state} ${segment.error ?? ''}`);
          assert.equal(segment.manifest.state, 'finished');
        },
        60_000,
        500,
      );
      const manifest = segment.manifest;
      // Kept in the blob store, so no longer on the server's disk.
      await assert.rejects(access(path.join(server.dataDir, 'recordings', hearingId, '1')), 'the local copy is removed once stored');
      // The session as the server lived it: from 开庭 to 闭庭 (the requests' own time excluded).
      const session = (Date.parse(manifest.ended_at) - Date.parse(manifest.started_at)) / 1000;
      assert.ok(Math.abs(session - wallSession) < 2, `the recorded session (${session} s) is the one the test held (${wallSession} s)`);
      const detail = await (await request.get(base)).json();
      const plaintiff = detail.participants.find((/** @type {{name: string}} */ p) => p.name === PARTIES.plaintiff.name);
      const tracks = /** @type {any[]} */ (manifest.tracks);
      const kinds = tracks.map((t) => `${t.role}:${t.kind}`).sort();
      assert.deepEqual(kinds, ['clerk:audio', 'clerk:video', 'plaintiff:audio', 'plaintiff:video'], 'every published track');
      for (const track of tracks) {
        assert.ok(track.first_packet_at, `${track.file} knows when its first packet came`);
        assert.ok(Array.isArray(track.sender_reports), `${track.file} keeps the RTP-to-wall-clock mapping`);
      }
      assert.ok(tracks.some((t) => t.participant_id === plaintiff.id && t.name === PARTIES.plaintiff.name));

      // Every file listed downloads with its hash, and ffprobe reads the media.
      // The audit log, as the court's IT reads it.
      const { stdout } = await run(BINARY, ['audit', '--data-dir', server.dataDir, 'list', '--hearing', hearingId, '--action', 'recording.file']);
      const audit = stdout
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line));
      for (const file of /** @type {any[]} */ (manifest.files)) {
        const link = segment.files.find((/** @type {{file: string}} */ f) => f.file === file.file);
        assert.ok(link, `${file.file} has a download link`);
        const response = await request.get(`${server.url}${link.url}`);
        assert.equal(response.status(), 200, `download ${file.file}`);
        const bytes = await response.body();
        assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, `${file.file}: the manifest's SHA-256`);
        await writeFile(path.join(scratch, file.file), bytes);
        assert.ok(
          audit.some((/** @type {any} */ e) => e.details?.file === file.file && e.details?.sha256 === file.sha256),
          `${file.file}'s hash is in the audit log`,
        );
      }
      for (const track of tracks) {
        const file = path.join(scratch, track.file);
        const info = await probe(file);
        const stream = info.streams[0];
        if (track.kind === 'audio') {
          assert.equal(stream.codec_name, 'opus', `${track.file} is Opus`);
          assert.equal(stream.sample_rate, '48000', `${track.file} at 48 kHz`);
        } else {
          assert.equal(stream.codec_name, 'vp8', `${track.file} is VP8`);
          const sent = track.role === 'clerk' ? sizes.clerk : sizes.party;
          assert.deepEqual({ width: stream.width, height: stream.height }, sent, `${track.file} at the sent size`);
        }
        const seconds = await decodedSeconds(file);
        const gaps = JSON.stringify(segment.gaps.filter((/** @type {any} */ g) => g.participant_id === track.participant_id));
        assert.ok(Math.abs(seconds - session) <= 1, `${track.file} lasts ${seconds} s, the session ${session} s (gaps: ${gaps})`);
      }
      // A WebM per participant, audio and video together.
      for (const output of /** @type {any[]} */ (manifest.outputs.participants)) {
        const info = await probe(path.join(scratch, output.file));
        const codecs = info.streams.map((s) => s.codec_name).sort();
        assert.deepEqual(codecs, ['opus', 'vp8'], `${output.file} holds both`);
        assert.ok(Math.abs(Number(info.format.duration) - session) <= 1, `${output.file} lasts the session`);
      }
      assert.equal(manifest.outputs.participants.length, 2, 'a WebM for the clerk and one for the plaintiff');

      // Only listed names download: nothing else of the disk.
      for (const name of ['..%2F..%2Fcloudcourt.db', 'nope.ogg']) {
        const response = await request.get(`${base}/recordings/1/${name}`);
        assert.equal(response.status(), 404, `${name} is not served`);
      }
      // The clerk's console lists the segment and its files with their hashes; a link downloads the file.
      await clerk.page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}`);
      const panel = clerk.page.getByTestId('recordings');
      await panel.getByTestId('recording-state').filter({ hasText: '已完成' }).waitFor();
      await panel.getByRole('heading', { name: '第1段' }).waitFor();
      const listedFiles = panel.getByTestId('recording-file');
      assert.equal(await listedFiles.count(), manifest.files.length + 1, 'every file and the manifest');
      for (const file of /** @type {any[]} */ (manifest.files)) {
        const row = listedFiles.filter({ hasText: file.file });
        assert.equal(await row.locator('code.sha').getAttribute('data-sha256'), file.sha256, `${file.file}'s hash is shown`);
      }
      const webm = manifest.outputs.participants[0].file;
      const [download] = await Promise.all([clerk.page.waitForEvent('download'), listedFiles.filter({ hasText: webm }).getByRole('link').click()]);
      assert.equal(download.suggestedFilename(), webm);
      const saved = await download.path();
      assert.ok(saved, 'the download finished');
      const expected = manifest.files.find((/** @type {any} */ f) => f.file === webm).sha256;
      assert.equal(createHash('sha256').update(await readFile(saved)).digest('hex'), expected, 'the downloaded WebM is the recorded one');
      assert.deepEqual(clerk.problems, []);

      // A party may not list or download the recording.
      const partyList = await party.context.request.get(`${base}/recordings`);
      assert.equal(partyList.status(), 401);
    } finally {
      await clerk.context.close();
      await party.context.close();
    }
  });
});

/**
 * The audit events of a hearing with one action, read by the CLI from a server's data directory.
 * @param {string} dataDir
 * @param {string} hearing
 * @param {string} action
 * @returns {Promise<any[]>}
 */
async function auditEvents(dataDir, hearing, action) {
  const { stdout } = await run(BINARY, ['audit', '--data-dir', dataDir, 'list', '--hearing', hearing, '--action', action]);
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

describe('a crash mid-session keeps the recording', () => {
  /** @type {import('./server.mjs').RunningServer | undefined} */
  let first;
  /** @type {import('./server.mjs').RunningServer | undefined} */
  let again;
  /** @type {import('playwright-core').Browser} */
  let crashBrowser;
  let files = '';

  before(async () => {
    first = await startServer();
    files = await mkdtemp(path.join(tmpdir(), 'cloudcourt-recording-crash-'));
    crashBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
  });

  after(async () => {
    await crashBrowser?.close();
    await first?.crash();
    await again?.stop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  test('kill -9 while in session: the files are recovered, the gap registered, the hearing recorded on', async () => {
    assert.ok(first);
    const number = demoMeetingNumber(first.output());
    const clerk = await deskContext(crashBrowser, first, 'clerk');
    const party = await phoneContext(crashBrowser, first);
    const request = clerk.context.request;
    const id = await hearingIdOf(request, first.url, number);
    const transition = async (/** @type {import('playwright-core').APIRequestContext} */ api, /** @type {string} */ base, /** @type {string} */ name) => {
      const response = await api.post(`${base}/api/v1/hearings/${encodeURIComponent(id)}/transitions`, { data: { transition: name } });
      assert.equal(response.status(), 200, `${name}: ${await response.text()}`);
    };
    await clerk.page.goto(`${first.url}/console/#/hearings/${encodeURIComponent(id)}/room`);
    await clerk.page.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
    await transition(request, first.url, 'open');
    await enterRoom(party.page, { url: first.url, meeting: number, hearingId: id, clerkRequest: request }, PARTIES.plaintiff);
    await eventually(async () => assert.ok((await sentSize(party.page)).width > 0, 'the party sends video'), 20_000, 250);
    await transition(request, first.url, 'start');
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const { dataDir, password } = first;
    await first.crash();
    const ranFor = (Date.now() - started) / 1000;
    await clerk.context.close();
    await party.context.close();

    again = await startServer({ dataDir, password });
    const api = await crashBrowser.newContext();
    try {
      await staffLogin(api, again.url, 'clerk', password);
      const base = `${again.url}/api/v1/hearings/${encodeURIComponent(id)}`;
      /** @type {any[]} */
      let segments = [];
      await eventually(
        async () => {
          segments = await (await api.request.get(`${base}/recordings`)).json();
          assert.equal(segments.length, 2, `the recovered segment and a new one: ${JSON.stringify(segments.map((x) => x.state))}`);
          assert.equal(segments[0].state, 'recovered', `recovered and stored: ${segments[0].error ?? ''}`);
          assert.equal(segments[0].manifest.state, 'interrupted');
          assert.equal(segments[1].state, 'recording', 'the hearing, still in session, is recorded on');
          assert.equal(segments[1].manifest, null, 'its files are not stored while it is written');
        },
        30_000,
        500,
      );
      const [recovered] = segments;
      const manifest = recovered.manifest;
      assert.ok(manifest.interruption, 'the manifest says how the recording was interrupted and recovered');
      assert.ok(
        recovered.gaps.some((/** @type {any} */ g) => g.kind === 'interruption'),
        `an interruption gap is registered: ${JSON.stringify(recovered.gaps)}`,
      );
      const written = (Date.parse(manifest.interruption.last_written_at) - Date.parse(manifest.started_at)) / 1000;
      assert.ok(Math.abs(written - ranFor) <= 1.5, `written until the kill: ${written} s of ${ranFor} s`);
      const audited = await auditEvents(again.dataDir, id, 'recording.file');
      const tracks = /** @type {any[]} */ (manifest.tracks);
      assert.equal(tracks.length, 4, 'the clerk and the party, audio and video');
      for (const track of tracks) {
        const file = manifest.files.find((/** @type {any} */ f) => f.file === track.file);
        assert.ok(file, `${track.file} is hashed`);
        const bytes = await (await api.request.get(`${base}/recordings/1/${track.file}`)).body();
        assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, `${track.file}: the manifest's hash`);
        assert.ok(audited.some((e) => e.details.file === track.file && e.details.sha256 === file.sha256), `${track.file}: audited`);
        const saved = path.join(files, track.file);
        await writeFile(saved, bytes);
        const info = await probe(saved);
        assert.equal(info.streams[0].codec_name, track.kind === 'audio' ? 'opus' : 'vp8', `${track.file}: ffprobe reads it`);
        const seconds = await decodedSeconds(saved);
        assert.ok(Math.abs(seconds - written) <= 1, `${track.file} holds ${seconds} s of the ${written} s written`);
      }
      assert.equal((await auditEvents(again.dataDir, id, 'recording.recovered')).length, 1, 'the recovery is audited');

      // Closing now finishes the second segment.
      await transition(api.request, again.url, 'close');
      await eventually(
        async () => {
          const now = await (await api.request.get(`${base}/recordings`)).json();
          assert.equal(now[1].state, 'finished');
          assert.equal(now[1].manifest.state, 'finished');
        },
        30_000,
        500,
      );
    } finally {
      await api.close();
    }
  });
});
