/**
 * Browser test of the participant client (/join/{会议号}): a party signs in with the meeting number and an SMS code,
 * passes the camera/microphone self-test, confirms the court rules, swipes through the feature tour, waits in the
 * waiting room until the clerk opens the hearing and admits them in the console, and sits in the hearing room with
 * its floating buttons and menu. Also: refused permissions and their recovery, the live channel's reconnection and
 * catch-up, and every step on a 360×640 phone in portrait and landscape.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, collectProblems, demoMeetingNumber, eventually } from './helpers.mjs';
import {
  ANDROID_UA,
  MEDIA_ARGS,
  PARTIES,
  assertInViewport,
  assertNoOverflow,
  hearingIdOf,
  joinCodeFor,
  staffLogin,
  touchSwipe,
  videoPlays,
} from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const PHONE = { width: 390, height: 844 };
const SMALL = { width: 360, height: 640 };
const SMALL_LANDSCAPE = { width: 640, height: 360 };
const PC = { width: 1280, height: 800 };
const CODE_SENT = '如会议号与手机号码匹配，验证码已通过短信发送至该手机，5分钟内有效';

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';
/** SMS already read. */
const usedCodes = new Set();

/**
 * What the first test leaves for the next: the party in the room and the clerk's console.
 * @type {{page: import('playwright-core').Page, context: import('playwright-core').BrowserContext, clerk: import('playwright-core').BrowserContext, clerkPage: import('playwright-core').Page, problems: string[]} | null}
 */
let inRoom = null;

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `join-${name}.png`) });

/**
 * A phone's browser context.
 * @param {import('playwright-core').Browser} which
 * @param {{width: number, height: number}} viewport
 * @param {Partial<import('playwright-core').BrowserContextOptions>} [extra]
 */
async function phoneContext(which, viewport, extra = {}) {
  const context = await which.newContext({
    viewport,
    isMobile: true,
    hasTouch: true,
    userAgent: ANDROID_UA,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...extra,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = collectProblems(page);
  return { context, page, problems };
}

/** A clerk signed in through the API, for reading codes and admitting parties. */
async function clerkApi() {
  const clerk = await browser.newContext();
  await staffLogin(clerk, server.url, 'clerk', server.password);
  return clerk;
}

/**
 * Sign a party in on /join/{会议号}: phone, 获取验证码, the code from the SMS outbox, 进入庭审.
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').APIRequestContext} clerkRequest
 * @param {{phone: string, masked: string}} party
 */
async function signIn(page, clerkRequest, party) {
  const response = await page.goto(`${server.url}/join/${meeting}`);
  assert.equal(response?.status(), 200, `/join/${meeting} is served`);
  assert.equal(await page.getByLabel('会议号', { exact: true }).inputValue(), meeting, 'the number from the link is filled in');
  await page.getByLabel('手机号码', { exact: true }).fill(party.phone);
  await page.getByRole('button', { name: '获取验证码', exact: true }).click();
  await page.getByTestId('code-sent').filter({ hasText: CODE_SENT }).waitFor();
  const code = await joinCodeFor(clerkRequest, server.url, hearingId, party.masked, usedCodes);
  await page.getByLabel('验证码', { exact: true }).fill(code);
  await page.getByRole('button', { name: '进入庭审', exact: true }).click();
}

/**
 * The tile of one person in the room.
 * @param {import('playwright-core').Page} page
 * @param {string} label e.g. 原告 贾1
 */
const tile = (page, label) => page.getByTestId('tiles').locator('cc-tile').filter({ has: page.locator('figcaption', { hasText: label }) });

describe('participant client (/join)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const clerk = await clerkApi();
    hearingId = await hearingIdOf(clerk.request, server.url, meeting);
    await clerk.close();
  });

  after(async () => {
    await inRoom?.context.close().catch(() => {});
    await inRoom?.clerk.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  test('the page is served at /join, /join/ and /join/{会议号}, and its files as themselves', async () => {
    for (const at of ['/join', '/join/', `/join/${meeting}`]) {
      const response = await fetch(`${server.url}${at}`);
      assert.equal(response.status, 200, at);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, at);
      assert.match(await response.text(), /<cc-join-app>/, `${at} is the participant client`);
    }
    // The page's own module lives beside it: /join/{会议号} must not swallow /join/app.js.
    const module = await fetch(`${server.url}/join/app.js`);
    assert.equal(module.status, 200);
    assert.match(module.headers.get('content-type') ?? '', /javascript/, '/join/app.js is served as JavaScript, not as the page');
  });

  test('a party joins on a phone: code, self-test, court rules, tour, waiting room, admitted by the clerk, the room', async () => {
    // --- the clerk, at a desk, opens the hearing in the console ---
    const clerk = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    clerk.setDefaultTimeout(15_000);
    const clerkPage = await clerk.newPage();
    const clerkProblems = collectProblems(clerkPage);
    await clerkPage.goto(`${server.url}/console/`);
    await clerkPage.getByLabel('用户名', { exact: true }).fill('clerk');
    await clerkPage.getByLabel('密码', { exact: true }).fill(server.password);
    await clerkPage.getByRole('button', { name: '登录', exact: true }).click();
    await clerkPage.locator('cc-hearing-list tbody tr').filter({ hasText: meeting }).click();
    const jiaRow = clerkPage.locator('table.participants tbody tr').filter({ has: clerkPage.getByText('贾1', { exact: true }) });
    const jiaLive = jiaRow.getByTestId('live-status');
    await jiaLive.getByText('离线', { exact: true }).waitFor();

    // --- the party, on a phone ---
    const { context, page, problems } = await phoneContext(browser, PHONE);
    try {
      const response = await page.goto(`${server.url}/join/${meeting}`);
      assert.equal(response?.status(), 200);
      assert.equal(await page.title(), '云法庭 · 进入庭审');
      await page.getByRole('heading', { name: '进入庭审', exact: true }).waitFor();
      assert.equal(await page.getByLabel('会议号', { exact: true }).inputValue(), meeting);
      const codeInput = page.getByLabel('验证码', { exact: true });
      assert.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
      assert.equal(await codeInput.getAttribute('inputmode'), 'numeric');

      // a malformed phone is refused before anything is sent
      await page.getByLabel('手机号码', { exact: true }).fill('12345');
      await page.getByRole('button', { name: '获取验证码', exact: true }).click();
      await page.getByText('请输入有效的11位中国大陆手机号码').waitFor();

      // 获取验证码: the server's words, then a countdown
      await page.getByLabel('手机号码', { exact: true }).fill(PARTIES.plaintiff.phone);
      await page.getByRole('button', { name: '获取验证码', exact: true }).click();
      await page.getByTestId('code-sent').filter({ hasText: CODE_SENT }).waitFor();
      const send = page.getByTestId('send-code');
      assert.match((await send.textContent()) ?? '', /^\d{1,2}秒后重新获取$/);
      assert.equal(await send.isDisabled(), true, 'no second code within the minute');
      await shot(page, 'phone-code-sent');

      // a wrong code: the server's error next to the code
      await codeInput.fill('000000');
      await page.getByRole('button', { name: '进入庭审', exact: true }).click();
      await page.locator('[data-field-error="code"]').filter({ hasText: '验证码错误或已失效，请核对或重新获取' }).waitFor();
      assert.equal(await codeInput.getAttribute('aria-invalid'), 'true');

      // the right code
      const code = await joinCodeFor(clerk.request, server.url, hearingId, PARTIES.plaintiff.masked, usedCodes);
      await codeInput.fill(code);
      await page.getByRole('button', { name: '进入庭审', exact: true }).click();

      // --- the self-test: the camera plays, the meter moves, the phone can switch cameras ---
      const check = page.getByTestId('device-check');
      await check.getByRole('heading', { name: '设备检测' }).waitFor();
      await videoPlays(page.getByTestId('preview'));
      assert.equal(await page.getByTestId('preview').evaluate((v) => /** @type {HTMLVideoElement} */ (v).muted), true, 'the preview never plays the microphone back');
      const meter = page.getByTestId('mic-meter');
      /** @type {Set<number>} */
      const levels = new Set();
      await eventually(async () => {
        levels.add(Number(await meter.getAttribute('aria-valuenow')));
        assert.ok([...levels].filter((v) => v > 0).length >= 3, `the meter moves: ${[...levels].join(', ')}`);
      }, 10_000, 100);
      await check.getByRole('button', { name: '前置', exact: true }).waitFor();
      assert.equal(await check.getByRole('button', { name: '前置', exact: true }).getAttribute('aria-pressed'), 'true');
      await check.getByRole('button', { name: '后置', exact: true }).click();
      await eventually(async () => assert.equal(await check.getByRole('button', { name: '后置', exact: true }).getAttribute('aria-pressed'), 'true'));
      await videoPlays(page.getByTestId('preview'));
      await check.getByRole('button', { name: '前置', exact: true }).click();
      await eventually(async () => assert.equal(await check.getByRole('button', { name: '前置', exact: true }).getAttribute('aria-pressed'), 'true'));
      assert.ok((await check.getByLabel('摄像头', { exact: true }).locator('option').count()) >= 1, 'cameras listed');
      assert.ok((await check.getByLabel('麦克风', { exact: true }).locator('option').count()) >= 1, 'microphones listed');
      await assertNoOverflow(page, 'self-test');
      await shot(page, 'phone-devices');
      await check.getByRole('button', { name: '继续', exact: true }).click();

      // the online party is now seen by the clerk
      await jiaLive.getByText('在线', { exact: true }).waitFor();

      // --- 法庭纪律 ---
      const rules = page.getByTestId('rules');
      await rules.getByRole('heading', { name: '法庭纪律' }).waitFor();
      await rules.getByText(/第二十四条至第二十七条/).waitFor();
      await rules.getByText(/不得录音、录像、拍照/).waitFor();
      await rules.getByText(/证人、鉴定人在作证前不得旁听庭审/).waitFor();
      await rules.getByText(/民事诉讼法/).waitFor();
      const confirm = rules.getByRole('button', { name: '我已阅读并遵守', exact: true });
      assert.equal(await confirm.isDisabled(), true, 'nothing to confirm before the box is ticked');
      await rules.getByTestId('rules-check').check();
      await confirm.click();

      // the clerk sees the party waiting to be admitted
      await jiaLive.getByText('等待入庭', { exact: true }).waitFor();

      // --- 功能介绍: swiped through with a finger ---
      const tour = page.getByTestId('tour');
      await tour.getByRole('heading', { name: '功能介绍' }).waitFor();
      await tour.getByText('进入庭审后可左右滑动页面查看功能介绍').waitFor();
      const count = page.getByTestId('tour-count');
      assert.equal(await count.textContent(), '1 / 4');
      await tour.getByRole('heading', { name: '上传证据' }).waitFor();
      const viewport = page.locator('.tour-viewport');
      await touchSwipe(page, viewport, -220);
      await eventually(async () => assert.equal(await count.textContent(), '2 / 4'));
      await tour.getByRole('heading', { name: '查看笔录' }).waitFor();
      await touchSwipe(page, viewport, 220);
      await eventually(async () => assert.equal(await count.textContent(), '1 / 4'), 5000);
      for (const [n, title] of /** @type {const} */ ([[2, '查看笔录'], [3, '确认笔录并签名'], [4, '功能按钮']])) {
        await touchSwipe(page, viewport, -220);
        await eventually(async () => assert.equal(await count.textContent(), `${n} / 4`));
        await tour.getByRole('heading', { name: title }).waitFor();
      }
      await tour.getByText('正式开庭过程中用手指轻触手机屏幕，可看到右侧两个功能按钮；点击下方按钮可打开功能菜单。').waitFor();
      await shot(page, 'phone-tour');
      await tour.getByRole('button', { name: '立即体验', exact: true }).click();
      assert.equal(await page.evaluate(() => localStorage.getItem('cloudcourt.tourSeen')), '1', 'the tour is remembered');

      // --- 候庭: the hearing is not open yet ---
      const waiting = page.getByTestId('waiting-room');
      await waiting.getByRole('heading', { name: '候庭' }).waitFor();
      await page.getByTestId('waiting-status').filter({ hasText: '尚未开放候庭' }).waitFor();
      const caseNumber = ((await clerkPage.locator('.case-number').textContent()) ?? '').trim();
      assert.ok(caseNumber, 'the console shows the case number');
      await waiting.getByText(caseNumber, { exact: true }).waitFor();
      await waiting.getByText('民间借贷纠纷').waitFor();
      await waiting.getByText('北京市石景山区人民法院').waitFor();
      assert.equal(await page.getByTestId('waiting-state').textContent(), '已排期');
      assert.equal(await page.getByTestId('your-status').textContent(), '等待核验');
      assert.match((await page.getByTestId('waiting-time').textContent()) ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      await waiting.getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      // the clerk's console is connected too: the party sees who is there
      await page.getByTestId('present').getByText('书记员').waitFor();
      await page.getByTestId('present').getByText('梁1').waitFor();
      await assertNoOverflow(page, 'waiting room');
      await shot(page, 'phone-waiting');

      // --- the clerk admits too early: the server's reason, clearly ---
      await jiaRow.getByRole('button', { name: '准许 贾1 入庭' }).click();
      await clerkPage.locator('cc-hearing-detail [role="alert"]').filter({ hasText: '请先开放候庭' }).waitFor();

      // --- 开放候庭: the party waits for the clerk's check ---
      await clerkPage.getByRole('button', { name: '开放候庭', exact: true }).click();
      await page.getByTestId('waiting-status').filter({ hasText: '等待书记员核验身份后进入庭审' }).waitFor();
      assert.equal(await page.getByTestId('waiting-state').textContent(), '候庭');

      // --- 准许入庭: the party's page enters the room by itself ---
      await jiaRow.getByRole('button', { name: '准许 贾1 入庭' }).click();
      await clerkPage.getByText('已准许 贾1 入庭。').waitFor();
      await jiaLive.getByText('已签到', { exact: true }).waitFor();
      await jiaLive.getByText('在线', { exact: true }).waitFor();

      const room = page.getByTestId('room');
      await room.waitFor();
      for (const label of ['原告 贾1', '审判长 许1', '书记员 梁1', '被告 王2', '代理人 李3']) await tile(page, label).waitFor();
      assert.equal(await tile(page, '原告 贾1').getAttribute('data-self'), '', 'one’s own tile is marked');
      await videoPlays(tile(page, '原告 贾1').locator('video'));
      assert.equal(await tile(page, '书记员 梁1').getAttribute('data-connected'), '', 'the clerk is connected');
      assert.equal(await tile(page, '审判长 许1').getAttribute('data-connected'), null, 'the judge is not');
      await tile(page, '审判长 许1').getByText('未连接').waitFor();
      assert.equal(await tile(page, '审判长 许1').locator('video').isVisible(), false, 'no remote video is faked');
      await tile(page, '审判长 许1').locator('.tile-avatar').filter({ hasText: '许' }).waitFor();
      await page.getByTestId('room-state').filter({ hasText: '候庭' }).waitFor();
      await room.getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      await shot(page, 'phone-room');

      // --- the floating buttons: they hide, a touch shows them, the lower one opens the menu, 返回 closes it ---
      const menuButton = page.getByTestId('fab-menu');
      await menuButton.waitFor({ state: 'hidden', timeout: 8000 });
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await menuButton.waitFor({ state: 'visible' });
      await page.getByTestId('fab-devices').waitFor({ state: 'visible' });
      const [upper, lower] = [await page.getByTestId('fab-devices').boundingBox(), await menuButton.boundingBox()];
      assert.ok(upper && lower && lower.y > upper.y, 'the menu button is the lower one');
      assert.ok(lower.x + lower.width > PHONE.width - 100, 'on the right');
      await menuButton.tap();
      const menu = page.getByRole('dialog', { name: '功能菜单' });
      await menu.waitFor();
      for (const item of ['上传证据', '查看笔录', '确认笔录', '设备', '功能介绍', '离开']) {
        await menu.getByRole('button', { name: item, exact: true }).waitFor();
      }
      await shot(page, 'phone-menu');
      await menu.getByRole('button', { name: '返回', exact: true }).tap();
      await menu.waitFor({ state: 'detached' });

      // 上传证据 opens the evidence panel with 本地上传 (evidence.test.mjs goes on from there)
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await menuButton.tap();
      await menu.getByRole('button', { name: '上传证据', exact: true }).tap();
      const upload = page.getByRole('dialog', { name: '上传证据' });
      await upload.getByRole('button', { name: '本地上传', exact: true }).waitFor();
      await upload.getByRole('button', { name: '返回', exact: true }).tap();
      await upload.waitFor({ state: 'detached' });

      // 设备 from the menu: the self-test again; the new camera stays the self preview
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await menuButton.tap();
      await menu.getByRole('button', { name: '设备', exact: true }).tap();
      const devices = page.getByRole('dialog', { name: '设备' });
      await videoPlays(devices.getByTestId('preview'));
      await devices.getByRole('button', { name: '完成', exact: true }).tap();
      await devices.waitFor({ state: 'detached' });
      await videoPlays(tile(page, '原告 贾1').locator('video'));

      // 功能介绍 from the menu
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await menuButton.tap();
      await menu.getByRole('button', { name: '功能介绍', exact: true }).tap();
      const tourPanel = page.getByRole('dialog', { name: '功能介绍' });
      await tourPanel.getByTestId('tour').waitFor();
      await tourPanel.getByRole('button', { name: '返回', exact: true }).tap();
      await tourPanel.waitFor({ state: 'detached' });

      // the clerk's console: 贾1 online and checked in
      await jiaLive.getByText('在线', { exact: true }).waitFor();
      await jiaLive.getByText('已签到', { exact: true }).waitFor();
      await clerkPage.screenshot({ path: path.join(RESULTS, 'join-console-admitted.png'), fullPage: true });

      assert.deepEqual(problems, [], 'no script errors or CSP violations on the party’s page');
      assert.deepEqual(clerkProblems, [], 'no script errors or CSP violations in the console');
      inRoom = { page, context, clerk, clerkPage, problems };
    } catch (error) {
      await shot(page, 'phone-failure').catch(() => {});
      await clerkPage.screenshot({ path: path.join(RESULTS, 'join-console-failure.png'), fullPage: true }).catch(() => {});
      await context.close();
      await clerk.close();
      throw error;
    }
  });

  test('the room reconnects by itself and catches up with what it missed', async (t) => {
    if (!inRoom) {
      t.skip('needs the party in the room (first test)');
      return;
    }
    const { page, clerk, clerkPage, problems } = inRoom;
    try {
      const connection = page.getByTestId('room').getByTestId('connection');
      await connection.filter({ hasText: '已连接' }).waitFor();
      const before = await page.evaluate(() => /** @type {any} */ (window).__ccLive.debug);

      // a dropped connection comes back by itself
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.dropForTest());
      await connection.filter({ hasText: /已连接|正在重新连接…/ }).waitFor();
      await connection.filter({ hasText: '已连接' }).waitFor({ timeout: 10_000 });

      // cut off while the roster changes: 正在重新连接…, then 已连接 with the change applied
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.dropForTest(true));
      await connection.filter({ hasText: '正在重新连接…' }).waitFor();
      await shot(page, 'phone-reconnecting');
      const added = await clerk.request.post(`${server.url}/api/v1/hearings/${hearingId}/participants`, {
        data: { name: '第三人丙', role: 'third_party', phone: '13900009999' },
      });
      assert.ok(added.ok(), `the clerk adds a third party (${added.status()})`);
      await page.waitForTimeout(500);
      assert.equal(await tile(page, '第三人 第三人丙').count(), 0, 'nothing arrives while cut off');
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.resumeForTest());
      await connection.filter({ hasText: '已连接' }).waitFor();
      await tile(page, '第三人 第三人丙').waitFor();
      const afterwards = await page.evaluate(() => /** @type {any} */ (window).__ccLive.debug);
      assert.ok(afterwards.connects > before.connects, 'it connected again');
      assert.match(afterwards.url, /\/live\?since=\d+$/, 'it resumed from the last number seen');
      assert.equal(afterwards.catchup, 'replay', 'the missed messages were replayed');
      assert.ok(afterwards.since > before.since, 'the number moved on');
      // the console added the new participant by itself, from its own live channel
      await clerkPage.locator('table.participants tbody tr').filter({ hasText: '第三人丙' }).waitFor();

      // 离开: confirmed, the session ends, the clerk sees the party go
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await page.getByTestId('fab-menu').tap();
      await page.getByRole('dialog', { name: '功能菜单' }).getByRole('button', { name: '离开', exact: true }).tap();
      const ask = page.locator('dialog[open]');
      await ask.getByText(/确定离开庭审吗/).waitFor();
      await ask.getByRole('button', { name: '离开', exact: true }).click();
      await page.getByTestId('left').getByRole('heading', { name: '您已离开庭审' }).waitFor();
      const jiaLive = clerkPage.locator('table.participants tbody tr').filter({ has: clerkPage.getByText('贾1', { exact: true }) }).getByTestId('live-status');
      await jiaLive.getByText('离线', { exact: true }).waitFor();
      const me = await page.evaluate(async () => (await fetch('/api/v1/participant/me')).status);
      assert.equal(me, 401, 'the session is gone');
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot(page, 'reconnect-failure').catch(() => {});
      throw error;
    }
  });

  test('refused camera and microphone: the 始终允许 guidance, then 重试 recovers', async () => {
    // A Chromium that asks (and is refused) instead of allowing by itself.
    const denying = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream'],
      headless: true,
    });
    const clerk = await clerkApi();
    const { context, page, problems } = await phoneContext(denying, PHONE, { permissions: [] });
    try {
      await signIn(page, clerk.request, PARTIES.defendant);
      const guide = page.getByTestId('permission-guide');
      await guide.getByRole('heading', { name: '需要使用摄像头和麦克风' }).waitFor();
      await guide.getByText('浏览器未允许使用摄像头和麦克风，无法进入庭审。').waitFor();
      await guide.getByText('进入庭审过程中遇到以上问题，请一定选择“始终允许”。').waitFor();
      await guide.getByText('电脑（Chrome、Edge 浏览器）').waitFor();
      await guide.getByText(/选择“始终允许”使用摄像头和麦克风/).waitFor();
      await guide.getByText('苹果手机（Safari 浏览器）').waitFor();
      await guide.getByText(/“设置” → “Safari 浏览器” → “摄像头”和“麦克风”/).waitFor();
      await guide.getByText(/在微信、QQ 等应用内打开/).waitFor();
      await guide.getByText(/选择“在浏览器打开”/).waitFor();
      // this phone's own steps come first
      const first = guide.locator('.perm-step').first();
      assert.equal(await first.getAttribute('data-kind'), 'android');
      await first.getByText('您的设备').waitFor();
      await assertNoOverflow(page, 'permission guidance');
      await shot(page, 'phone-permission-denied');

      // still refused: 重试 shows the guidance again
      await guide.getByRole('button', { name: '重试', exact: true }).click();
      await guide.getByText('浏览器未允许使用摄像头和麦克风，无法进入庭审。').waitFor();

      // allowed in the browser's settings, then 重试 (the page may also notice the change by itself)
      await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
      const retry = guide.getByRole('button', { name: '重试', exact: true });
      await retry.click({ timeout: 2000 }).catch(() => {});
      await page.getByTestId('device-check').waitFor();
      await videoPlays(page.getByTestId('preview'));

      // no camera at all: the microphone alone, and the page says so
      await context.addInitScript(() => {
        const devices = navigator.mediaDevices;
        const original = devices.getUserMedia.bind(devices);
        devices.getUserMedia = async (constraints) => {
          if (constraints?.video) throw new DOMException('Requested device not found', 'NotFoundError');
          return original(constraints);
        };
      });
      await page.reload();
      await page.getByTestId('audio-only').filter({ hasText: '未检测到摄像头，将仅使用麦克风（语音）参加庭审。' }).waitFor();
      assert.equal(await page.getByTestId('preview').isVisible(), false, 'no camera picture');
      await page.getByTestId('mic-meter').waitFor();
      await shot(page, 'phone-audio-only');
      await page.getByRole('button', { name: '继续', exact: true }).click();
      await page.getByTestId('rules').waitFor();
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot(page, 'permission-failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
      await clerk.close();
      await denying.close();
    }
  });

  test('every step fits a 360×640 phone, portrait and landscape', async () => {
    const clerk = await clerkApi();
    const { context, page, problems } = await phoneContext(browser, SMALL);
    /**
     * Screenshots in both orientations, with no sideways scrolling.
     * @param {string} name
     * @param {() => Promise<void>} [inLandscape] checks made while turned
     */
    const both = async (name, inLandscape) => {
      await page.setViewportSize(SMALL);
      await assertNoOverflow(page, `${name} portrait`);
      await shot(page, `small-${name}`);
      await page.setViewportSize(SMALL_LANDSCAPE);
      await assertNoOverflow(page, `${name} landscape`);
      await shot(page, `small-${name}-landscape`);
      await inLandscape?.();
      await page.setViewportSize(SMALL);
    };
    try {
      await page.goto(`${server.url}/join/${meeting}`);
      await page.getByRole('heading', { name: '进入庭审', exact: true }).waitFor();
      await both('join');
      await signIn(page, clerk.request, PARTIES.agent);
      await videoPlays(page.getByTestId('preview'));
      await both('devices');
      await page.getByRole('button', { name: '继续', exact: true }).click();
      await page.getByTestId('rules').waitFor();
      await both('rules');
      await page.getByTestId('rules-check').check();
      await page.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
      await page.getByTestId('tour').waitFor();
      await both('tour');
      // the last slide, turned sideways: 立即体验 is on the screen
      await page.setViewportSize(SMALL_LANDSCAPE);
      await page.locator('.tour').focus();
      await page.keyboard.press('End');
      await eventually(async () => assert.equal(await page.getByTestId('tour-count').textContent(), '4 / 4'));
      await page.waitForTimeout(400);
      await assertInViewport(page, page.getByRole('button', { name: '立即体验', exact: true }), '立即体验');
      await shot(page, 'small-tour-last-landscape');
      await page.setViewportSize(SMALL);
      await page.getByRole('button', { name: '立即体验', exact: true }).click();
      await page.getByTestId('waiting-room').waitFor();
      await both('waiting');

      // English, then back
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Waiting room' }).waitFor();
      await page.getByTestId('waiting-status').filter({ hasText: 'Waiting for the clerk to verify your identity and admit you' }).waitFor();
      assert.equal(await page.title(), 'Cloud Court · Join the hearing');
      await assertNoOverflow(page, 'waiting room in English');
      await shot(page, 'small-waiting-en');
      await page.getByRole('button', { name: '中文' }).click();

      // admitted (the hearing is open since the first test): the room
      const detail = await (await clerk.request.get(`${server.url}/api/v1/hearings/${hearingId}`)).json();
      const li = detail.participants.find((/** @type {{name: string}} */ p) => p.name === PARTIES.agent.name);
      const admitted = await clerk.request.post(`${server.url}/api/v1/hearings/${hearingId}/participants/${li.id}/check-in`, { data: {} });
      assert.equal(admitted.status(), 200);
      await page.getByTestId('room').waitFor();
      await tile(page, '代理人 李3').waitFor();
      const tilesFit = async () => {
        for (const t of await page.getByTestId('tiles').locator('cc-tile').all()) await assertInViewport(page, t, 'every tile');
      };
      await tilesFit();
      await page.locator('.room-stage').tap({ position: { x: 30, y: 30 } });
      await assertInViewport(page, page.getByTestId('fab-menu'), 'the menu button');
      await both('room', async () => {
        await tilesFit();
        await page.locator('.room-stage').tap({ position: { x: 30, y: 30 } });
        await assertInViewport(page, page.getByTestId('fab-menu'), 'the menu button (landscape)');
      });
      await page.locator('.room-stage').tap({ position: { x: 30, y: 30 } });
      await page.getByTestId('fab-menu').tap();
      const menu = page.getByRole('dialog', { name: '功能菜单' });
      await menu.waitFor();
      await both('menu', async () => {
        await assertInViewport(page, menu.getByRole('button', { name: '离开', exact: true }), '离开 in the menu');
        await assertInViewport(page, menu.getByRole('button', { name: '返回', exact: true }), '返回');
      });
      await assertInViewport(page, menu.getByRole('button', { name: '离开', exact: true }), '离开 in the menu');
      await menu.getByRole('button', { name: '返回', exact: true }).tap();

      // the same participant opens the hearing on a second device: the first one is told, and does not fight back
      const second = await phoneContext(browser, SMALL);
      try {
        await second.context.addCookies(await context.cookies());
        await second.page.goto(`${server.url}/join/${meeting}`);
        await second.page.getByTestId('device-check').waitFor();
        const replaced = page.getByTestId('replaced');
        await replaced.getByRole('heading', { name: '已在其他设备进入' }).waitFor();
        await shot(page, 'small-replaced');
        await page.waitForTimeout(1500);
        assert.equal(await page.evaluate(() => /** @type {any} */ (window).__ccLive.status), 'disconnected', 'no automatic reconnection');
        // taking over again on the first device replaces the second
        await replaced.getByRole('button', { name: '在本设备进入', exact: true }).click();
        await page.getByTestId('device-check').waitFor();
        await second.page.getByTestId('replaced').waitFor();
        assert.deepEqual(second.problems, [], 'no script errors on the second device');
      } finally {
        await second.context.close();
      }
      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot(page, 'small-failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
      await clerk.close();
    }
  });
});
