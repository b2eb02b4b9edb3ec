/**
 * Browser test of the hearing's live audio and video through the SFU (issue 5, phase 1): the clerk in the staff room and
 * the parties on their phones, each a Chromium page with a fake camera and microphone. With two members in the room,
 * then three, every page decodes every other member's video (`framesDecoded` rising in `getStats()`) and receives their
 * audio (`packetsReceived` rising), and each member's remote media plays in that member's tile. When the clerk mutes a
 * party (静音 on the tile), that party's audio stops reaching the others (their `packetsReceived` from the party stays
 * flat for two seconds while the party's video goes on), every page marks the tile 已静音, the party is told
 * 您已被审判人员静音; 取消静音 brings the audio back. (A witness's media is witness.test.mjs's business.)
 *
 * Then a party on a phone (the agent 李3, with a third party 第三人 watching): the phone's camera goes out as two
 * simulcast layers (`l` at half the size of `h`, both rising in outbound-rtp) and the others decode it (on a machine
 * too busy for both layers the session goes on with one, and says so); 关闭麦克风 drops the party's audio level at the
 * far side to silence and marks 麦克风已关闭 on the party's own tile, while the clerk (whose fake microphone beeps) is
 * highlighted 正在发言 on the party's page; every tile shows 网络良好 on loopback; 切换摄像头 (fake cameras) swaps the
 * published track on the same connection and the others keep decoding; 关闭摄像头 shows the avatar at the others'
 * pages and 打开摄像头 brings the picture back; the media comes back by itself, without reloading the page and with
 * the tiles keeping their picture meanwhile, when the connection to the SFU closes, when the live WebSocket drops, and
 * when the SFU forgets the party's peer (nothing heard from it: the session's watchdog); and on a browser that wants a
 * touch before playing sound, the pictures play silently with 点击开启声音 until the next touch anywhere.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, collectProblems, demoMeetingNumber, eventually, webFromDisk } from './helpers.mjs';
import { MEDIA_ARGS, PARTIES, hearingIdOf, inbound, joinCodeFor, staffLogin, tile, videoPlays } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

/** Without it Chromium gathers no ICE candidate on loopback, where the SFU listens in tests. */
const LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection'];
/**
 * Three fake cameras, for 切换摄像头. Chromium's second one (fake_device_1) is a Y16 depth camera whose frames are never
 * encoded, so the switch test goes on to the third.
 */
const FAKE_ARGS = MEDIA_ARGS.map((arg) => (arg === '--use-fake-device-for-media-stream' ? `${arg}=device-count=3` : arg));
const PC = { width: 1280, height: 800 };
/** A phone held upright, with touch. */
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
/** Silence at the far side: the RMS level of what arrives from a muted microphone. */
const SILENT = 0.005;
/** A third party added to the demo hearing, to watch the phone's tile from another party's page. */
const THIRD = { name: '周8', phone: '13900000008', masked: '139****0008' };
/** An expert added to the demo hearing, whose browser wants a touch before it plays sound. */
const EXPERT = { name: '吴7', phone: '13900000007', masked: '139****0007' };

/**
 * @typedef {{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, problems: string[]}} PartyPage
 */

/**
 * The room the phone tests share: the clerk, the agent on a phone and a third party, once all see each other.
 * @type {{clerk: import('playwright-core').BrowserContext, room: import('playwright-core').Page, problems: string[],
 *   parties: PartyPage[], agent: PartyPage, third: PartyPage, clerkId: string, agentId: string, thirdId: string} | null}
 */
let phoneRoom = null;
const AGENT_LABEL = `代理人 ${PARTIES.agent.name}`;
const THIRD_LABEL = `第三人 ${THIRD.name}`;

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';


/**
 * Print what every open page's media session says (on a failure: who sent what, who decoded what).
 * @param {string} why
 */
async function diagnose(why) {
  for (const page of browser.contexts().flatMap((c) => c.pages())) {
    const state = await page
      .evaluate(async () => {
        const session = /** @type {any} */ (window).__ccMedia;
        const pc = session?.connection;
        if (!pc) return null;
        /** @type {unknown[]} */
        const rtp = [];
        (await pc.getStats()).forEach((/** @type {any} */ r) => {
          if (r.type === 'outbound-rtp' && r.kind === 'video') rtp.push(['out', r.rid ?? '', r.framesEncoded, r.keyFramesEncoded, r.pliCount, r.qualityLimitationReason]);
          if (r.type === 'inbound-rtp' && r.kind === 'video') rtp.push(['in', r.trackIdentifier, r.packetsReceived, r.framesDecoded, r.keyFramesDecoded, r.pliCount]);
        });
        return { state: session.state, ice: pc.connectionState, debug: session.debug, rtp };
      })
      .catch((/** @type {unknown} */ error) => String(error));
    console.info(`diagnose (${why}) ${page.url()}: ${JSON.stringify(state)}`);
  }
}

/**
 * Wait until `page` decodes video and receives audio from each of `members`, twice a little apart (so both rise).
 * @param {import('playwright-core').Page} page
 * @param {string} who for messages
 * @param {string[]} members member ids
 */
async function receivesFrom(page, who, members) {
  try {
    await receives(page, who, members);
  } catch (error) {
    await diagnose(`${who} receives from ${members.join(', ')}`);
    throw error;
  }
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string} who
 * @param {string[]} members
 */
async function receives(page, who, members) {
  /** @type {Record<string, {framesDecoded: number, audioPackets: number, streams: string}>} */
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
        // New streams (the member reconnected, e.g. going on with one simulcast layer) count afresh.
        const renewed = later[id]?.streams !== first[id]?.streams;
        const since = renewed ? { framesDecoded: 0, audioPackets: 0 } : first[id];
        assert.ok((later[id]?.framesDecoded ?? 0) > (since?.framesDecoded ?? 0), `${who}: video of ${id} keeps coming`);
        assert.ok((later[id]?.audioPackets ?? 0) > (since?.audioPackets ?? 0), `${who}: audio of ${id} keeps coming`);
      }
    },
    10_000,
    500,
  );
}

/**
 * Audio packets `page` has received from `member` so far, video frames decoded, and the RTP streams counted.
 * @param {import('playwright-core').Page} page
 * @param {string} member
 * @returns {Promise<Received>}
 */
async function from(page, member) {
  const totals = (await inbound(page))[member];
  return { audio: totals?.audioPackets ?? 0, video: totals?.framesDecoded ?? 0, streams: totals?.streams ?? '' };
}

/** @typedef {{audio: number, video: number, streams: string}} Received */

/**
 * What arrived between two readings of `from`. A member who reconnected in between (new streams, e.g. going on with
 * one simulcast layer) is counted afresh.
 * @param {Received} before
 * @param {Received} after
 */
function since(before, after) {
  const base = after.streams === before.streams ? before : { audio: 0, video: 0 };
  return { audio: after.audio - base.audio, video: after.video - base.video };
}

/**
 * A party signs in on its own page and waits to be admitted.
 * @param {import('playwright-core').APIRequestContext} clerkRequest
 * @param {{name: string, phone: string, masked: string}} party
 * @param {import('playwright-core').BrowserContextOptions} [device] a phone's viewport and touch (default: a PC)
 * @param {(context: import('playwright-core').BrowserContext) => Promise<void>} [prepare] before the first page
 */
async function partyWaits(clerkRequest, party, device = { viewport: PC }, prepare = async () => {}) {
  const context = await browser.newContext({ ...device, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await prepare(context);
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
 * The page's own outbound video, by layer (rid; '' without simulcast): bytes sent and picture width.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Record<string, {bytes: number, width: number}>>}
 */
async function outboundVideo(page) {
  return page.evaluate(async () => {
    const pc = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia?.connection;
    /** @type {Record<string, {bytes: number, width: number}>} */
    const layers = {};
    if (!pc) return layers;
    (await pc.getStats()).forEach((report) => {
      if (report.type === 'outbound-rtp' && report.kind === 'video') layers[report.rid ?? ''] = { bytes: report.bytesSent ?? 0, width: report.frameWidth ?? 0 };
    });
    return layers;
  });
}

/**
 * What `page` has played so far of `member`'s audio (cumulative energy and duration) and the width of their video.
 * @param {import('playwright-core').Page} page
 * @param {string} member
 * @returns {Promise<{energy: number, duration: number, width: number}>}
 */
async function heard(page, member) {
  return page.evaluate(async (memberId) => {
    const session = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia;
    const pc = session?.connection;
    const result = { energy: 0, duration: 0, width: 0 };
    const stream = session?.remote.get(memberId);
    if (!pc || !stream) return result;
    const tracks = new Set(stream.getTracks().map((t) => t.id));
    (await pc.getStats()).forEach((report) => {
      if (report.type !== 'inbound-rtp' || !tracks.has(report.trackIdentifier)) return;
      if (report.kind === 'audio') {
        result.energy += report.totalAudioEnergy ?? 0;
        result.duration += report.totalSamplesDuration ?? 0;
      } else result.width = report.frameWidth ?? 0;
    });
    return result;
  }, member);
}

/**
 * The RMS level of `member`'s audio as `page` plays it, over `ms`.
 * @param {import('playwright-core').Page} page
 * @param {string} member
 * @param {number} [ms]
 */
async function levelOf(page, member, ms = 1500) {
  const before = await heard(page, member);
  await page.waitForTimeout(ms);
  const after = await heard(page, member);
  const duration = after.duration - before.duration;
  return duration > 0 ? Math.sqrt(Math.max(0, after.energy - before.energy) / duration) : 0;
}

/**
 * The phone's device controls (设备 on the floating buttons), open; the button named `name` in them.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
async function deviceButton(page, name) {
  const bar = page.getByTestId('device-controls');
  if (!(await bar.isVisible())) {
    await page.locator('.room-stage').click({ position: { x: 30, y: 30 } });
    await page.getByTestId('fab-devices').click();
    await bar.waitFor();
  }
  return bar.getByRole('button', { name, exact: true });
}

/**
 * The camera the page publishes (its device id; '' when none is sent).
 * @param {import('playwright-core').Page} page
 */
async function publishedCamera(page) {
  return page.evaluate(() => {
    const pc = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia?.connection;
    const sender = pc?.getTransceivers().find((t) => t.direction === 'sendonly' && t.receiver.track.kind === 'video')?.sender;
    const track = sender?.track;
    return track && track.readyState === 'live' ? (track.getSettings().deviceId ?? '') : '';
  });
}

/**
 * Wait until `page` decodes at least `more` frames of `member` after the reading `before`.
 * @param {import('playwright-core').Page} page
 * @param {string} who for messages
 * @param {string} member
 * @param {Received} before
 * @param {number} [more]
 * @param {number} [timeoutMs]
 */
async function decodesMore(page, who, member, before, more = 10, timeoutMs = 10_000) {
  await eventually(
    async () => {
      const now = await from(page, member);
      assert.ok(since(before, now).video >= more, `${who} decodes ${member}: ${before.video} → ${now.video} frames`);
    },
    timeoutMs,
    200,
  );
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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...FAKE_ARGS, ...LOOPBACK_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const api = await browser.newContext();
    await staffLogin(api, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(api.request, server.url, meeting);
    for (const [person, role] of /** @type {const} */ ([[THIRD, 'third_party'], [EXPERT, 'expert']])) {
      const response = await api.request.post(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/participants`, {
        data: { name: person.name, role, phone: person.phone },
      });
      assert.equal(response.status(), 201, `the ${role} is added`);
    }
    await api.close();
  });

  after(async () => {
    for (const party of phoneRoom?.parties ?? []) await party.context.close().catch(() => {});
    await phoneRoom?.clerk.close().catch(() => {});
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
        const got = since(atMute[i], later);
        assert.ok(got.audio <= 3, `${who} receives no audio of the muted plaintiff: ${atMute[i].audio} → ${later.audio} packets`);
        assert.ok(got.video > 0, `${who} still sees the muted plaintiff: ${atMute[i].video} → ${later.video} frames`);
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
          assert.ok(since(atUnmute[i], later).audio > 20, `${who} hears the plaintiff again: ${atUnmute[i].audio} → ${later.audio} packets`);
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

  test('a phone sends its camera in two simulcast layers (l, h), and the others decode it', async () => {
    const clerk = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    clerk.setDefaultTimeout(20_000);
    await webFromDisk(clerk, server.url);
    await staffLogin(clerk, server.url, 'clerk', server.password);
    const room = await clerk.newPage();
    const problems = collectProblems(room);
    /** @type {PartyPage[]} */
    const parties = [];
    try {
      await room.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
      await room.getByTestId('staff-room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      // Open for admission unless an earlier test did.
      const openUp = room.getByTestId('room-controls').getByRole('button', { name: '开放候庭', exact: true });
      await eventually(async () => {
        if ((await room.getByTestId('room-state').filter({ hasText: '候庭' }).count()) > 0) return;
        if (await openUp.isVisible()) await openUp.click();
        assert.fail('the waiting room is not open yet');
      }, 20_000, 250);
      const waiting = room.getByTestId('waiting');
      const clerkId = await memberId(room, '书记员 梁1');
      const agent = await partyWaits(clerk.request, PARTIES.agent, PHONE);
      parties.push(agent);
      await waiting.locator('li').filter({ hasText: PARTIES.agent.name }).getByRole('button', { name: `准许 ${PARTIES.agent.name} 入庭` }).click();
      await agent.page.getByTestId('room').waitFor();
      const third = await partyWaits(clerk.request, THIRD);
      parties.push(third);
      await waiting.locator('li').filter({ hasText: THIRD.name }).getByRole('button', { name: `准许 ${THIRD.name} 入庭` }).click();
      await third.page.getByTestId('room').waitFor();
      const agentId = await memberId(room, AGENT_LABEL);
      const thirdId = await memberId(room, THIRD_LABEL);
      await receivesFrom(room, 'the clerk', [agentId, thirdId]);
      await receivesFrom(agent.page, 'the agent', [clerkId, thirdId]);
      await receivesFrom(third.page, 'the third party', [clerkId, agentId]);

      // The phone publishes two layers, both flowing: l at half the size of h. (A machine too busy to encode both — the
      // browser then stops h, the only layer the SFU forwards — makes the session go on with one layer: said, and
      // then that layer must flow.)
      const fellBack = () => agent.page.evaluate(() => !(/** @type {any} */ (window).__ccMedia.debug.simulcastAllowed));
      const first = await outboundVideo(agent.page);
      /** The layer the others receive. */
      let forwarded = 'h';
      if (await fellBack()) {
        console.info(`simulcast: fell back to one layer on this busy machine (${JSON.stringify(first)})`);
        forwarded = '';
      } else {
        assert.equal(await agent.page.evaluate(() => /** @type {any} */ (window).__ccMedia.simulcast), true, 'simulcast is on');
        assert.deepEqual(Object.keys(first).sort(), ['h', 'l'], `two layers: ${JSON.stringify(first)}`);
      }
      await eventually(async () => {
        const later = await outboundVideo(agent.page);
        if (forwarded === 'h' && (await fellBack())) return;
        for (const rid of forwarded ? ['l', 'h'] : ['']) assert.ok((later[rid]?.bytes ?? 0) > (first[rid]?.bytes ?? 0), `layer ${rid} keeps going: ${JSON.stringify(later)}`);
        if (forwarded) assert.ok((later.h?.width ?? 0) > 0 && (later.l?.width ?? 0) * 2 === later.h?.width, `l is half of h: ${JSON.stringify(later)}`);
      });
      if (await fellBack()) forwarded = '';
      // The others decode a layer the phone sends: the SFU's phase 1 forwards h; an SFU that picks layers per
      // subscriber forwards h or l by each one's bandwidth.
      await eventually(async () => {
        const layers = await outboundVideo(agent.page);
        const widths = (forwarded ? ['h', 'l'] : ['']).map((rid) => layers[rid]?.width ?? 0).filter((w) => w > 0);
        for (const [page, who] of /** @type {const} */ ([[room, 'the clerk'], [third.page, 'the third party']])) {
          const width = (await heard(page, agentId)).width;
          assert.ok(widths.includes(width), `${who} decodes the agent at a sent layer's size: ${width} px of ${JSON.stringify(widths)}`);
        }
      }, 15_000, 250);
      // One's own picture is mirrored (a front camera, like a mirror); the others' never.
      const mirrored = await agent.page.locator('cc-tile video.mirror').evaluateAll((videos) =>
        videos.map((v) => v.closest('cc-tile')?.querySelector('.tile-name')?.textContent),
      );
      assert.deepEqual(mirrored, [PARTIES.agent.name], 'only one’s own tile is mirrored');
      await agent.page.screenshot({ path: path.join(RESULTS, 'media-phone.png') });
      phoneRoom = { clerk, room, problems, parties, agent, third, clerkId, agentId, thirdId };
    } catch (error) {
      await room.screenshot({ path: path.join(RESULTS, 'media-phone-failure.png') }).catch(() => {});
      for (const party of parties) await party.context.close();
      await clerk.close();
      throw error;
    }
  });

  test('关闭麦克风: silence at the far side and 麦克风已关闭 on one’s tile; the clerk speaking is highlighted 正在发言', async (t) => {
    if (!phoneRoom) return t.skip('needs the phone in the room');
    const { room, agent, agentId } = phoneRoom;
    const page = agent.page;
    const own = tile(page, AGENT_LABEL);
    const clerkTile = tile(page, '书记员 梁1');
    // The fake microphone beeps: the clerk hears the agent.
    const loud = await levelOf(room, agentId);
    assert.ok(loud > 0.02, `the clerk hears the agent: level ${loud}`);

    await (await deviceButton(page, '关闭麦克风')).click();
    await own.getByTestId('tile-mic-off').filter({ hasText: '麦克风已关闭' }).waitFor();
    assert.equal(await (await deviceButton(page, '打开麦克风')).getAttribute('aria-pressed'), 'true');
    await eventually(async () => {
      const level = await levelOf(room, agentId, 1000);
      assert.ok(level < SILENT, `the clerk hears silence from the agent: level ${level}`);
    }, 10_000, 0);
    // Silence, not a cut: the audio packets keep coming (and the court's 已静音 is not shown).
    const packets = await from(room, agentId);
    await eventually(async () => assert.ok(since(packets, await from(room, agentId)).audio > 20, 'audio packets keep coming'));
    assert.equal(await own.getByTestId('tile-muted').isHidden(), true, 'not the court’s mute');

    // The third party turns their microphone off too: only the clerk (beeping) speaks now, and their tile is
    // highlighted on the agent's page, with the words for screen readers.
    await (await deviceButton(phoneRoom.third.page, '关闭麦克风')).click();
    await eventually(async () => assert.equal(await clerkTile.getAttribute('data-speaking'), '', 'the clerk is highlighted'), 10_000, 250);
    assert.equal(await own.getAttribute('data-speaking'), null, 'the muted agent is not');
    assert.match((await clerkTile.locator('.tile-speaking').textContent()) ?? '', /正在发言/);
    await page.screenshot({ path: path.join(RESULTS, 'media-phone-mic-off.png') });

    assert.equal(await tile(page, THIRD_LABEL).getAttribute('data-speaking'), null, 'the muted third party is not');
    await (await deviceButton(phoneRoom.third.page, '打开麦克风')).click();
    await (await deviceButton(page, '打开麦克风')).click();
    await own.getByTestId('tile-mic-off').waitFor({ state: 'hidden' });
    await eventually(async () => {
      const level = await levelOf(room, agentId, 1000);
      assert.ok(level > 0.02, `the clerk hears the agent again: level ${level}`);
    }, 10_000, 0);
  });

  test('every tile shows the link’s quality: 网络良好 on loopback', async (t) => {
    if (!phoneRoom) return t.skip('needs the phone in the room');
    const { agent, third } = phoneRoom;
    for (const [page, labels] of /** @type {const} */ ([
      [agent.page, [AGENT_LABEL, '书记员 梁1', THIRD_LABEL]],
      [third.page, [THIRD_LABEL, '书记员 梁1', AGENT_LABEL]],
    ])) {
      for (const label of labels) {
        const each = tile(page, label);
        await eventually(
          async () => {
            const quality = await each.getAttribute('data-quality');
            const debug = quality === 'good' ? null : await page.evaluate(() => /** @type {any} */ (window).__ccMedia.debug);
            assert.equal(quality, 'good', `${label}: good (${JSON.stringify({ uplink: debug?.uplink, links: debug?.links })})`);
          },
          20_000,
          250,
        );
        assert.equal((await each.locator('.q-text').textContent())?.trim(), '网络良好');
      }
    }
    await agent.page.screenshot({ path: path.join(RESULTS, 'media-phone-quality.png') });
  });

  test('切换摄像头 keeps the others decoding; 关闭摄像头 shows the avatar there and 打开摄像头 brings the picture back', async (t) => {
    if (!phoneRoom) return t.skip('needs the phone in the room');
    const { room, agent, third, agentId } = phoneRoom;
    const page = agent.page;
    const own = tile(page, AGENT_LABEL);
    const seen = tile(third.page, AGENT_LABEL);

    // 切换摄像头: another camera goes out by replaceTrack (no new connection), and the others keep decoding.
    const camera = await publishedCamera(page);
    assert.ok(camera, 'a camera is published');
    const pc = await page.evaluateHandle(() => /** @type {any} */ (window).__ccMedia.connection);
    // The next camera is the depth camera (nothing to see): on to the one after it, and the others decode that.
    await (await deviceButton(page, '切换摄像头')).click();
    /** @type {string} */
    let depth = '';
    await eventually(async () => {
      depth = await publishedCamera(page);
      assert.ok(depth && depth !== camera, `another camera is published: ${camera} → ${depth}`);
    });
    const atSwitch = await Promise.all([from(room, agentId), from(third.page, agentId)]);
    await (await deviceButton(page, '切换摄像头')).click();
    await eventually(async () => {
      const next = await publishedCamera(page);
      assert.ok(next && next !== camera && next !== depth, `a third camera is published: ${depth} → ${next}`);
    });
    assert.equal(await page.evaluate((old) => /** @type {any} */ (window).__ccMedia.connection === old, pc), true, 'the same connection');
    await decodesMore(room, 'the clerk', agentId, atSwitch[0]);
    await decodesMore(third.page, 'the third party', agentId, atSwitch[1]);
    // One's own tile shows the new camera.
    await eventually(async () => {
      const shown = await own.locator('video').evaluate((el) => {
        const stream = /** @type {MediaStream | null} */ (/** @type {HTMLVideoElement} */ (el).srcObject);
        return stream?.getVideoTracks()[0]?.getSettings().deviceId ?? '';
      });
      assert.equal(shown, await publishedCamera(page), 'the own tile shows the published camera');
    });
    await videoPlays(own.locator('video'));

    // 关闭摄像头: nothing is sent, one's tile and the others' show the avatar.
    await (await deviceButton(page, '关闭摄像头')).click();
    await eventually(async () => assert.equal(await publishedCamera(page), '', 'no camera is published'));
    await own.locator('.tile-avatar').waitFor();
    assert.equal(await own.locator('video').isHidden(), true, 'no picture on one’s own tile');
    await eventually(async () => assert.equal(await seen.getAttribute('data-video-off'), '', 'the third party sees the avatar'), 15_000, 250);
    await seen.locator('.tile-avatar').waitFor();
    const off = await from(room, agentId);
    await room.waitForTimeout(1500);
    assert.ok(since(off, await from(room, agentId)).video <= 2, 'the clerk decodes no more frames');
    await page.screenshot({ path: path.join(RESULTS, 'media-phone-camera-off.png') });

    // 打开摄像头: the picture is back everywhere, on the same connection.
    await (await deviceButton(page, '打开摄像头')).click();
    await eventually(async () => assert.ok(await publishedCamera(page), 'a camera is published again'));
    assert.equal(await page.evaluate((old) => /** @type {any} */ (window).__ccMedia.connection === old, pc), true, 'still the same connection');
    await decodesMore(room, 'the clerk', agentId, off);
    await eventually(async () => assert.equal(await seen.getAttribute('data-video-off'), null, 'the third party sees the picture again'), 15_000, 250);
    await videoPlays(seen.locator('video'));
    await videoPlays(own.locator('video'));
  });


  test('the media comes back by itself, without reloading: transport closed, live channel dropped, peer forgotten by the SFU', async (t) => {
    if (!phoneRoom) return t.skip('needs the phone in the room');
    const { room, agent, clerkId, agentId } = phoneRoom;
    const page = agent.page;
    const clerkTile = tile(page, '书记员 梁1');
    // The camera on (an earlier test may have stopped with it off).
    if (!(await publishedCamera(page))) await (await deviceButton(page, '打开摄像头')).click();
    await eventually(async () => assert.ok(await publishedCamera(page), 'the agent publishes a camera'));
    const origin = await page.evaluate((id) => {
      const w = /** @type {any} */ (window);
      w.__marker = 'the same page';
      w.__clerkId = id;
      // What the connection indicator said, in order.
      const status = /** @type {HTMLElement} */ (document.querySelector('cc-room cc-connection-status'));
      w.__said = [];
      new MutationObserver(() => w.__said.push(status.textContent)).observe(status, { subtree: true, childList: true, characterData: true });
      w.__clerkStream = /** @type {HTMLVideoElement} */ (document.querySelector(`cc-tile[data-member-id="${CSS.escape(id)}"] video`)).srcObject;
      return performance.timeOrigin;
    }, clerkId);

    /**
     * Cut the media one way, then wait until a new connection decodes the clerk again (and the clerk the agent).
     * @param {string} how
     * @param {() => Promise<unknown>} cut
     * @param {number} withinMs
     */
    const cutAndRecover = async (how, cut, withinMs) => {
      await page.evaluate(() => {
        /** @type {any} */ (window).__oldPc = /** @type {any} */ (window).__ccMedia.connection;
      });
      const clerkSide = await from(room, agentId);
      const started = Date.now();
      await cut();
      // Meanwhile the tile keeps its picture (no avatar).
      assert.equal(await clerkTile.getAttribute('data-remote-media'), '', `${how}: the clerk's tile keeps its media`);
      if (!(await clerkTile.locator('video').isVisible())) {
        const state = await clerkTile.evaluate((el) => ({
          videoOff: el.getAttribute('data-video-off'),
          tracks: /** @type {MediaStream | null} */ (el.querySelector('video')?.srcObject ?? null)?.getTracks().map((t) => `${t.kind}:${t.readyState}`),
          debug: /** @type {any} */ (window).__ccMedia.debug,
        }));
        assert.fail(`${how}: the clerk's tile keeps its last picture: ${JSON.stringify(state)}`);
      }
      // Back: a new connection, and the clerk's sound arriving on it (within the target)…
      /** @type {{audio: number} | null} */
      let first = null;
      const back = eventually(
        async () => {
          const state = await page.evaluate(() => {
            const w = /** @type {any} */ (window);
            const pc = w.__ccMedia.connection;
            return { fresh: pc !== null && pc !== w.__oldPc, connected: pc?.connectionState };
          });
          assert.ok(state.fresh && state.connected === 'connected', `${how}: a new connection: ${JSON.stringify(state)}`);
          const audio = (await from(page, clerkId)).audio;
          if (!first) first = { audio };
          assert.ok(audio > 0 && audio > first.audio, `${how}: the agent hears the clerk again (${audio} packets)`);
        },
        withinMs,
        100,
      );
      await back.catch(async (error) => {
        await diagnose(how);
        throw error;
      });
      const took = Date.now() - started;
      // … and the clerk's picture decoded again (a keyframe has to come from the clerk: a little later on a busy
      // machine).
      await eventually(async () => assert.ok((await from(page, clerkId)).video > 0, `${how}: the agent decodes the clerk again`), 10_000, 100).catch(
        async (error) => {
          await diagnose(`${how}: video`);
          throw error;
        },
      );
      await decodesMore(page, 'the agent', clerkId, await from(page, clerkId), 5);
      console.info(`media back after ${how}: sound after ${took} ms, picture after ${Date.now() - started} ms`);
      // The clerk receives the agent's new connection too (counted afresh: more than before or rising).
      // The clerk gets the agent's new connection too. (Slower: a new connection's uplink estimate starts at about
      // 300 kbit/s, and the browser adds the top simulcast layer — the one this SFU forwards — only once it has grown.)
      await eventually(async () => {
        const now = await from(room, agentId);
        assert.ok(now.streams !== clerkSide.streams && now.video > 0, `${how}: the clerk decodes the agent's new connection`);
      }, 15_000, 200).catch(async (error) => {
        await diagnose(`${how}: the clerk's side`);
        throw error;
      });
      await decodesMore(room, 'the clerk', agentId, await from(room, agentId));
      return took;
    };

    // 1. The connection to the SFU closes under the page (as when the network goes).
    await cutAndRecover('the transport closed', () => page.evaluate(() => /** @type {any} */ (window).__ccMedia.dropForTest()), 5000);
    // 2. The live WebSocket drops (the server forgets the media session with it); it reconnects after about 1 s.
    await cutAndRecover('the live channel dropped', () => page.evaluate(() => /** @type {any} */ (window).__ccLive.dropForTest()), 7000);
    // 3. The SFU forgets the peer without a word: ICE goes disconnected, and after 2 s the page replaces it.
    await cutAndRecover('the SFU forgot the peer', () => page.evaluate(() => /** @type {any} */ (window).__ccLive.send({ type: 'media.leave' })), 15_000);

    const after = await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      const video = /** @type {HTMLVideoElement} */ (document.querySelector(`cc-tile[data-member-id="${CSS.escape(w.__clerkId)}"] video`));
      return { marker: w.__marker, origin: performance.timeOrigin, said: w.__said, sameStream: video.srcObject === w.__clerkStream };
    });
    assert.equal(after.marker, 'the same page', 'no reload');
    assert.equal(after.origin, origin, 'no navigation');
    assert.ok(after.said.includes('正在重新连接…'), `the indicator said 正在重新连接…: ${JSON.stringify(after.said)}`);
    assert.equal(after.said.at(-1), '已连接', 'and is back to 已连接');
    assert.equal(after.sameStream, true, 'the clerk’s tile kept its stream (its tracks were swapped)');
    await videoPlays(clerkTile.locator('video'));
    await page.getByTestId('room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
    assert.deepEqual(agent.problems, [], 'no script errors on the phone');
    assert.deepEqual(phoneRoom.problems, [], 'no script errors in the staff room');
  });

  test('sound that needs a touch: the picture plays silently with 点击开启声音 until the next touch anywhere', async (t) => {
    if (!phoneRoom) return t.skip('needs the room');
    const { clerk, room, parties } = phoneRoom;
    // As iOS Safari does (and Chrome on a page not touched yet): sound only after a touch. The touches of the way in
    // do not count here, so that the room is entered as after a reload.
    const expert = await partyWaits(clerk.request, EXPERT, PHONE, (context) =>
      context.addInitScript(() => {
        const w = /** @type {any} */ (window);
        const play = HTMLMediaElement.prototype.play;
        w.__touchCounts = false;
        w.__soundAllowed = false;
        document.addEventListener(
          'pointerdown',
          () => {
            if (w.__touchCounts) w.__soundAllowed = true;
          },
          true,
        );
        HTMLMediaElement.prototype.play = function () {
          if (!this.muted && !w.__soundAllowed) return Promise.reject(new DOMException('play() needs a touch', 'NotAllowedError'));
          return play.call(this);
        };
      }),
    );
    parties.push(expert);
    const page = expert.page;
    await room.getByTestId('waiting').locator('li').filter({ hasText: EXPERT.name }).getByRole('button', { name: `准许 ${EXPERT.name} 入庭` }).click();
    await page.getByTestId('room').waitFor();
    const clerkTile = tile(page, '书记员 梁1');
    const video = clerkTile.locator('video');
    // The picture plays, silently, and the tile offers the sound.
    await clerkTile.getByRole('button', { name: '点击开启声音', exact: true }).waitFor();
    await videoPlays(video);
    assert.equal(await video.evaluate((el) => /** @type {HTMLVideoElement} */ (el).muted), true, 'silent until a touch');
    await page.screenshot({ path: path.join(RESULTS, 'media-phone-sound-blocked.png') });
    // A touch anywhere (here on the stage, not on the button) turns the sound on for every tile.
    await page.evaluate(() => {
      /** @type {any} */ (window).__touchCounts = true;
    });
    await page.locator('.room-stage').tap({ position: { x: 30, y: 30 } });
    await clerkTile.getByTestId('enable-sound').waitFor({ state: 'hidden' });
    await eventually(async () => {
      const state = await video.evaluate((el) => ({ muted: /** @type {HTMLVideoElement} */ (el).muted, paused: /** @type {HTMLVideoElement} */ (el).paused }));
      assert.deepEqual(state, { muted: false, paused: false }, 'the clerk is heard');
    });
    await eventually(async () => {
      const waiting = await page.getByTestId('enable-sound').filter({ visible: true }).evaluateAll((buttons) =>
        buttons.map((b) => b.closest('cc-tile')?.querySelector('figcaption')?.textContent ?? '?'),
      );
      assert.deepEqual(waiting, [], 'no tile waits for a touch');
    }, 3000);
    assert.deepEqual(expert.problems, [], 'no script errors');
  });
});
