/**
 * Browser test of the staff's hearing room in the console (#/hearings/{id}/room): the clerk enters it from the hearing's
 * detail and sees every roster member's tile (their own with the camera); a party who signs in on a phone shows up under
 * 候庭 and as a waiting tile; the clerk opens the waiting room (开放候庭) and admits them (准许入庭) from the room; the
 * party's page enters its room and the clerk's room shows the party present. Without a camera the room still opens,
 * with an avatar and a note.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, collectProblems, demoMeetingNumber, eventually } from './helpers.mjs';
import { ANDROID_UA, MEDIA_ARGS, PARTIES, assertNoOverflow, hearingIdOf, joinCodeFor, staffLogin, videoPlays } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const PC = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `staff-room-${name}.png`) });

/**
 * The tile of one person in a room (the staff's or the party's).
 * @param {import('playwright-core').Page} page
 * @param {string} label e.g. 原告 贾1
 */
const tile = (page, label) => page.getByTestId('tiles').locator('cc-tile').filter({ has: page.locator('figcaption', { hasText: label }) });

/**
 * The clerk's console at a desk, signed in, in the hearing's room.
 * @returns {Promise<{clerk: import('playwright-core').BrowserContext, page: import('playwright-core').Page, problems: string[]}>}
 */
async function clerkInRoom() {
  const clerk = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  clerk.setDefaultTimeout(15_000);
  await staffLogin(clerk, server.url, 'clerk', server.password);
  const page = await clerk.newPage();
  const problems = collectProblems(page);
  await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}`);
  await page.getByRole('link', { name: '进入庭审室', exact: true }).click();
  await page.getByTestId('staff-room').waitFor();
  assert.equal(new URL(page.url()).hash, `#/hearings/${encodeURIComponent(hearingId)}/room`);
  return { clerk, page, problems };
}

describe('the staff hearing room (console)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS], headless: true });
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

  test('the clerk sees a party wait, opens the waiting room, admits them, and sees them present', async () => {
    const { clerk, page, problems } = await clerkInRoom();
    const party = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, userAgent: ANDROID_UA, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    party.setDefaultTimeout(15_000);
    const phone = await party.newPage();
    const partyProblems = collectProblems(phone);
    try {
      // --- the room as the clerk enters: every roster member's tile, their own with the camera ---
      const room = page.getByTestId('staff-room');
      await room.getByTestId('connection').filter({ hasText: '已连接' }).waitFor();
      await page.getByTestId('room-state').filter({ hasText: '已排期' }).waitFor();
      for (const label of ['审判长 许1', '书记员 梁1', '原告 贾1', '被告 王2', '代理人 李3']) await tile(page, label).waitFor();
      const own = tile(page, '书记员 梁1');
      assert.equal(await own.getAttribute('data-self'), '', 'the clerk’s own tile is marked');
      await videoPlays(own.locator('video'));
      assert.equal(await page.getByTestId('camera-note').isVisible(), false, 'no camera note with a camera');
      await tile(page, '原告 贾1').getByText('未连接').waitFor();
      assert.equal(await tile(page, '原告 贾1').getAttribute('data-connected'), null);
      const controls = page.getByTestId('room-controls');
      await controls.getByRole('button', { name: '开放候庭', exact: true }).waitFor();
      const waiting = page.getByTestId('waiting');
      await waiting.getByText('暂无等待入庭的参与人。').waitFor();

      // --- the party signs in on a phone and waits ---
      await phone.goto(`${server.url}/join/${meeting}`);
      await phone.getByLabel('手机号码', { exact: true }).fill(PARTIES.plaintiff.phone);
      await phone.getByRole('button', { name: '获取验证码', exact: true }).click();
      const code = await joinCodeFor(clerk.request, server.url, hearingId, PARTIES.plaintiff.masked);
      await phone.getByLabel('验证码', { exact: true }).fill(code);
      await phone.getByRole('button', { name: '进入庭审', exact: true }).click();
      await videoPlays(phone.getByTestId('preview'));
      await phone.getByRole('button', { name: '继续', exact: true }).click();
      await phone.getByTestId('rules-check').check();
      await phone.getByRole('button', { name: '我已阅读并遵守', exact: true }).click();
      await phone.getByTestId('tour').waitFor();
      await phone.locator('.tour').focus();
      await phone.keyboard.press('End');
      await phone.getByRole('button', { name: '立即体验', exact: true }).click();
      await phone.getByTestId('waiting-room').waitFor();

      // --- the clerk's room: the party under 候庭, their tile connected and waiting ---
      const row = waiting.locator('li').filter({ hasText: '贾1' });
      await row.getByText('原告').waitFor();
      await row.getByText('开放候庭后可准许入庭。').waitFor();
      const jia = tile(page, '原告 贾1');
      await eventually(async () => assert.equal(await jia.getAttribute('data-connected'), '', 'the party is connected'));
      await jia.getByText('候庭中').waitFor();
      await shot(page, 'pc-waiting');

      // --- 开放候庭, then 准许入庭 from the room ---
      await controls.getByRole('button', { name: '开放候庭', exact: true }).click();
      await page.getByTestId('room-state').filter({ hasText: '候庭' }).waitFor();
      await controls.getByRole('button', { name: '开庭', exact: true }).waitFor();
      await phone.getByTestId('waiting-status').filter({ hasText: '等待书记员核验身份后进入庭审' }).waitFor();
      await row.getByRole('button', { name: '准许 贾1 入庭' }).click();
      await waiting.getByText('已准许 贾1 入庭。').waitFor();

      // the party's page enters its room, where the clerk is present
      await phone.getByTestId('room').waitFor();
      assert.equal(await tile(phone, '书记员 梁1').getAttribute('data-connected'), '', 'the party sees the clerk connected');

      // the clerk's room: the party present, no longer waiting
      await jia.getByText('候庭中').waitFor({ state: 'hidden' });
      assert.equal(await jia.getAttribute('data-connected'), '');
      await waiting.getByText('暂无等待入庭的参与人。').waitFor();
      await shot(page, 'pc');

      // --- on a phone: the controls below the tiles, no sideways scrolling ---
      await page.setViewportSize(PHONE);
      await assertNoOverflow(page, 'staff room at 390 px');
      const [stage, side] = [await page.locator('.staff-room-main').boundingBox(), await controls.boundingBox()];
      assert.ok(stage && side && side.y >= stage.y + stage.height - 1, 'the controls come below the tiles on a phone');
      await shot(page, 'phone');
      await page.screenshot({ path: path.join(RESULTS, 'staff-room-phone-full.png'), fullPage: true });

      // --- 返回 leads back to the detail ---
      await page.getByTestId('room-back').click();
      await page.locator('cc-hearing-detail').waitFor();
      assert.equal(new URL(page.url()).hash, `#/hearings/${encodeURIComponent(hearingId)}`);
      assert.deepEqual(problems, [], 'no script errors in the console');
      assert.deepEqual(partyProblems, [], 'no script errors on the phone');
    } catch (error) {
      await shot(page, 'failure').catch(() => {});
      await phone.screenshot({ path: path.join(RESULTS, 'staff-room-failure-phone.png') }).catch(() => {});
      throw error;
    } finally {
      await party.close();
      await clerk.close();
    }
  });

  test('without a camera the room still opens: an avatar tile and a short note', async () => {
    const denied = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    denied.setDefaultTimeout(15_000);
    // The camera is refused (as a user who says no, or a browser that forbids it).
    await denied.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException('Permission denied', 'NotAllowedError');
      };
    });
    await staffLogin(denied, server.url, 'clerk', server.password);
    const page = await denied.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
    await page.getByTestId('staff-room').waitFor();
    try {
      await page.getByTestId('camera-note').filter({ hasText: '摄像头未获授权' }).waitFor();
      const own = tile(page, '书记员 梁1');
      await own.locator('.tile-avatar').filter({ hasText: '梁' }).waitFor();
      assert.equal(await own.locator('video').isVisible(), false, 'no picture without a camera');
      await page.getByTestId('room-controls').getByRole('button').first().waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await denied.close();
    }
  });
});
