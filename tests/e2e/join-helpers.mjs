/** Helpers of the participant client's browser test: the clerk's API calls, reading a join code from the SMS outbox, touch swipes. */

import assert from 'node:assert/strict';
import { collectProblems, eventually, webFromDisk } from './helpers.mjs';

/** Flags for a Chromium whose camera and microphone are fakes that need no permission prompt. */
export const MEDIA_ARGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

/** An Android phone's browser, so the page offers the phone's controls (前置/后置). */
export const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

/** The demo's parties (see `cloudcourt demo`). */
export const PARTIES = {
  plaintiff: { name: '贾1', phone: '13800000001', masked: '138****0001' },
  defendant: { name: '王2', phone: '13800000002', masked: '138****0002' },
  agent: { name: '李3', phone: '13800000003', masked: '138****0003' },
};

/**
 * Sign a context in as a staff member through the API (its cookie then serves the context's pages and requests).
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} url
 * @param {string} username
 * @param {string} password
 */
export async function staffLogin(context, url, username, password) {
  const response = await context.request.post(`${url}/api/v1/session`, { data: { username, password } });
  assert.equal(response.status(), 200, `staff login ${username}`);
}

/**
 * The id of the hearing with this meeting number, as the staff see it.
 * @param {import('playwright-core').APIRequestContext} request signed in as staff
 * @param {string} url
 * @param {string} meeting
 * @returns {Promise<string>}
 */
export async function hearingIdOf(request, url, meeting) {
  const hearings = await (await request.get(`${url}/api/v1/hearings`)).json();
  const hearing = hearings.find((/** @type {{meeting_number: string}} */ h) => h.meeting_number === meeting);
  assert.ok(hearing, `a hearing with meeting number ${meeting}`);
  return hearing.id;
}

/**
 * The newest join code sent to `masked` for the hearing, read from the SMS outbox as the clerk.
 * @param {import('playwright-core').APIRequestContext} request signed in as staff
 * @param {string} url
 * @param {string} hearingId
 * @param {string} masked the phone as the outbox shows it, e.g. 138****0001
 * @param {Set<string>} [used] message ids already read (a new message is expected)
 * @returns {Promise<string>} 6 digits
 */
export async function joinCodeFor(request, url, hearingId, masked, used = new Set()) {
  let code = '';
  await eventually(async () => {
    const response = await request.get(`${url}/api/v1/sms/outbox?hearing_id=${encodeURIComponent(hearingId)}`);
    assert.equal(response.status(), 200);
    /** @type {{id: string, kind: string, phone_masked: string, text: string}[]} */
    const messages = await response.json();
    const message = messages.find((m) => m.kind === 'join_code' && m.phone_masked === masked && !used.has(m.id));
    assert.ok(message, `a join code SMS to ${masked}`);
    const match = /验证码为(\d{6})，/.exec(message.text);
    assert.ok(match?.[1], `the code in “${message.text}”`);
    used.add(message.id);
    code = match[1];
  }, 10_000, 200);
  return code;
}

/**
 * A finger swipe over `locator` by `dx` pixels (negative: to the left), as real touch events (which the page sees as
 * pointer events of type `touch`).
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').Locator} locator
 * @param {number} dx
 */
export async function touchSwipe(page, locator, dx) {
  const box = await locator.boundingBox();
  assert.ok(box, 'the swiped element is on screen');
  const cdp = await page.context().newCDPSession(page);
  const y = box.y + box.height / 2;
  const x0 = box.x + box.width / 2 - dx / 2;
  const steps = 8;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y }] });
  for (let i = 1; i <= steps; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x0 + (dx * i) / steps, y }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/**
 * Fail when the page scrolls sideways.
 * @param {import('playwright-core').Page} page
 * @param {string} where
 */
export async function assertNoOverflow(page, where) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling: ${where} (overflow ${overflow}px)`);
}

/**
 * Fail unless the element lies entirely inside the viewport (reachable without scrolling sideways or being cut off).
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').Locator} locator
 * @param {string} what
 */
export async function assertInViewport(page, locator, what) {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  assert.ok(box && size, `${what} is shown`);
  assert.ok(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5 && box.y + box.height <= size.height + 0.5,
    `${what} lies inside the ${size.width}×${size.height} screen (${JSON.stringify(box)})`,
  );
}

/**
 * Wait until the video element plays a picture.
 * @param {import('playwright-core').Locator} video
 */
export async function videoPlays(video) {
  await video.waitFor();
  await eventually(async () => {
    const state = await video.evaluate((el) => {
      const v = /** @type {HTMLVideoElement} */ (el);
      return { ready: v.readyState, width: v.videoWidth, paused: v.paused, time: v.currentTime };
    });
    assert.ok(state.ready >= 2 && state.width > 0 && !state.paused && state.time > 0, `the video plays: ${JSON.stringify(state)}`);
  });
}

/** A PC's viewport, and a phone's held upright. */
export const PC = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * A staff member at a desk: a browser context with the console signed in (its cookie also serves the test's API calls).
 * @param {import('playwright-core').Browser} browser
 * @param {{url: string, password: string}} server the demo server
 * @param {string} [username]
 */
export async function deskContext(browser, server, username = 'clerk') {
  const context = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(15_000);
  await webFromDisk(context, server.url);
  await staffLogin(context, server.url, username, server.password);
  const page = await context.newPage();
  const problems = collectProblems(page);
  return { context, page, problems };
}

/**
 * A party's Android phone, upright, with the feature tour already seen (the tour is the join test's business).
 * @param {import('playwright-core').Browser} browser
 * @param {{url: string}} server the demo server
 */
export async function phoneContext(browser, server) {
  const context = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    userAgent: ANDROID_UA,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(15_000);
  await webFromDisk(context, server.url);
  // Init scripts run in every frame, also an evidence preview's frame, where there is no storage.
  await context.addInitScript(() => {
    if (window.top === window && window.localStorage) localStorage.setItem('cloudcourt.tourSeen', '1');
  });
  const page = await context.newPage();
  const problems = collectProblems(page);
  return { context, page, problems };
}

/** What the join page says once the SMS code is on its way. */
export const CODE_SENT = '如会议号与手机号码匹配，验证码已通过短信发送至该手机，5分钟内有效';

/**
 * A party signs in on /join/{会议号} (code from the SMS outbox through the clerk's API), passes the device check and
 * the court rules, and the clerk admits them (check-in) into the room.
 * @param {import('playwright-core').Page} page the party's page
 * @param {{url: string, meeting: string, hearingId: string, clerkRequest: import('playwright-core').APIRequestContext, usedCodes?: Set<string>}} hearing
 * @param {{name: string, phone: string, masked: string}} party
 */
export async function enterRoom(page, hearing, party) {
  const { url, meeting, hearingId, clerkRequest } = hearing;
  await page.goto(`${url}/join/${meeting}`);
  await page.getByLabel('手机号码', { exact: true }).fill(party.phone);
  await page.getByRole('button', { name: '获取验证码', exact: true }).click();
  await page.getByTestId('code-sent').filter({ hasText: CODE_SENT }).waitFor();
  const code = await joinCodeFor(clerkRequest, url, hearingId, party.masked, hearing.usedCodes);
  await page.getByLabel('验证码', { exact: true }).fill(code);
  await page.getByRole('button', { name: '进入庭审', exact: true }).click();
  await page.getByTestId('device-check').waitFor();
  await page.getByRole('button', { name: '继续', exact: true }).click();
  await page.getByTestId('rules-check').check();
  await page.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
  await page.getByTestId('waiting-room').waitFor();
  const base = `${url}/api/v1/hearings/${encodeURIComponent(hearingId)}`;
  const detail = await (await clerkRequest.get(base)).json();
  const participant = detail.participants.find((/** @type {{name: string}} */ p) => p.name === party.name);
  assert.ok(participant, `participant ${party.name}`);
  const admitted = await clerkRequest.post(`${base}/participants/${participant.id}/check-in`, { data: {} });
  assert.equal(admitted.status(), 200, `the clerk admits ${party.name} (${await admitted.text()})`);
  await page.getByTestId('room').waitFor();
}

/**
 * A person's tile in the hearing room's grid.
 * @param {import('playwright-core').Page} page
 * @param {string} label role and name, e.g. 原告 贾1
 */
export const tile = (page, label) => page.getByTestId('tiles').locator('cc-tile').filter({ has: page.locator('figcaption', { hasText: label }) });

/**
 * The page's inbound RTP totals, by the member (stream id) each track comes from, and which RTP streams they count
 * (`streams`: a member who reconnected comes with new streams, counted from 0 again).
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Record<string, {framesDecoded: number, audioPackets: number, streams: string}>>}
 */
export async function inbound(page) {
  return page.evaluate(async () => {
    const session = /** @type {{__ccMedia?: import('../../web/lib/rtc.js').MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia;
    const pc = session?.connection;
    /** @type {Record<string, {framesDecoded: number, audioPackets: number, streams: string}>} */
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
      const entry = (totals[memberId] ??= { framesDecoded: 0, audioPackets: 0, streams: '' });
      entry.streams = [...entry.streams.split(' ').filter(Boolean), String(report.ssrc)].sort().join(' ');
      if (report.kind === 'video') entry.framesDecoded += report.framesDecoded ?? 0;
      else entry.audioPackets += report.packetsReceived ?? 0;
    });
    return totals;
  });
}
