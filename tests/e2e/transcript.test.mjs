/**
 * Browser test of the litigant's transcript (issue 7): two browsers, the clerk's at a desk and a party's phone.
 * The clerk types the transcript in the console's editor (#/hearings/{id}/transcript, autosaved); the party's 查看笔录
 * shows it as the seed lays it out, live (without 刷新), and
 * after 刷新 when the live channel missed a save; the clerk opens confirmation; the party taps 确认笔录, sees the
 * turn-your-phone hint upright, turns the phone, is refused an empty signature (nothing stored), draws, 撤销 (the pad
 * is cleared), draws again, ✓; the server holds the signature bound to the version's hash and the clerk's overview
 * shows it; a new version makes the party's signature out of date (签名已过期，请重新签名) on both screens. Then
 * another party: 申请补正 and the clerk's refusal (驳回) with its reason, signing upright (仍在竖屏签名), a version saved
 * while the signing page is open, and the server's 409 `transcript_outdated` when the live channel missed it.
 *
 * The binary serves the web client it was built with (web/ is embedded). To try the working tree's web/ against an
 * older binary, set CC_WEB_FROM_DISK=1 (helpers.mjs `webFromDisk`).
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, demoMeetingNumber, eventually, pngSize } from './helpers.mjs';
import {
  MEDIA_ARGS,
  PARTIES,
  PHONE,
  assertInViewport,
  assertNoOverflow,
  deskContext,
  hearingIdOf,
  joinCodeFor,
  phoneContext,
  staffLogin,
} from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const PHONE_LANDSCAPE = { width: 844, height: 390 };
const CODE_SENT = '如会议号与手机号码匹配，验证码已通过短信发送至该手机，5分钟内有效';

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';
/** SMS already read. */
const usedCodes = new Set();

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {{role: string, name: string, text: string}} Entry */

/**
 * @param {Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `transcript-${name}.png`) });

/**
 * The clerk's API calls (what the test reads back, and the steps before the transcript).
 * @param {import('playwright-core').APIRequestContext} request signed in as the clerk
 */
function clerkApi(request) {
  const base = `${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}`;
  return {
    /** @returns {Promise<import('../../web/lib/types.js').Confirmation>} */
    async confirmation() {
      const response = await request.get(`${base}/transcript/confirmation`);
      assert.equal(response.status(), 200);
      return response.json();
    },
    /** @returns {Promise<import('../../web/lib/types.js').Correction[]>} */
    async corrections() {
      const response = await request.get(`${base}/transcript/corrections`);
      assert.equal(response.status(), 200);
      return response.json();
    },
    /** @param {string} name */
    async participantId(name) {
      const detail = await (await request.get(base)).json();
      const participant = detail.participants.find((/** @type {{name: string}} */ p) => p.name === name);
      assert.ok(participant, `participant ${name}`);
      return /** @type {string} */ (participant.id);
    },
    /** @param {string} participantId */
    async admit(participantId) {
      const response = await request.post(`${base}/participants/${participantId}/check-in`, { data: {} });
      assert.equal(response.status(), 200, `the clerk admits the party (${await response.text()})`);
    },
    async openWaitingRoom() {
      const response = await request.post(`${base}/transitions`, { data: { transition: 'open' } });
      assert.equal(response.status(), 200, `开放候庭 (${await response.text()})`);
    },
  };
}

/** How the console names a speaker's role. */
const ROLE_LABEL = /** @type {Record<string, string>} */ ({ presiding_judge: '审判长', plaintiff: '原告', defendant: '被告' });

/**
 * The clerk's transcript editor in the console: type entries, and wait for the autosave.
 * @param {Page} page the clerk's console
 */
function editor(page) {
  return {
    async open() {
      await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/transcript`);
      await page.locator('[data-testid="transcript-editor"][data-editable]').waitFor();
      await page.getByTestId('transcript-confirmation').waitFor();
    },
    /**
     * Type the entries after those already there (an empty first entry is used as it is), then leave the entries:
     * the editor saves at once (it may also have saved on the way, when the focus left the entries).
     * @param {Entry[]} entries the whole list wanted
     * @returns {Promise<number>} the version that holds them
     */
    async write(entries) {
      const texts = page.getByTestId('entry-text');
      const speakers = page.getByTestId('entry-speaker');
      let rows = await texts.count();
      if (rows === 1 && !(await texts.first().inputValue())) rows = 0;
      for (let i = rows; i < entries.length; i++) {
        const entry = /** @type {Entry} */ (entries[i]);
        if (i > 0 || (await texts.count()) === 0) await page.getByTestId('add-entry').click();
        await speakers.nth(i).selectOption({ label: `${ROLE_LABEL[entry.role]} ${entry.name}` });
        await texts.nth(i).fill(entry.text);
      }
      await texts.nth(entries.length - 1).blur();
      const status = page.getByTestId('save-status');
      let version = 0;
      await eventually(async () => {
        assert.equal(await status.getAttribute('data-state'), 'saved');
        assert.equal(await status.getAttribute('data-pending'), '0');
        const latest = await (await page.request.get(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript`)).json();
        assert.deepEqual(latest.entries, entries, 'the server holds what was typed');
        assert.equal(await status.getAttribute('data-version'), String(latest.version));
        version = latest.version;
      }, 15_000, 200);
      return version;
    },
    /** 发起确认笔录, confirmed in the dialog. */
    async openConfirmation() {
      await page.getByTestId('open-confirmation').click();
      await page.locator('dialog[open]').getByRole('button', { name: '发起确认笔录', exact: true }).click();
      await page.locator('[data-testid="transcript-confirmation"][data-open]').waitFor();
    },
    /**
     * The overview shows a participant's status.
     * @param {string} participantId
     * @param {string} status
     */
    async sees(participantId, status) {
      await page.locator(`[data-testid="confirmation-task"][data-participant-id="${participantId}"][data-status="${status}"]`).waitFor();
    },
    /**
     * 驳回 a correction request with a reason.
     * @param {string} correctionId
     * @param {string} reason
     */
    async refuse(correctionId, reason) {
      const item = page.locator(`[data-testid="correction"][data-correction-id="${correctionId}"]`);
      await item.getByTestId('correction-refuse').click();
      await page.getByTestId('correction-reason').fill(reason);
      await page.getByTestId('correction-refuse-submit').click();
      await page.locator(`[data-testid="correction"][data-correction-id="${correctionId}"][data-status="refused"]`).waitFor();
    },
  };
}

/**
 * A party signs in on /join/{会议号} and is admitted to the room.
 * @param {Page} page
 * @param {ReturnType<typeof clerkApi>} clerk
 * @param {import('playwright-core').APIRequestContext} clerkRequest
 * @param {{name: string, phone: string, masked: string}} party
 */
async function enterRoom(page, clerk, clerkRequest, party) {
  await page.goto(`${server.url}/join/${meeting}`);
  await page.getByLabel('手机号码', { exact: true }).fill(party.phone);
  await page.getByRole('button', { name: '获取验证码', exact: true }).click();
  await page.getByTestId('code-sent').filter({ hasText: CODE_SENT }).waitFor();
  const code = await joinCodeFor(clerkRequest, server.url, hearingId, party.masked, usedCodes);
  await page.getByLabel('验证码', { exact: true }).fill(code);
  await page.getByRole('button', { name: '进入庭审', exact: true }).click();
  await page.getByTestId('device-check').waitFor();
  await page.getByRole('button', { name: '继续', exact: true }).click();
  await page.getByTestId('rules-check').check();
  await page.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
  await page.getByTestId('waiting-room').waitFor();
  await clerk.admit(await clerk.participantId(party.name));
  await page.getByTestId('room').waitFor();
}

/**
 * Open a function of the room's menu.
 * @param {Page} page
 * @param {string} item 查看笔录 | 确认笔录
 */
async function menu(page, item) {
  await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
  await page.getByTestId('fab-menu').tap();
  await page.getByRole('dialog', { name: '功能菜单' }).getByRole('button', { name: item, exact: true }).tap();
  const panel = page.getByRole('dialog', { name: item });
  await panel.waitFor();
  return panel;
}

/**
 * Draw on the signing pad with the mouse: each stroke a list of points in fractions of the pad.
 * @param {Page} page
 * @param {[number, number][][]} strokes
 */
async function draw(page, strokes) {
  const box = await page.getByTestId('signature-canvas').boundingBox();
  assert.ok(box, 'the pad is shown');
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    assert.ok(first);
    await page.mouse.move(box.x + first[0] * box.width, box.y + first[1] * box.height);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    await page.mouse.up();
  }
}

/** A signature: a zigzag and a hook across most of the pad. */
const SIGNATURE = /** @type {[number, number][][]} */ ([
  [[0.1, 0.6], [0.18, 0.3], [0.26, 0.7], [0.34, 0.3], [0.42, 0.65]],
  [[0.5, 0.35], [0.62, 0.65], [0.72, 0.5], [0.86, 0.4]],
]);

/**
 * How many pixels of the pad carry ink.
 * @param {Page} page
 * @returns {Promise<number>}
 */
const inkedPixels = (page) =>
  page.getByTestId('signature-canvas').evaluate((el) => {
    const canvas = /** @type {HTMLCanvasElement} */ (el);
    const data = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')).getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
    return n;
  });

/**
 * @param {Page} page
 * @param {string} status
 */
const statusIs = (page, status) => page.locator(`[data-testid="confirmation-status"][data-status="${status}"]`).waitFor();

/** The entries the clerk writes. */
const FIRST = [
  { role: 'presiding_judge', name: '许1', text: '现在开庭。首先核对当事人身份。' },
  {
    role: 'plaintiff',
    name: PARTIES.plaintiff.name,
    text: '原告贾1，住北京市石景山区。被告于2025年3月向我借款人民币五万元，约定同年年底归还，至今分文未还，请求法院判令被告归还借款并支付利息。',
  },
];
const SECOND = [...FIRST, { role: 'defendant', name: PARTIES.defendant.name, text: '借款属实，但我已经归还了一万元。' }];
const THIRD = [...SECOND, { role: 'presiding_judge', name: '许1', text: '被告是否有还款凭证？' }];

describe('the litigant’s transcript (查看笔录, 确认笔录, 签名)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const context = await browser.newContext();
    await staffLogin(context, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(context.request, server.url, meeting);
    await context.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a party reads the transcript live, signs it on a phone turned sideways, and a new version asks to sign again', async () => {
    const desk = await deskContext(browser, server, 'clerk');
    const clerk = clerkApi(desk.context.request);
    const ed = editor(desk.page);
    const phone = await phoneContext(browser, server);
    const { page, problems } = phone;
    try {
      await ed.open();
      await clerk.openWaitingRoom();
      await enterRoom(page, clerk, desk.context.request, PARTIES.plaintiff);

      // --- 查看笔录 before anything is saved ---
      const view = await menu(page, '查看笔录');
      await view.getByTestId('transcript-empty').filter({ hasText: '笔录尚未开始记录' }).waitFor();
      await view.getByTestId('transcript-court').filter({ hasText: '北京市石景山区人民法院' }).waitFor();
      assert.equal(await view.getByTestId('transcript-entry').count(), 0);
      await shot(page, 'phone-empty');

      // --- the clerk types, the editor saves: the party's page shows it without 刷新 ---
      const v1 = await ed.write(FIRST);
      const entries = view.getByTestId('transcript-entry');
      await eventually(async () => assert.equal(await entries.count(), 2));
      assert.equal(await entries.nth(0).textContent(), `审判长 许1：${FIRST[0]?.text}`);
      assert.equal(await entries.nth(1).textContent(), `原告 贾1：${FIRST[1]?.text}`);
      await view.getByTestId('transcript-updated').filter({ hasText: '已更新' }).waitFor();
      await eventually(async () => assert.equal(await view.getByTestId('transcript-version').getAttribute('data-version'), String(v1)));
      assert.match((await view.getByTestId('transcript-version').textContent()) ?? '', new RegExp(`^第${v1}版 · 保存于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$`));
      // laid out as the seed: court, 庭审笔录, 时间 … 书记员, the opening note, then the entries
      await view.getByTestId('transcript-title').filter({ hasText: '庭审笔录' }).waitFor();
      const fields = await view.getByTestId('transcript-field').allTextContents();
      assert.deepEqual(
        fields.map((f) => f.split('：')[0]),
        ['时间', '地点', '案由', '案号', '审判人员', '书记员'],
      );
      assert.match(fields[0] ?? '', /^时间：\d{4}年\d{2}月\d{2}日$/);
      assert.ok(fields.includes('审判人员：许1') && fields.includes('书记员：梁1'), fields.join(' | '));
      assert.match((await view.getByTestId('transcript-note').textContent()) ?? '', /^\(开庭审理前，书记员应当查明当事人/);
      // readable on a phone: large type, long text wrapped, nothing sideways
      const size = await entries.nth(1).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(size >= 16, `entries in large enough type (${size}px)`);
      const long = await entries.nth(1).boundingBox();
      assert.ok(long && long.height > 60 && long.x + long.width <= PHONE.width, `the long entry wraps inside the screen: ${JSON.stringify(long)}`);
      await assertNoOverflow(page, 'the transcript');
      await shot(page, 'phone-live');

      // --- the live channel misses a save: 刷新 brings it ---
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.dropForTest(true));
      const v2 = await ed.write(SECOND);
      await page.waitForTimeout(600);
      assert.equal(await entries.count(), 2, 'nothing arrives while cut off');
      await view.getByTestId('transcript-refresh').tap();
      await eventually(async () => assert.equal(await entries.count(), 3));
      assert.equal(await entries.nth(2).textContent(), `被告 王2：${SECOND[2]?.text}`);
      assert.equal(await view.getByTestId('transcript-version').getAttribute('data-version'), String(v2));
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.resumeForTest());
      await page.getByTestId('room').getByTestId('connection').filter({ hasText: '已连接' }).waitFor();

      // --- 确认笔录 before the court opens it: the clerk will ---
      assert.equal(await view.getByTestId('confirm-transcript').count(), 0, 'no 确认笔录 before the court opens it');
      await view.getByRole('button', { name: '返回', exact: true }).tap();
      const early = await menu(page, '确认笔录');
      await statusIs(page, 'closed');
      await early.getByText('书记员将开放笔录确认').waitFor();
      assert.equal(await early.getByTestId('sign-transcript').count(), 0);
      await early.getByRole('button', { name: '返回', exact: true }).tap();

      // --- the clerk opens confirmation: 确认笔录 appears at the bottom of 查看笔录, live ---
      const reading = await menu(page, '查看笔录');
      await reading.getByTestId('transcript-entry').nth(2).waitFor();
      await ed.openConfirmation();
      await reading.getByTestId('confirm-transcript').waitFor();
      await reading.getByTestId('transcript-confirm-open').waitFor();
      await reading.getByTestId('confirm-transcript').tap();
      const confirm = page.getByRole('dialog', { name: '确认笔录' });
      await confirm.waitFor();
      await statusIs(page, 'pending');
      const opened = await clerk.confirmation();
      assert.equal(opened.version, v2);
      const toSign = confirm.getByTestId('confirmation-version');
      assert.equal(await toSign.getAttribute('data-version'), String(v2));
      assert.equal(await toSign.getAttribute('data-sha256'), opened.sha256);
      await shot(page, 'phone-confirm');

      // --- the signing page, upright: turn the phone ---
      await confirm.getByTestId('sign-transcript').tap();
      const signing = page.getByTestId('signature-page');
      await signing.waitFor();
      await page.getByTestId('rotate-hint').getByText('签名时请按照提示将手机横向放置').waitFor();
      assert.ok(await page.getByTestId('rotate-hint').locator('svg').isVisible(), 'a picture of the phone turning');
      await page.getByTestId('rotate-continue').waitFor();
      assert.match((await page.getByTestId('signature-version').textContent()) ?? '', new RegExp(`第${v2}版.*${(opened.sha256 ?? '').slice(0, 8)}`));
      await shot(page, 'phone-rotate');
      await page.setViewportSize(PHONE_LANDSCAPE);
      await page.getByTestId('rotate-hint').waitFor({ state: 'hidden' });
      const canvas = page.getByTestId('signature-canvas');
      await assertInViewport(page, canvas, 'the signing pad');
      await assertInViewport(page, page.getByTestId('signature-submit'), '✓');
      await assertInViewport(page, page.getByTestId('signature-undo'), '撤销');
      assert.equal(await page.getByTestId('signature-submit').getAttribute('aria-label'), '提交签名');
      assert.equal(await canvas.evaluate((el) => getComputedStyle(el).touchAction), 'none');
      await assertNoOverflow(page, 'the signing page sideways');

      // --- ✓ on an empty pad: refused here, nothing stored ---
      await page.getByTestId('signature-submit').tap();
      await page.getByTestId('signature-error').filter({ hasText: '请先在签名区域内签名' }).waitFor();
      const jia = await clerk.participantId(PARTIES.plaintiff.name);
      const task = async () => (await clerk.confirmation()).tasks.find((t) => t.participant_id === jia);
      assert.equal((await task())?.signature, null, 'no signature stored');

      // --- draw, turn the phone back and forth (the drawing stays), 撤销 clears it ---
      await draw(page, SIGNATURE);
      assert.equal(await canvas.getAttribute('data-strokes'), '2');
      const inked = await inkedPixels(page);
      assert.ok(inked > 300, `ink on the pad (${inked} pixels)`);
      await shot(page, 'landscape-drawn');
      await page.setViewportSize(PHONE);
      await page.getByTestId('rotate-hint').waitFor();
      await page.setViewportSize(PHONE_LANDSCAPE);
      await page.getByTestId('rotate-hint').waitFor({ state: 'hidden' });
      await eventually(async () => {
        assert.equal(await canvas.getAttribute('data-strokes'), '2', 'the strokes are kept');
        assert.ok((await inkedPixels(page)) > 300, 'and redrawn');
      });
      await page.getByTestId('signature-undo').tap();
      assert.equal(await canvas.getAttribute('data-strokes'), '0');
      assert.equal(await inkedPixels(page), 0, 'the pad is clean after 撤销');

      // --- a scribble in a corner: too little to be a signature ---
      await draw(page, [[[0.05, 0.1], [0.1, 0.2]]]);
      await page.getByTestId('signature-submit').tap();
      await page.getByTestId('signature-error').filter({ hasText: '签名过于简单' }).waitFor();
      assert.equal((await task())?.signature, null, 'still nothing stored');
      await page.getByTestId('signature-undo').tap();

      // --- the signature, ✓ ---
      await draw(page, SIGNATURE);
      await page.getByTestId('signature-error').waitFor({ state: 'hidden' });
      await page.getByTestId('signature-submit').tap();
      await signing.waitFor({ state: 'detached' });
      await statusIs(page, 'signed');
      await confirm.getByText('已签名确认').waitFor();
      await confirm.getByTestId('my-signature').waitFor();

      // the server holds it, bound to the version shown and its hash
      const signed = await task();
      assert.equal(signed?.status, 'signed');
      assert.equal(signed?.signature?.version, v2);
      assert.equal(signed?.signature?.sha256, opened.sha256);
      const image = await desk.context.request.get(`${server.url}${signed?.signature?.image_url}`);
      assert.equal(image.status(), 200);
      const png = pngSize(new Uint8Array(await image.body()));
      assert.ok(png.width <= 1600 && png.width >= 600, `a sharp PNG at most 1600 px wide (${png.width}×${png.height})`);
      await shot(page, 'landscape-signed');

      // --- the clerk's overview shows it ---
      await ed.sees(jia, 'signed');
      await desk.page.locator(`[data-testid="confirmation-task"][data-participant-id="${jia}"] [data-testid="signature-image"][data-version="${v2}"]`).waitFor();
      await desk.page.screenshot({ path: path.join(RESULTS, 'transcript-console-signed.png'), fullPage: true });

      // --- a new version: the party's signature belongs to an older one ---
      await page.setViewportSize(PHONE);
      const v3 = await ed.write(THIRD);
      await statusIs(page, 'outdated');
      await confirm.getByText('签名已过期，请重新签名').waitFor();
      await confirm.getByText(`您的签名属于第${v2}版`).waitFor();
      await confirm.getByTestId('sign-transcript').filter({ hasText: '重新签名' }).waitFor();
      assert.equal(await confirm.getByTestId('confirmation-version').getAttribute('data-version'), String(v3));
      await eventually(async () => assert.equal(await confirm.getByTestId('transcript-entry').count(), 4));
      assert.equal((await task())?.status, 'outdated');
      await ed.sees(jia, 'outdated');
      await assertNoOverflow(page, 'the confirmation');
      await shot(page, 'phone-outdated');

      assert.deepEqual(problems, [], 'no script errors or CSP violations on the party’s page');
      assert.deepEqual(desk.problems, [], 'no script errors in the console');
    } catch (error) {
      await shot(page, 'failure').catch(() => {});
      await desk.page.screenshot({ path: path.join(RESULTS, 'transcript-console-failure.png'), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await phone.context.close();
      await desk.context.close();
    }
  });

  test('another party asks for a correction, reads the clerk’s refusal, and is told when the version changes while signing', async () => {
    const desk = await deskContext(browser, server, 'clerk');
    const clerk = clerkApi(desk.context.request);
    const ed = editor(desk.page);
    const phone = await phoneContext(browser, server);
    const { page, problems } = phone;
    try {
      await ed.open();
      // the transcript from the first test, its confirmation open
      const latest = await clerk.confirmation();
      assert.equal(latest.open, true, 'confirmation is open (first test)');
      await enterRoom(page, clerk, desk.context.request, PARTIES.defendant);
      const wang = await clerk.participantId(PARTIES.defendant.name);
      const confirm = await menu(page, '确认笔录');
      await statusIs(page, 'pending');

      // --- 申请补正: empty is refused here; then sent ---
      await confirm.getByTestId('request-correction').tap();
      await confirm.getByTestId('correction-submit').tap();
      await confirm.getByText('请填写需要补正的内容。').waitFor();
      assert.equal((await clerk.corrections()).length, 0);
      const words = '我陈述的是“已经归还了一万元”，笔录中应写明还款时间为2025年10月。';
      await confirm.getByTestId('correction-text').fill(words);
      await confirm.getByTestId('correction-submit').tap();
      await statusIs(page, 'correction_requested');
      const mine = confirm.getByTestId('correction-item');
      await mine.filter({ hasText: words }).waitFor();
      assert.equal(await mine.getAttribute('data-status'), 'pending');
      const stored = (await clerk.corrections()).filter((c) => c.participant_id === wang);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]?.text, words);
      assert.equal(stored[0]?.version, latest.version);
      await shot(page, 'phone-correction');

      // --- the clerk refuses with a reason: the party reads it, live ---
      await ed.sees(wang, 'correction_requested');
      await ed.refuse(/** @type {string} */ (stored[0]?.id), '庭审中被告未提及还款时间。');
      await confirm.locator('[data-testid="correction-item"][data-status="refused"]').waitFor();
      await confirm.getByTestId('correction-answer').filter({ hasText: '书记员未采纳，理由：庭审中被告未提及还款时间。' }).waitFor();
      await statusIs(page, 'pending');

      // --- signing upright (仍在竖屏签名); a version saved meanwhile is announced on the signing page ---
      await confirm.getByTestId('sign-transcript').tap();
      await page.getByTestId('rotate-hint').waitFor();
      await page.getByTestId('rotate-continue').tap();
      await page.getByTestId('rotate-hint').waitFor({ state: 'hidden' });
      await assertInViewport(page, page.getByTestId('signature-canvas'), 'the pad upright');
      await assertInViewport(page, page.getByTestId('signature-submit'), '✓ upright');
      await draw(page, SIGNATURE);
      await shot(page, 'phone-upright-drawn');
      const fourth = [...THIRD, { role: 'defendant', name: PARTIES.defendant.name, text: '没有凭证，是现金还款。' }];
      const v4 = await ed.write(fourth);
      await page.getByTestId('signature-error').filter({ hasText: `笔录已更新为第${v4}版` }).waitFor();
      assert.equal(await page.getByTestId('signature-submit').isDisabled(), true, 'no signing an old version');
      await page.getByTestId('signature-read-new').tap();
      await page.getByTestId('signature-page').waitFor({ state: 'detached' });
      await confirm.getByTestId('confirmation-notice').filter({ hasText: '请查看最新笔录后重新签名' }).waitFor();
      await eventually(async () => assert.equal(await confirm.getByTestId('transcript-entry').count(), 5));
      await eventually(async () => assert.equal(await confirm.getByTestId('confirmation-version').getAttribute('data-version'), String(v4)));

      // --- the live channel misses a save: the server refuses the old version (409), the page says so ---
      await confirm.getByTestId('sign-transcript').tap();
      await page.getByTestId('signature-page').waitFor();
      await draw(page, SIGNATURE);
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.dropForTest(true));
      const v5 = await ed.write([...fourth, { role: 'presiding_judge', name: '许1', text: '休庭。' }]);
      await page.getByTestId('signature-submit').tap();
      await page.getByTestId('signature-error').filter({ hasText: '请返回查看最新笔录后重新签名' }).waitFor();
      assert.equal((await clerk.confirmation()).tasks.find((t) => t.participant_id === wang)?.signature, null, 'nothing stored');
      await page.getByTestId('signature-read-new').tap();
      await eventually(async () => assert.equal(await confirm.getByTestId('confirmation-version').getAttribute('data-version'), String(v5)));
      await eventually(async () => assert.equal(await confirm.getByTestId('transcript-entry').count(), 6));
      await page.evaluate(() => /** @type {any} */ (window).__ccLive.resumeForTest());

      // --- signed at last, upright ---
      await confirm.getByTestId('sign-transcript').tap();
      await draw(page, SIGNATURE);
      await page.getByTestId('signature-submit').tap();
      await page.getByTestId('signature-page').waitFor({ state: 'detached' });
      await statusIs(page, 'signed');
      const done = (await clerk.confirmation()).tasks.find((t) => t.participant_id === wang);
      assert.equal(done?.signature?.version, v5);
      assert.equal(done?.signature?.sha256, (await clerk.confirmation()).sha256);
      await ed.sees(wang, 'signed');

      // --- in English too ---
      await page.getByTestId('panel-back').tap();
      await page.getByRole('dialog', { name: '确认笔录' }).waitFor({ state: 'detached' });
      await page.evaluate(() => localStorage.setItem('cloudcourt.lang', 'en'));
      await page.reload();
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.getByTestId('room').waitFor();
      await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
      await page.getByTestId('fab-menu').tap();
      await page.getByRole('button', { name: 'View transcript', exact: true }).tap();
      await page.getByTestId('transcript-entry').first().filter({ hasText: /^Presiding judge 许1: / }).waitFor();
      await page.getByTestId('transcript-field').first().filter({ hasText: /^Time: / }).waitFor();
      await assertNoOverflow(page, 'the transcript in English');
      await shot(page, 'phone-english');

      assert.deepEqual(problems, [], 'no script errors or CSP violations on the party’s page');
      assert.deepEqual(desk.problems, [], 'no script errors in the console');
    } catch (error) {
      await shot(page, 'failure-2').catch(() => {});
      throw error;
    } finally {
      await phone.context.close();
      await desk.context.close();
    }
  });
});
