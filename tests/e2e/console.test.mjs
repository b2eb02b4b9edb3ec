/** Browser test of the staff console: a clerk logs in, creates a case, schedules a hearing, adds participants and opens it. */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-results');
const PHONE_ERROR = '请输入有效的11位中国大陆手机号码';

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

/**
 * Tomorrow's date in the court's time zone, as a date input takes it.
 * @returns {string} YYYY-MM-DD
 */
function courtTomorrow() {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
  return format.format(new Date(Date.now() + 24 * 3600 * 1000));
}

/**
 * Poll `check` until it stops throwing (or the time is up, then rethrow its last error).
 * @param {() => Promise<void>} check
 * @param {number} [timeoutMs]
 */
async function eventually(check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('staff console', () => {
  before(async () => {
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    await mkdir(RESULTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /**
   * The whole clerk flow in one viewport.
   * @param {string} label
   * @param {{width: number, height: number}} viewport
   * @param {boolean} phone
   * @param {boolean} extras also check the language switch and a failed login
   */
  async function clerkFlow(label, viewport, phone, extras) {
    const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    /** @type {string[]} */
    const problems = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => {
      // Error answers (401 before login, 409, 422) are logged by Chromium as failed loads; they are expected.
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    const shot = async (/** @type {string} */ name) =>
      page.screenshot({ path: path.join(RESULTS, `console-${label}-${name}.png`), fullPage: true });

    try {
      await page.goto(`${server.url}/`);
      assert.match(page.url(), /\/console\/(index\.html)?(#.*)?$/, 'the site root leads to the console');

      // --- login page, language switch, bad password ---
      await page.getByRole('heading', { name: '工作人员登录' }).waitFor();
      if (extras) {
        await page.getByRole('button', { name: 'English' }).click();
        await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
        await page.reload();
        await page.getByRole('heading', { name: 'Staff sign-in' }).waitFor();
        assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the language choice is remembered');
        await page.getByRole('button', { name: '中文' }).click();
        await page.getByRole('button', { name: '登录', exact: true }).waitFor();

        await page.getByLabel('用户名', { exact: true }).fill('clerk');
        await page.getByLabel('密码', { exact: true }).fill('not-the-password');
        await page.getByRole('button', { name: '登录', exact: true }).click();
        const alert = page.locator('cc-login [role=alert]');
        await alert.waitFor();
        const zhText = (await alert.textContent())?.trim() ?? '';
        assert.ok(zhText.length > 0, 'a failed login shows the server message');
        assert.match(zhText, /[\u4e00-\u9fff]/, `the login error is in Chinese: ${zhText}`);
        await page.getByRole('button', { name: 'English' }).click();
        await eventually(async () => {
          const enText = (await alert.textContent())?.trim() ?? '';
          assert.ok(enText && enText !== zhText && !/[\u4e00-\u9fff]/.test(enText), `the login error follows the language: ${enText}`);
        });
        await page.getByRole('button', { name: '中文' }).click();
      }

      await page.getByLabel('用户名', { exact: true }).fill('clerk');
      await page.getByLabel('密码', { exact: true }).fill(server.password);
      await page.getByRole('button', { name: '登录', exact: true }).click();

      const header = page.locator('header');
      await header.getByText('梁1', { exact: true }).waitFor();
      await header.getByText('书记员', { exact: true }).waitFor();
      await header.getByText('北京市石景山区人民法院').waitFor();
      await header.getByRole('button', { name: '退出登录' }).waitFor();

      // --- create a case ---
      const unique = `${Date.now().toString(36)}${label}`;
      const caseNumber = `（2026）京0107民初${unique}号`;
      const cause = '民间借贷纠纷';
      await page.getByRole('link', { name: '案件', exact: true }).click();
      await page.getByRole('heading', { name: '新建案件' }).waitFor();
      await page.getByLabel('案号', { exact: true }).fill(caseNumber);
      await page.getByLabel('案由', { exact: true }).fill(cause);
      await page.getByRole('button', { name: '创建', exact: true }).click();
      await page.locator('cc-case-list tbody tr').filter({ hasText: caseNumber }).waitFor();

      // the same case number again is refused, and the form says so
      await page.getByLabel('案号', { exact: true }).fill(caseNumber);
      await page.getByLabel('案由', { exact: true }).fill(cause);
      await page.getByRole('button', { name: '创建', exact: true }).click();
      await page.locator('cc-case-form .form-error:not([hidden]), cc-case-form .field-error:not([hidden])').first().waitFor();

      // --- schedule a hearing ---
      await page.getByRole('link', { name: '庭审', exact: true }).click();
      await page.getByRole('heading', { name: '安排庭审' }).waitFor();
      await page.getByLabel('案件', { exact: true }).selectOption({ label: `${caseNumber}（${cause}）` });
      const date = courtTomorrow();
      await page.getByLabel('开庭日期', { exact: true }).fill(date);
      await page.getByLabel('开庭时间', { exact: true }).fill('14:30');
      await page.getByLabel('审判长', { exact: true }).selectOption({ label: '许1' });
      const clerkSelect = page.getByLabel('书记员', { exact: true });
      assert.equal(
        await clerkSelect.evaluate((/** @type {HTMLSelectElement} */ s) => s.selectedOptions[0]?.textContent),
        '梁1',
        'the signed-in clerk is the default clerk',
      );
      await page.getByRole('button', { name: '安排庭审', exact: true }).click();

      // --- the hearing's detail ---
      const meeting = page.getByTestId('meeting-number');
      await meeting.waitFor();
      const meetingNumber = ((await meeting.textContent()) ?? '').trim();
      assert.match(meetingNumber, /^\d{8}$/, 'an 8-digit meeting number');
      await page.getByRole('heading', { name: caseNumber }).waitFor();
      assert.equal((await page.getByTestId('scheduled-local').textContent())?.trim(), `${date} 14:30`);
      await page.getByTestId('hearing-state').filter({ hasText: /^已排期$/ }).waitFor();
      const bench = page.locator('dl.bench');
      await bench.locator('[data-role=presiding_judge]').filter({ hasText: '审判长' }).filter({ hasText: '许1' }).waitFor();
      await bench.locator('[data-role=clerk]').filter({ hasText: '书记员' }).filter({ hasText: '梁1' }).waitFor();

      // --- participants ---
      const addForm = page.getByRole('form', { name: '添加参与人' });
      const rows = page.locator('table.participants tbody tr');
      /**
       * @param {string} name
       * @param {string} role label
       * @param {string} phoneNumber
       */
      const add = async (name, role, phoneNumber) => {
        await addForm.getByLabel('姓名', { exact: true }).fill(name);
        await addForm.getByLabel('角色', { exact: true }).selectOption({ label: role });
        await addForm.getByLabel('手机号码', { exact: true }).fill(phoneNumber);
        await addForm.getByRole('button', { name: '添加', exact: true }).click();
      };
      await add('贾1', '原告', '13800001111');
      const plaintiff = rows.filter({ hasText: '贾1' });
      await plaintiff.waitFor();
      assert.match((await plaintiff.textContent()) ?? '', /原告/);
      assert.match((await plaintiff.textContent()) ?? '', /13800001111|138\*{4}1111/);

      await add('甄2', '被告', '13900002222');
      const defendant = rows.filter({ hasText: '甄2' });
      await defendant.waitFor();
      assert.match((await defendant.textContent()) ?? '', /被告/);
      assert.equal(await rows.count(), 2);

      // a bad phone number: the server's words beside the field, nothing added
      await add('证人甲', '证人', '12345');
      const phoneError = addForm.locator('[data-field-error=phone]');
      await phoneError.filter({ hasText: PHONE_ERROR }).waitFor();
      assert.equal(await addForm.getByLabel('手机号码', { exact: true }).getAttribute('aria-invalid'), 'true');
      assert.equal(await addForm.getByLabel('姓名', { exact: true }).inputValue(), '证人甲', 'the form keeps what was typed');
      await page.waitForTimeout(300);
      assert.equal(await rows.count(), 2, 'nothing was added');
      assert.equal(await rows.filter({ hasText: '证人甲' }).count(), 0);

      if (phone) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${viewport.width}px (overflow ${overflow}px)`);
      }
      await shot('detail');

      // --- open the waiting room ---
      await page.getByRole('button', { name: '开放候庭', exact: true }).click();
      await page.getByTestId('hearing-state').filter({ hasText: /^候庭$/ }).waitFor();
      await page.getByRole('button', { name: '开庭', exact: true }).waitFor();
      await page.getByRole('button', { name: '取消庭审', exact: true }).waitFor();
      await shot('opened');

      // --- back in the list: the hearing with its meeting number and state ---
      await page.getByRole('link', { name: '返回庭审列表' }).click();
      const listRow = page.locator('cc-hearing-list tbody tr').filter({ hasText: caseNumber });
      await listRow.waitFor();
      assert.match((await listRow.textContent()) ?? '', new RegExp(meetingNumber));
      await listRow.getByText('候庭', { exact: true }).waitFor();
      if (phone) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling in the list at ${viewport.width}px (overflow ${overflow}px)`);
      }
      await shot('list');

      assert.deepEqual(problems, [], 'no script errors or CSP violations');
    } catch (error) {
      await shot('failure').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  }

  test('a clerk schedules a hearing on a phone (390×844)', async () => {
    await clerkFlow('phone', { width: 390, height: 844 }, true, true);
  });

  test('a clerk schedules a hearing on a PC (1280×800)', async () => {
    await clerkFlow('desktop', { width: 1280, height: 800 }, false, false);
  });
});
