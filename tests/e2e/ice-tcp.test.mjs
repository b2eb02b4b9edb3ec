/**
 * Browser test of ICE-TCP (issue 5): a member whose network blocks UDP still joins the hearing's audio and video. The
 * judge's Chromium runs with `--webrtc-ip-handling-policy=disable_non_proxied_udp` — WebRTC may not send a single
 * UDP packet, as behind a firewall that only lets TCP out — and reaches the SFU through its passive TCP candidate;
 * the clerk's Chromium is an ordinary one on UDP. Each staff room decodes the other's video and receives their audio,
 * and the judge's selected candidate pair is TCP on both ends.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { WEB_FROM_DISK_ARGS, demoMeetingNumber, eventually } from './helpers.mjs';
import { MEDIA_ARGS, deskContext, hearingIdOf, staffLogin } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

/** Without it Chromium gathers no ICE candidate on loopback, where the SFU listens in tests. */
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];
/** WebRTC over TCP only: no UDP host candidate, no UDP packet at all. */
const NO_UDP_ARGS = ['--webrtc-ip-handling-policy=disable_non_proxied_udp'];

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let udpBrowser;
/** @type {import('playwright-core').Browser} */
let tcpBrowser;
let hearingId = '';

/**
 * The room page's media session: what it decodes and receives per member, and the transport of its selected pair.
 * @param {import('playwright-core').Page} page
 */
async function mediaState(page) {
  return page.evaluate(async () => {
    const session = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia;
    const pc = session?.connection;
    /** @type {{frames: number, audio: number, local: string, remote: string, udpCandidates: number}} */
    const state = { frames: 0, audio: 0, local: '', remote: '', udpCandidates: 0 };
    if (!pc) return state;
    const stats = await pc.getStats();
    /** @type {Map<string, any>} */
    const byId = new Map();
    stats.forEach((report) => byId.set(report.id, report));
    stats.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') state.frames += report.framesDecoded ?? 0;
      if (report.type === 'inbound-rtp' && report.kind === 'audio') state.audio += report.packetsReceived ?? 0;
      if (report.type === 'local-candidate' && report.protocol === 'udp') state.udpCandidates += 1;
      if (report.type === 'transport' && report.selectedCandidatePairId) {
        const pair = byId.get(report.selectedCandidatePairId);
        state.local = byId.get(pair?.localCandidateId)?.protocol ?? '';
        state.remote = byId.get(pair?.remoteCandidateId)?.protocol ?? '';
      }
    });
    return state;
  });
}

/**
 * Wait until `page` decodes video and receives audio, and both keep rising.
 * @param {import('playwright-core').Page} page
 * @param {string} who
 */
async function receives(page, who) {
  /** @type {Awaited<ReturnType<typeof mediaState>>} */
  let first = { frames: 0, audio: 0, local: '', remote: '', udpCandidates: 0 };
  await eventually(
    async () => {
      first = await mediaState(page);
      assert.ok(first.frames > 0 && first.audio > 0, `${who} decodes video and receives audio: ${JSON.stringify(first)}`);
    },
    30_000,
    500,
  );
  await eventually(
    async () => {
      const later = await mediaState(page);
      assert.ok(later.frames > first.frames && later.audio > first.audio, `${who}: media keeps coming`);
    },
    10_000,
    500,
  );
  return first;
}

describe('ICE-TCP: a member without UDP', () => {
  before(async () => {
    server = await startServer();
    const meeting = demoMeetingNumber(server.output());
    const launch = (/** @type {string[]} */ extra) =>
      chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS, ...extra], headless: true });
    udpBrowser = await launch([]);
    tcpBrowser = await launch(NO_UDP_ARGS);
    const api = await udpBrowser.newContext();
    await staffLogin(api, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(api.request, server.url, meeting);
    await api.close();
  });

  after(async () => {
    await udpBrowser?.close();
    await tcpBrowser?.close();
    await server?.stop();
  });

  test('the judge, whose UDP is blocked, sees and hears the clerk over TCP, and the clerk the judge', async () => {
    const clerk = await deskContext(udpBrowser, server, 'clerk');
    const judge = await deskContext(tcpBrowser, server, 'judge');
    try {
      const roomUrl = `${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`;
      for (const { page } of [clerk, judge]) {
        await page.goto(roomUrl);
        await page.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      }
      const judgeSide = await receives(judge.page, 'the judge (TCP only)');
      await receives(clerk.page, 'the clerk (UDP)');
      assert.equal(judgeSide.udpCandidates, 0, 'the judge has no UDP candidate at all');
      assert.equal(judgeSide.local, 'tcp', 'the judge sends over TCP');
      assert.equal(judgeSide.remote, 'tcp', "to the SFU's passive TCP candidate");
      const clerkSide = await mediaState(clerk.page);
      assert.equal(clerkSide.local, 'udp', 'the clerk keeps UDP');
      assert.deepEqual(clerk.problems, []);
      assert.deepEqual(judge.problems, []);
    } finally {
      await clerk.context.close();
      await judge.context.close();
    }
  });
});
