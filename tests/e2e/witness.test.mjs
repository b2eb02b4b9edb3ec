/**
 * Browser test of the court's rules in the live hearing: a witness (证人) and a party join the demo hearing on phones
 * with fake cameras while the clerk and the judge sit in the staff room. Until the court calls the witness in, the
 * witness's page waits (请等待审判人员传唤) and never even creates an RTCPeerConnection, and nobody — party, clerk or
 * judge — sees a witness tile; the staff see the witness apart, in 候庭证人. The judge presses 传唤入庭: the witness's
 * page enters the room and decodes the others' video (framesDecoded rising), and the party sees a 证人 tile playing
 * the witness's video. 退庭 sends the witness out: the tile disappears and the witness's page is back in the waiting
 * room with its connection closed. Then the clerk removes the party (移出庭审, with a reason, confirmed): the party's
 * page says 您已被审判人员移出庭审 with the reason and waits again, until 准许入庭 lets it back in.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, demoMeetingNumber, eventually } from './helpers.mjs';
import { MEDIA_ARGS, PARTIES, deskContext, hearingIdOf, joinCodeFor, phoneContext, staffLogin } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Browser} Browser */

/** Without it Chromium gathers no ICE candidate on loopback, where the SFU listens in tests. */
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];

/** The witness added to the demo hearing. */
const WITNESS = { name: '赵7', phone: '13900000007', masked: '139****0007' };

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {Browser} */
let browser;
let meeting = '';
let hearingId = '';
/** Join codes already read from the outbox. */
const usedCodes = new Set();

/**
 * A tile of the room on `page`, by its caption (e.g. 证人 赵7).
 * @param {Page} page
 * @param {string} label
 */
const tile = (page, label) => page.getByTestId('tiles').locator('cc-tile').filter({ has: page.locator('figcaption', { hasText: label }) });

/**
 * Every RTCPeerConnection the page creates is kept in `window.__ccPeers`, so the test sees them whatever the page's
 * own code does with them (and sees that none was made).
 * @param {import('playwright-core').BrowserContext} context
 */
async function watchPeers(context) {
  await context.addInitScript(() => {
    if (window.top !== window) return;
    const Original = window.RTCPeerConnection;
    /** @type {RTCPeerConnection[]} */
    const peers = [];
    /** @type {{__ccPeers?: RTCPeerConnection[]}} */ (/** @type {unknown} */ (window)).__ccPeers = peers;
    class Watched extends Original {
      /** @param {RTCConfiguration} [config] */
      constructor(config) {
        super(config);
        peers.push(this);
      }
    }
    window.RTCPeerConnection = Watched;
  });
}

/**
 * The page's peer connections and what came in on them: video frames decoded and packets received, in total.
 * @param {Page} page
 * @returns {Promise<{peers: number, states: string[], framesDecoded: number, packetsReceived: number}>}
 */
async function received(page) {
  return page.evaluate(async () => {
    const peers = /** @type {{__ccPeers?: RTCPeerConnection[]}} */ (/** @type {unknown} */ (window)).__ccPeers ?? [];
    let framesDecoded = 0;
    let packetsReceived = 0;
    for (const pc of peers) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      stats.forEach((report) => {
        if (report.type !== 'inbound-rtp') return;
        packetsReceived += report.packetsReceived ?? 0;
        if (report.kind === 'video') framesDecoded += report.framesDecoded ?? 0;
      });
    }
    return { peers: peers.length, states: peers.map((pc) => pc.connectionState), framesDecoded, packetsReceived };
  });
}

/**
 * Wait until the video in `locator` plays a picture that moves on.
 * @param {import('playwright-core').Locator} locator a tile
 * @param {string} what
 */
async function playsVideo(locator, what) {
  const video = locator.locator('video');
  /** @returns {Promise<{width: number, time: number}>} */
  const sample = () =>
    video.evaluate((el) => {
      const v = /** @type {HTMLVideoElement} */ (el);
      return { width: v.videoWidth, time: v.currentTime };
    });
  let first = { width: 0, time: 0 };
  await eventually(async () => {
    first = await sample();
    assert.ok(first.width > 0 && first.time > 0, `${what} plays: ${JSON.stringify(first)}`);
  }, 30_000, 250);
  await eventually(async () => assert.ok((await sample()).time > first.time, `${what} moves on`), 10_000, 250);
}

/**
 * A person signs in on their phone and waits in the waiting room.
 * @param {import('playwright-core').APIRequestContext} clerkRequest
 * @param {{name: string, phone: string, masked: string}} person
 */
async function arrives(clerkRequest, person) {
  const phone = await phoneContext(browser, server);
  // Init scripts also run on the context's open page when it navigates.
  await watchPeers(phone.context);
  const { page: fresh, problems } = phone;
  await fresh.goto(`${server.url}/join/${meeting}`);
  await fresh.getByLabel('手机号码', { exact: true }).fill(person.phone);
  await fresh.getByRole('button', { name: '获取验证码', exact: true }).click();
  const code = await joinCodeFor(clerkRequest, server.url, hearingId, person.masked, usedCodes);
  await fresh.getByLabel('验证码', { exact: true }).fill(code);
  await fresh.getByRole('button', { name: '进入庭审', exact: true }).click();
  await fresh.getByTestId('device-check').waitFor();
  await fresh.getByRole('button', { name: '继续', exact: true }).click();
  await fresh.getByTestId('rules-check').check();
  await fresh.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
  await fresh.getByTestId('waiting-room').waitFor();
  return { context: phone.context, page: fresh, problems };
}

/**
 * A staff member's staff room, connected.
 * @param {string} username
 */
async function staffRoom(username) {
  const desk = await deskContext(browser, server, username);
  await desk.page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
  await desk.page.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
  return desk;
}

describe('witness call-in (传唤证人入庭) and removal (移出庭审)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const api = await browser.newContext();
    await staffLogin(api, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(api.request, server.url, meeting);
    const base = `${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}`;
    const added = await api.request.post(`${base}/participants`, { data: { name: WITNESS.name, role: 'witness', phone: WITNESS.phone } });
    assert.equal(added.status(), 201, 'the witness is added');
    const opened = await api.request.post(`${base}/transitions`, { data: { transition: 'open' } });
    assert.equal(opened.status(), 200, '开放候庭');
    await api.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the witness hears and shows nothing until called in; 退庭 takes the tile away; 移出庭审 sends a party back', async () => {
    const clerk = await staffRoom('clerk');
    const judge = await staffRoom('judge');
    /** @type {{context: import('playwright-core').BrowserContext, page: Page, problems: string[]}[]} */
    const phones = [];
    const plaintiffLabel = `原告 ${PARTIES.plaintiff.name}`;
    const witnessLabel = `证人 ${WITNESS.name}`;
    try {
      // --- the plaintiff is admitted; the witness joins and waits for the court's call ---
      const plaintiff = await arrives(clerk.context.request, PARTIES.plaintiff);
      phones.push(plaintiff);
      await clerk.page.getByTestId('waiting').getByRole('button', { name: `准许 ${PARTIES.plaintiff.name} 入庭` }).click();
      await plaintiff.page.getByTestId('room').waitFor();
      const witness = await arrives(clerk.context.request, WITNESS);
      phones.push(witness);
      await witness.page.getByTestId('waiting-status').filter({ hasText: '请等待审判人员传唤' }).waitFor();
      assert.equal(await witness.page.getByTestId('your-status').textContent(), '等待传唤');
      assert.equal(await witness.page.getByTestId('present').isHidden(), true, 'a witness sees nobody of the hearing');

      // The staff see the witness apart, outside, with 传唤入庭 — and not as a tile, nor in the 候庭 list.
      for (const desk of [clerk, judge]) {
        const item = desk.page.getByTestId('witnesses').locator('li').filter({ hasText: WITNESS.name });
        await item.getByTestId('witness-status').filter({ hasText: '候庭中' }).waitFor();
        await item.getByRole('button', { name: `传唤证人 ${WITNESS.name} 入庭`, exact: true }).waitFor();
        assert.equal(await desk.page.getByTestId('waiting').locator('li').filter({ hasText: WITNESS.name }).count(), 0);
      }
      // Everyone's media is flowing meanwhile (the plaintiff's page receives the clerk's video).
      await eventually(async () => assert.ok((await received(plaintiff.page)).framesDecoded > 0, 'the plaintiff receives video'), 30_000, 500);
      await tile(plaintiff.page, '书记员 梁1').waitFor();
      // A few seconds of a live hearing: the witness's page made no connection, so received nothing; no witness tile.
      await witness.page.waitForTimeout(3000);
      assert.deepEqual(await received(witness.page), { peers: 0, states: [], framesDecoded: 0, packetsReceived: 0 }, 'no peer connection on the witness page');
      for (const page of [plaintiff.page, clerk.page, judge.page]) {
        assert.equal(await tile(page, witnessLabel).count(), 0, 'no witness tile before the call');
        assert.equal(await page.getByTestId('tiles').locator('cc-tile[data-role="witness"]').count(), 0);
      }
      await clerk.page.screenshot({ path: path.join(RESULTS, 'witness-outside-staff.png') });
      await witness.page.screenshot({ path: path.join(RESULTS, 'witness-outside-phone.png') });

      // --- the judge calls the witness in ---
      await judge.page.getByTestId('witnesses').getByRole('button', { name: `传唤证人 ${WITNESS.name} 入庭`, exact: true }).click();
      await judge.page.getByText(`已传唤 ${WITNESS.name} 入庭。`).waitFor();
      await witness.page.getByTestId('room').waitFor();
      // The witness's page now receives the others' video, and keeps receiving it.
      /** @type {{peers: number, states: string[], framesDecoded: number, packetsReceived: number}} */
      let first = { peers: 0, states: [], framesDecoded: 0, packetsReceived: 0 };
      await eventually(async () => {
        first = await received(witness.page);
        assert.ok(first.framesDecoded > 0, `the witness decodes video: ${JSON.stringify(first)}`);
      }, 30_000, 500);
      await eventually(async () => {
        const later = await received(witness.page);
        assert.ok(later.framesDecoded > first.framesDecoded, `video keeps coming: ${first.framesDecoded} → ${later.framesDecoded}`);
      }, 10_000, 500);
      await tile(witness.page, plaintiffLabel).waitFor();
      // The party sees a 证人 tile playing the witness's video; so do the staff.
      await playsVideo(tile(plaintiff.page, witnessLabel), 'the witness on the plaintiff’s page');
      await playsVideo(tile(clerk.page, witnessLabel), 'the witness on the clerk’s page');
      const inside = clerk.page.getByTestId('witnesses').locator('li').filter({ hasText: WITNESS.name });
      await inside.getByTestId('witness-status').filter({ hasText: '在庭作证' }).waitFor();
      await plaintiff.page.screenshot({ path: path.join(RESULTS, 'witness-called-in-party.png') });
      await witness.page.screenshot({ path: path.join(RESULTS, 'witness-called-in-phone.png') });

      // --- 退庭: the tile goes from every screen; the witness is outside again, connection closed ---
      await inside.getByRole('button', { name: `让证人 ${WITNESS.name} 退庭`, exact: true }).click();
      await tile(plaintiff.page, witnessLabel).waitFor({ state: 'detached' });
      await tile(clerk.page, witnessLabel).waitFor({ state: 'detached' });
      await tile(judge.page, witnessLabel).waitFor({ state: 'detached' });
      await witness.page.getByTestId('waiting-room').waitFor();
      await witness.page.getByTestId('waiting-notice').filter({ hasText: '您已退庭' }).waitFor();
      await eventually(async () => {
        const after = await received(witness.page);
        assert.ok(after.states.every((state) => state === 'closed'), `the witness's connection is closed: ${JSON.stringify(after)}`);
      });
      await clerk.page.getByTestId('witnesses').locator('li').filter({ hasText: WITNESS.name }).getByRole('button', { name: `传唤证人 ${WITNESS.name} 入庭` }).waitFor();

      // --- 移出庭审: the clerk removes the plaintiff, with a reason, after confirming ---
      const row = clerk.page.getByTestId('in-room').locator('li').filter({ hasText: PARTIES.plaintiff.name });
      await row.getByRole('button', { name: `将 ${PARTIES.plaintiff.name} 移出庭审`, exact: true }).click();
      await row.getByLabel('移出原因（选填）').fill('未经许可录音录像');
      await row.getByRole('button', { name: '确认移出', exact: true }).click();
      const dialog = clerk.page.locator('dialog[open]');
      await dialog.getByText(`确定将 ${PARTIES.plaintiff.name} 移出庭审吗？`, { exact: false }).waitFor();
      await dialog.getByRole('button', { name: '移出庭审', exact: true }).click();
      await clerk.page.getByText(`已将 ${PARTIES.plaintiff.name} 移出庭审。`).waitFor();
      const notice = plaintiff.page.getByTestId('waiting-notice');
      await notice.filter({ hasText: '您已被审判人员移出庭审' }).waitFor();
      await notice.filter({ hasText: '原因：未经许可录音录像' }).waitFor();
      await plaintiff.page.getByTestId('waiting-room').waitFor();
      await tile(clerk.page, plaintiffLabel).filter({ hasText: '候庭中' }).waitFor();
      await plaintiff.page.screenshot({ path: path.join(RESULTS, 'removed-party.png') });

      // --- 准许入庭 again: back in the room ---
      await clerk.page.getByTestId('waiting').getByRole('button', { name: `准许 ${PARTIES.plaintiff.name} 入庭` }).click();
      await plaintiff.page.getByTestId('room').waitFor();
      await tile(plaintiff.page, '书记员 梁1').waitFor();

      for (const desk of [clerk, judge]) assert.deepEqual(desk.problems, [], 'no script errors in the staff room');
      for (const phone of phones) assert.deepEqual(phone.problems, [], 'no script errors on a phone');
    } catch (error) {
      await clerk.page.screenshot({ path: path.join(RESULTS, 'witness-failure-clerk.png') }).catch(() => {});
      for (const [i, phone] of phones.entries()) await phone.page.screenshot({ path: path.join(RESULTS, `witness-failure-${i}.png`) }).catch(() => {});
      throw error;
    } finally {
      for (const phone of phones) await phone.context.close();
      await clerk.context.close();
      await judge.context.close();
    }
  });
});
