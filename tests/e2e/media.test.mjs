/**
 * Browser test of the hearing's live audio and video through the SFU (issue 5, phase 1): the clerk in the staff room and
 * the parties on their phones, each a Chromium page with a fake camera and microphone. With two members in the room,
 * then three, every page decodes every other member's video (`framesDecoded` rising in `getStats()`) and receives their
 * audio (`packetsReceived` rising), and each member's remote media plays in that member's tile. When the clerk mutes a
 * party (静音 on the tile), that party's audio stops reaching the others (their `packetsReceived` from the party stays
 * flat for two seconds while the party's video goes on), every page marks the tile 已静音, the party is told
 * 您已被审判人员静音; 取消静音 brings the audio back. (A witness's media is witness.test.mjs's business.)
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, collectProblems, demoMeetingNumber, eventually, webFromDisk } from './helpers.mjs';
import { MEDIA_ARGS, PARTIES, hearingIdOf, joinCodeFor, staffLogin } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

/** Without it Chromium gathers no ICE candidate on loopback, where the SFU listens in tests. */
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];
const PC = { width: 1280, height: 800 };

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';

/**
 * @param {import('playwright-core').Page} page
 * @param {string} label e.g. 原告 贾1
 */
const tile = (page, label) => page.getByTestId('tiles').locator('cc-tile').filter({ has: page.locator('figcaption', { hasText: label }) });

/**
 * The page's inbound RTP totals, by the member (stream id) each track comes from.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Record<string, {framesDecoded: number, audioPackets: number}>>}
 */
async function inbound(page) {
  return page.evaluate(async () => {
    const session = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia;
    const pc = session?.connection;
    /** @type {Record<string, {framesDecoded: number, audioPackets: number}>} */
    const totals = {};
    if (!pc || !session) return totals;
    /** track id → member id */
    const owner = new Map();
    for (const [memberId, stream] of session.remote) for (const track of stream.getTracks()) owner.set(track.id, memberId);
    /** mid → member id */
    const byMid = new Map();
    for (const t of pc.getTransceivers()) if (t.mid && owner.has(t.receiver.track.id)) byMid.set(t.mid, owner.get(t.receiver.track.id));
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type !== 'inbound-rtp') return;
      const memberId = byMid.get(report.mid);
      if (!memberId) return;
      const entry = (totals[memberId] ??= { framesDecoded: 0, audioPackets: 0 });
      if (report.kind === 'video') entry.framesDecoded += report.framesDecoded ?? 0;
      else entry.audioPackets += report.packetsReceived ?? 0;
    });
    return totals;
  });
}

/**
 * Wait until `page` decodes video and receives audio from each of `members`, twice a little apart (so both rise).
 * @param {import('playwright-core').Page} page
 * @param {string} who for messages
 * @param {string[]} members member ids
 */
async function receivesFrom(page, who, members) {
  /** @type {Record<string, {framesDecoded: number, audioPackets: number}>} */
  let first = {};
  await eventually(
    async () => {
      first = await inbound(page);
      for (const id of members) {
        assert.ok((first[id]?.framesDecoded ?? 0) > 0, `${who} decodes video of ${id}: ${JSON.stringify(first)}`);
        assert.ok((first[id]?.audioPackets ?? 0) > 0, `${who} receives audio of ${id}: ${JSON.stringify(first)}`);
      }
    },
    30_000,
    500,
  );
  await eventually(
    async () => {
      const later = await inbound(page);
      for (const id of members) {
        assert.ok((later[id]?.framesDecoded ?? 0) > (first[id]?.framesDecoded ?? 0), `${who}: video of ${id} keeps coming`);
        assert.ok((later[id]?.audioPackets ?? 0) > (first[id]?.audioPackets ?? 0), `${who}: audio of ${id} keeps coming`);
      }
    },
    10_000,
    500,
  );
}

/**
 * Audio packets `page` has received from `member` so far, and video frames decoded.
 * @param {import('playwright-core').Page} page
 * @param {string} member
 */
async function from(page, member) {
  const totals = (await inbound(page))[member];
  return { audio: totals?.audioPackets ?? 0, video: totals?.framesDecoded ?? 0 };
}

/**
 * A party signs in on its own page and waits to be admitted.
 * @param {import('playwright-core').APIRequestContext} clerkRequest
 * @param {{name: string, phone: string, masked: string}} party
 */
async function partyWaits(clerkRequest, party) {
  const context = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(20_000);
  await webFromDisk(context, server.url);
  const page = await context.newPage();
  const problems = collectProblems(page);
  await page.goto(`${server.url}/join/${meeting}`);
  await page.getByLabel('手机号码', { exact: true }).fill(party.phone);
  await page.getByRole('button', { name: '获取验证码', exact: true }).click();
  const code = await joinCodeFor(clerkRequest, server.url, hearingId, party.masked);
  await page.getByLabel('验证码', { exact: true }).fill(code);
  await page.getByRole('button', { name: '进入庭审', exact: true }).click();
  await page.getByRole('button', { name: '继续', exact: true }).click();
  await page.getByTestId('rules-check').check();
  await page.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
  await page.getByTestId('tour').waitFor();
  await page.locator('.tour').focus();
  await page.keyboard.press('End');
  await page.getByRole('button', { name: '立即体验', exact: true }).click();
  await page.getByTestId('waiting-room').waitFor();
  return { context, page, problems };
}

/**
 * The id a roster member has on `page` (the tile's `data-member-id`).
 * @param {import('playwright-core').Page} page
 * @param {string} label
 */
async function memberId(page, label) {
  const id = await tile(page, label).getAttribute('data-member-id');
  assert.ok(id, `${label} has a tile`);
  return id;
}

describe('live audio and video (SFU)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const api = await browser.newContext();
    await staffLogin(api, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(api.request, server.url, meeting);
    await api.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('two, then three members each see and hear the others', async () => {
    const clerk = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    clerk.setDefaultTimeout(20_000);
    await webFromDisk(clerk, server.url);
    await staffLogin(clerk, server.url, 'clerk', server.password);
    const room = await clerk.newPage();
    const problems = collectProblems(room);
    /** @type {{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, problems: string[]}[]} */
    const parties = [];
    try {
      await room.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
      await room.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      const controls = room.getByTestId('room-controls');
      await controls.getByRole('button', { name: '开放候庭', exact: true }).click();
      await room.getByTestId('room-state').filter({ hasText: '候庭' }).waitFor();
      const waiting = room.getByTestId('waiting');
      const clerkId = await memberId(room, '书记员 梁1');

      // --- two: the clerk and the plaintiff ---
      const plaintiff = await partyWaits(clerk.request, PARTIES.plaintiff);
      parties.push(plaintiff);
      await waiting.locator('li').filter({ hasText: PARTIES.plaintiff.name }).getByRole('button', { name: `准许 ${PARTIES.plaintiff.name} 入庭` }).click();
      await plaintiff.page.getByTestId('room').waitFor();
      const plaintiffId = await memberId(room, `原告 ${PARTIES.plaintiff.name}`);
      await receivesFrom(room, 'the clerk', [plaintiffId]);
      await receivesFrom(plaintiff.page, 'the plaintiff', [clerkId]);
      // The remote member's picture plays in their tile, with sound (not muted).
      for (const [page, label] of /** @type {const} */ ([[room, `原告 ${PARTIES.plaintiff.name}`], [plaintiff.page, '书记员 梁1']])) {
        const remote = tile(page, label);
        await eventually(async () => assert.equal(await remote.getAttribute('data-remote-media'), '', `${label}'s tile has remote media`));
        const video = remote.locator('video');
        await eventually(async () => {
          const state = await video.evaluate((el) => {
            const v = /** @type {HTMLVideoElement} */ (el);
            return { width: v.videoWidth, time: v.currentTime, muted: v.muted };
          });
          assert.ok(state.width > 0 && state.time > 0 && !state.muted, `${label}'s video plays with sound: ${JSON.stringify(state)}`);
        });
      }
      await room.screenshot({ path: path.join(RESULTS, 'media-two.png') });

      // --- three: the defendant joins ---
      const defendant = await partyWaits(clerk.request, PARTIES.defendant);
      parties.push(defendant);
      await waiting.locator('li').filter({ hasText: PARTIES.defendant.name }).getByRole('button', { name: `准许 ${PARTIES.defendant.name} 入庭` }).click();
      await defendant.page.getByTestId('room').waitFor();
      const defendantId = await memberId(room, `被告 ${PARTIES.defendant.name}`);
      await receivesFrom(room, 'the clerk', [plaintiffId, defendantId]);
      await receivesFrom(plaintiff.page, 'the plaintiff', [clerkId, defendantId]);
      await receivesFrom(defendant.page, 'the defendant', [clerkId, plaintiffId]);
      await room.screenshot({ path: path.join(RESULTS, 'media-three.png') });
      await defendant.page.screenshot({ path: path.join(RESULTS, 'media-three-defendant.png') });

      // --- the clerk mutes the plaintiff: nobody receives the plaintiff's audio, video goes on ---
      const plaintiffLabel = `原告 ${PARTIES.plaintiff.name}`;
      const listeners = /** @type {const} */ ([[room, 'the clerk'], [defendant.page, 'the defendant']]);
      await tile(room, plaintiffLabel).getByRole('button', { name: `将${PARTIES.plaintiff.name}静音`, exact: true }).click();
      await plaintiff.page.getByTestId('muted-notice').filter({ hasText: '您已被审判人员静音' }).waitFor();
      for (const page of [room, defendant.page, plaintiff.page]) await tile(page, plaintiffLabel).getByTestId('tile-muted').filter({ hasText: '已静音' }).waitFor();
      assert.equal(await tile(room, `被告 ${PARTIES.defendant.name}`).getByTestId('tile-muted').isHidden(), true, 'only the plaintiff is marked');
      // The packets already in flight arrive; after that, nothing more of the plaintiff's audio.
      await room.waitForTimeout(500);
      const atMute = await Promise.all(listeners.map(([page]) => from(page, plaintiffId)));
      await room.waitForTimeout(2000);
      for (const [i, [page, who]] of listeners.entries()) {
        const later = await from(page, plaintiffId);
        assert.ok(later.audio - atMute[i].audio <= 3, `${who} receives no audio of the muted plaintiff: ${atMute[i].audio} → ${later.audio} packets`);
        assert.ok(later.video > atMute[i].video, `${who} still sees the muted plaintiff: ${atMute[i].video} → ${later.video} frames`);
      }
      // The others are still heard.
      await receivesFrom(plaintiff.page, 'the muted plaintiff', [clerkId, defendantId]);
      await room.screenshot({ path: path.join(RESULTS, 'media-muted.png') });
      await plaintiff.page.screenshot({ path: path.join(RESULTS, 'media-muted-plaintiff.png') });

      // --- 取消静音: the plaintiff's audio reaches everyone again ---
      await tile(room, plaintiffLabel).getByRole('button', { name: `取消${PARTIES.plaintiff.name}的静音`, exact: true }).click();
      await plaintiff.page.getByTestId('muted-notice').waitFor({ state: 'hidden' });
      for (const page of [room, defendant.page]) await tile(page, plaintiffLabel).getByTestId('tile-muted').waitFor({ state: 'hidden' });
      const atUnmute = await Promise.all(listeners.map(([page]) => from(page, plaintiffId)));
      for (const [i, [page, who]] of listeners.entries()) {
        await eventually(async () => {
          const later = await from(page, plaintiffId);
          assert.ok(later.audio > atUnmute[i].audio + 20, `${who} hears the plaintiff again: ${atUnmute[i].audio} → ${later.audio} packets`);
        }, 10_000, 250);
      }

      // --- the defendant leaves: the others' media session drops their tracks ---
      await defendant.context.close();
      parties.pop();
      await eventually(async () => assert.equal(await tile(room, `被告 ${PARTIES.defendant.name}`).getAttribute('data-remote-media'), null), 20_000);

      assert.deepEqual(problems, [], 'no script errors in the staff room');
      for (const party of parties) assert.deepEqual(party.problems, [], 'no script errors on a party page');
    } catch (error) {
      await room.screenshot({ path: path.join(RESULTS, 'media-failure.png') }).catch(() => {});
      for (const [i, party] of parties.entries()) await party.page.screenshot({ path: path.join(RESULTS, `media-failure-${i}.png`) }).catch(() => {});
      throw error;
    } finally {
      for (const party of parties) await party.context.close();
      await clerk.close();
    }
  });

});
