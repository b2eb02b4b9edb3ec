/**
 * Browser test of 开庭通知 in the staff console: a clerk sends the invitation SMS of the demo hearing, sees each
 * participant's 通知状态 turn 已发送, is warned about a participant without a phone and fixes it, resends one, and reads
 * the messages word for word in the 短信 tab.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, collectProblems, demoMeetingNumber, eventually } from './helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

/** The log driver marks messages sent within a second or two; the page re-reads on its own meanwhile. */
const DELIVERY_TIMEOUT_MS = 20_000;
const WITNESS = '证人丙';
const WITNESS_PHONE = '13900009999';

/** @type {import('playwright-core').Browser} */
let browser;

describe('hearing notices (开庭通知)', () => {
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    await mkdir(RESULTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  /**
   * The whole flow on a fresh server, in one viewport.
   * @param {string} label
   * @param {{width: number, height: number}} viewport
   * @param {boolean} phone
   */
  async function noticeFlow(label, viewport, phone) {
    const server = await startServer();
    const meeting = demoMeetingNumber(server.output());
    const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems = collectProblems(page);
    const shot = async (/** @type {string} */ name) =>
      page.screenshot({ path: path.join(RESULTS, `invitations-${label}-${name}.png`), fullPage: true });
    const noOverflow = async () => {
      if (!phone) return;
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling at ${viewport.width}px (overflow ${overflow}px)`);
    };

    try {
      // --- the clerk opens the demo hearing ---
      await page.goto(`${server.url}/console/`);
      await page.getByLabel('用户名', { exact: true }).fill('clerk');
      await page.getByLabel('密码', { exact: true }).fill(server.password);
      await page.getByRole('button', { name: '登录', exact: true }).click();
      await page.locator('cc-hearing-list tbody tr').filter({ hasText: meeting }).click();
      assert.equal((await page.getByTestId('meeting-number').textContent())?.trim(), meeting);

      const rows = page.locator('table.participants tbody tr');
      const row = (/** @type {string} */ name) => rows.filter({ has: page.getByText(name, { exact: true }) });
      const statusOf = (/** @type {string} */ name) => row(name).getByTestId('invitation-status');
      const panel = page.locator('cc-invitation-panel');

      // --- a witness without a phone ---
      const addForm = page.getByRole('form', { name: '添加参与人' });
      await addForm.getByLabel('姓名', { exact: true }).fill(WITNESS);
      await addForm.getByLabel('角色', { exact: true }).selectOption({ label: '证人' });
      await addForm.getByRole('button', { name: '添加', exact: true }).click();
      await statusOf(WITNESS).filter({ hasText: '无手机号码' }).waitFor();
      await statusOf('贾1').filter({ hasText: '未发送' }).waitFor();
      await panel.getByText('尚未发送开庭通知。').waitFor();

      // --- 发送开庭通知 ---
      await panel.getByRole('button', { name: '发送开庭通知', exact: true }).click();
      await panel.getByTestId('invitation-result').filter({ hasText: /^已发送3条开庭通知$/ }).waitFor();
      const warning = panel.getByTestId('invitation-warnings').locator('li').filter({ hasText: `${WITNESS} 没有手机号码，未能发送开庭通知` });
      await warning.waitFor();
      await panel.getByTestId('notices-sent-at').filter({ hasText: /^开庭通知已于\d{4}-\d{2}-\d{2} \d{2}:\d{2}发送$/ }).waitFor();
      await panel.getByRole('button', { name: '再次发送开庭通知', exact: true }).waitFor();

      // the log driver sends them; the page follows without a reload
      for (const name of ['贾1', '王2', '李3']) {
        await statusOf(name).getByText('已发送', { exact: true }).waitFor({ timeout: DELIVERY_TIMEOUT_MS });
      }
      await noOverflow();
      await shot('sent');

      // --- sending again reaches nobody new ---
      await panel.getByRole('button', { name: '再次发送开庭通知', exact: true }).click();
      await panel.getByTestId('invitation-result').filter({ hasText: /^没有需要发送的通知$/ }).waitFor();
      await warning.waitFor();

      // --- the warning leads to the participant: add the phone, then send theirs ---
      await warning.getByRole('button', { name: `为 ${WITNESS} 补充手机号码` }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('heading', { name: '编辑参与人' }).waitFor();
      assert.equal(await dialog.getByLabel('姓名', { exact: true }).inputValue(), WITNESS);
      await dialog.getByLabel('手机号码', { exact: true }).fill(WITNESS_PHONE);
      await dialog.getByRole('button', { name: '保存', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await warning.waitFor({ state: 'detached' });
      await statusOf(WITNESS).filter({ hasText: '未发送' }).waitFor();
      await row(WITNESS).getByRole('button', { name: `发送开庭通知给 ${WITNESS}` }).click();
      await page.getByText(`已发送开庭通知给 ${WITNESS}。`).waitFor();
      await statusOf(WITNESS).getByText('已发送', { exact: true }).waitFor({ timeout: DELIVERY_TIMEOUT_MS });

      // --- 重发 one ---
      await row('贾1').getByRole('button', { name: '重发开庭通知给 贾1' }).click();
      await page.getByText('已重新发送开庭通知给 贾1。').waitFor();
      await statusOf('贾1').getByText('已发送', { exact: true }).waitFor({ timeout: DELIVERY_TIMEOUT_MS });

      // --- 短信: the messages word for word ---
      await page.getByRole('link', { name: '短信', exact: true }).click();
      const outbox = page.locator('cc-sms-outbox');
      await outbox.getByRole('heading', { name: '短信发送记录' }).waitFor();
      const items = outbox.locator('li.sms-item');
      const jia = items.filter({ has: page.getByTestId('sms-phone').getByText('138****0001', { exact: true }) }).first();
      await jia.waitFor();
      const text = (await jia.getByTestId('sms-text').textContent()) ?? '';
      assert.ok(text.startsWith('【北京云法庭】贾1，您好，您参与的'), `the invitation text: ${text}`);
      assert.ok(text.includes(meeting), 'the SMS carries the meeting number');
      assert.ok(text.includes(`/d/${meeting}`), 'the SMS carries the client page link');
      await jia.getByText('开庭通知', { exact: true }).waitFor();
      await eventually(
        async () => {
          await outbox.getByRole('button', { name: '刷新' }).click();
          assert.equal(await jia.getByTestId('sms-status').textContent(), '已发送');
        },
        DELIVERY_TIMEOUT_MS,
        500,
      );
      assert.ok((await items.filter({ hasText: '138****0001' }).count()) >= 2, 'the resent invitation is listed too');
      assert.equal(await items.filter({ hasText: WITNESS }).count(), 1);
      await noOverflow();
      await shot('outbox');

      // filters: nothing failed; one hearing's messages
      await outbox.getByLabel('状态', { exact: true }).selectOption({ label: '发送失败' });
      await outbox.getByText('没有符合条件的短信。').waitFor();
      await outbox.getByLabel('状态', { exact: true }).selectOption({ label: '全部状态' });
      await jia.waitFor();
      const hearingFilter = outbox.getByLabel('庭审', { exact: true });
      await eventually(async () => assert.ok((await hearingFilter.locator('option').count()) > 1, 'hearings to filter by'));
      await hearingFilter.selectOption({ index: 1 });
      await jia.waitFor();
      assert.match(page.url(), /#\/sms\/[0-9a-f-]+$/, 'the filter is in the address');

      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot('failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
      await server.stop();
    }
  }

  test('a clerk sends the hearing notices on a PC (1280×800)', async () => {
    await noticeFlow('desktop', { width: 1280, height: 800 }, false);
  });

  test('a clerk sends the hearing notices on a phone (390×844)', async () => {
    await noticeFlow('phone', { width: 390, height: 844 }, true);
  });
});
