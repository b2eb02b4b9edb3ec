/**
 * Browser test of the clerk's transcript editor in the console (#/hearings/{id}/transcript): the clerk opens it from
 * the hearing's detail, types entries with the speaker shortcuts (审： 书： 原： 被： 代：, Shift+Enter inside an entry,
 * Alt+↓/↑ to switch the speaker), sees 已保存（第N版）; the network is cut while typing goes on (the status says so and
 * the page asks before leaving), comes back, and the server's latest version holds every entry typed, in order,
 * exactly; unsaved work left by a reload is restored; the version history lists the server's versions and the diff of
 * two shows the added entries; 发起确认笔录 opens the confirmation with a task per participant. A second test: a
 * save made elsewhere is followed live when nothing is pending, and makes a conflict when something is — the local
 * text is kept for copying and the other save is never overwritten.
 *
 * Every check that matters reads the server (GET …/transcript, …/versions, …/confirmation with the page's cookie).
 * `CC_WEB_FROM_DISK=1` (or `CC_E2E_WEB=disk`) serves web/ from this checkout instead of the binary's embedded copy
 * (helpers.mjs `webFromDisk`, for a binary built before the latest web changes).
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, collectProblems, demoMeetingNumber, eventually, webFromDisk } from './helpers.mjs';
import { PARTIES, assertNoOverflow, hearingIdOf, joinCodeFor, staffLogin } from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const PC = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** @typedef {{role: string, name: string, text: string}} Entry */

/** @type {import('./server.mjs').RunningServer} */
let server;
let meeting = '';
/** @type {import('playwright-core').Browser} */
let browser;
let hearingId = '';

/**
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `transcript-editor-${name}.png`), fullPage: true });

/**
 * A clerk's console at a desk, signed in.
 * @returns {Promise<{context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, problems: string[]}>}
 */
async function clerkPage() {
  const context = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(15_000);
  await webFromDisk(context, server.url);
  await staffLogin(context, server.url, 'clerk', server.password);
  const page = await context.newPage();
  const problems = collectProblems(page);
  return { context, page, problems };
}

/**
 * The server's transcript (latest, or version `version`), read with the page's cookie.
 * @param {import('playwright-core').APIRequestContext} request
 * @param {number} [version]
 * @returns {Promise<{version: number, latest_version: number, entries: Entry[]}>}
 */
async function serverTranscript(request, version) {
  const query = version === undefined ? '' : `?version=${version}`;
  const response = await request.get(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript${query}`);
  assert.equal(response.status(), 200, 'GET transcript');
  return response.json();
}

/**
 * Save a version as someone else would (another tab or clerk), through the API.
 * @param {import('playwright-core').APIRequestContext} request
 * @param {Entry[]} entries
 * @returns {Promise<number>} the version made
 */
async function saveElsewhere(request, entries) {
  const latest = await serverTranscript(request);
  const response = await request.put(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript`, {
    data: { base_version: latest.latest_version, save_id: crypto.randomUUID(), entries },
  });
  assert.equal(response.status(), 200, `PUT transcript: ${await response.text()}`);
  return (await response.json()).version;
}

/**
 * Wait until the save status says `state` (and, for `saved`, a version above `above`); returns the version shown.
 * @param {import('playwright-core').Page} page
 * @param {string} state
 * @param {number} [above]
 * @param {number} [timeoutMs]
 */
async function statusIs(page, state, above = -1, timeoutMs = 20_000) {
  const status = page.getByTestId('save-status');
  let version = 0;
  await eventually(
    async () => {
      assert.equal(await status.getAttribute('data-state'), state, `save status ${state}`);
      version = Number(await status.getAttribute('data-version'));
      assert.ok(version > above, `a version above ${above}`);
    },
    timeoutMs,
    100,
  );
  return version;
}

/**
 * The entries as the page shows them: speaker (role, name) and text.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Entry[]>}
 */
async function shownEntries(page) {
  return page.getByTestId('entry').evaluateAll((rows) =>
    rows.map((row) => ({
      role: row.getAttribute('data-role') ?? '',
      name: row.getAttribute('data-name') ?? '',
      text: /** @type {HTMLTextAreaElement} */ (row.querySelector('textarea')).value,
    })),
  );
}

/** The transcript's address (GET and PUT). @param {URL} url */
const transcriptUrl = (url) => url.pathname.endsWith('/transcript');

/**
 * Abort the clerk's saves (PUT …/transcript) as a dead network would; reads pass.
 * @param {import('playwright-core').Route} route
 */
const failSaves = (route) => (route.request().method() === 'PUT' ? route.abort('internetdisconnected') : route.fallback());

/**
 * A participant signed in through the API (获取验证码 → 进入庭审), as their phone would be.
 * @param {{phone: string, masked: string}} party
 * @param {import('playwright-core').APIRequestContext} staff to read the code from the SMS outbox
 * @returns {Promise<import('playwright-core').BrowserContext>} a context holding the participant's cookie
 */
async function participantSession(party, staff) {
  const context = await browser.newContext();
  const asked = await context.request.post(`${server.url}/api/v1/join`, { data: { meeting_number: meeting, phone: party.phone } });
  assert.equal(asked.status(), 202, `join code for ${party.masked}`);
  const code = await joinCodeFor(staff, server.url, hearingId, party.masked);
  const verified = await context.request.post(`${server.url}/api/v1/join/verify`, {
    data: { meeting_number: meeting, phone: party.phone, code },
  });
  assert.equal(verified.status(), 200, `verify ${party.masked}: ${await verified.text()}`);
  return context;
}

/**
 * A straight stroke of `n` points from (x0, y0) to (x1, y1).
 * @param {number} x0 @param {number} y0 @param {number} x1 @param {number} y1 @param {number} [n]
 */
const stroke = (x0, y0, x1, y1, n = 20) =>
  Array.from({ length: n }, (_, i) => ({ x: x0 + ((x1 - x0) * i) / (n - 1), y: y0 + ((y1 - y0) * i) / (n - 1), t: i * 16, p: 0.5 }));

describe('the clerk’s transcript editor (console)', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
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

  test('typing with shortcuts, saving through a network cut and a reload, history and confirmation', async () => {
    const { context, page, problems } = await clerkPage();
    try {
      // --- from the hearing's detail to its transcript ---
      await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}`);
      await page.getByTestId('open-transcript').click();
      const editor = page.getByTestId('transcript-editor');
      await editor.waitFor();
      assert.equal(new URL(page.url()).hash, `#/hearings/${encodeURIComponent(hearingId)}/transcript`);
      const header = page.getByTestId('transcript-header');
      await header.getByText('北京市石景山区人民法院').waitFor();
      for (const line of ['庭审笔录', '地点：互联网庭审', '案由：民间借贷纠纷', '案号：(2026)京0107民初1614号', '审判人员：许1', '书记员：梁1']) {
        await header.getByText(line, { exact: true }).waitFor();
      }
      await header.getByText('开庭审理前，书记员应当查明').waitFor();
      assert.equal(await page.getByTestId('save-status').getAttribute('data-state'), 'saved');
      await page.getByTestId('save-status').getByText('尚未保存').waitFor();

      // --- typing: shortcuts set the speaker, Enter starts an entry, Shift+Enter breaks a line ---
      await page.getByTestId('entry-text').first().click();
      await page.keyboard.type('审：现在开庭。');
      await page.keyboard.press('Enter');
      await page.keyboard.type('书:报告审判长，当事人均已到庭。');
      await page.keyboard.press('Enter');
      await page.keyboard.type('原：请求被告归还借款五万元。');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('以及利息。');
      await page.keyboard.press('Enter');
      await page.keyboard.type('被：不同意。');
      /** @type {Entry[]} */
      const first = [
        { role: 'presiding_judge', name: '许1', text: '现在开庭。' },
        { role: 'clerk', name: '梁1', text: '报告审判长，当事人均已到庭。' },
        { role: 'plaintiff', name: PARTIES.plaintiff.name, text: '请求被告归还借款五万元。\n以及利息。' },
        { role: 'defendant', name: PARTIES.defendant.name, text: '不同意。' },
      ];
      assert.deepEqual(await shownEntries(page), first);
      assert.equal(await page.getByTestId('entry-speaker').nth(2).locator('option:checked').textContent(), '原告 贾1');
      const v1 = await statusIs(page, 'saved', 0);
      await page.getByTestId('save-status').getByText(`已保存（第${v1}版）`).waitFor();
      assert.deepEqual((await serverTranscript(page.request)).entries, first, 'the server has what was typed');

      // Alt+↓ / Alt+↑ switch the speaker; ↑ at the start of an entry goes to the one before.
      await page.keyboard.press('Enter');
      await page.keyboard.type('审：');
      const fifth = page.getByTestId('entry').nth(4);
      assert.equal(await fifth.getAttribute('data-role'), 'presiding_judge');
      await page.keyboard.press('Alt+ArrowDown');
      assert.equal(await fifth.getAttribute('data-role'), 'clerk');
      await page.keyboard.press('Alt+ArrowUp');
      assert.equal(await fifth.getAttribute('data-name'), '许1');
      await page.keyboard.type('请原告陈述诉讼请求。');

      // --- the network is cut; typing goes on ---
      await context.setOffline(true);
      await page.keyboard.press('Enter');
      await page.keyboard.type('代：有借条为证。');
      await page.keyboard.press('Enter');
      await page.keyboard.type('被：借条是伪造的。');
      await statusIs(page, 'offline');
      const status = page.getByTestId('save-status');
      await status.getByText('网络中断，恢复后自动重新保存').waitFor();
      assert.ok(Number(await status.getAttribute('data-pending')) >= 1, 'changes are counted as pending');
      const kept = await page.evaluate((id) => localStorage.getItem(`cloudcourt.transcript.autosave.${id}`), hearingId);
      assert.ok(kept && kept.includes('借条是伪造的。'), 'the pending save is kept in localStorage');
      await page.keyboard.press('Enter');
      await page.keyboard.type('审：本庭将核实。');
      await shot(page, 'offline');

      // --- the network is back: every entry reaches the server, in order, exactly ---
      await context.setOffline(false);
      /** @type {Entry[]} */
      const second = [
        ...first,
        { role: 'presiding_judge', name: '许1', text: '请原告陈述诉讼请求。' },
        { role: 'agent', name: PARTIES.agent.name, text: '有借条为证。' },
        { role: 'defendant', name: PARTIES.defendant.name, text: '借条是伪造的。' },
        { role: 'presiding_judge', name: '许1', text: '本庭将核实。' },
      ];
      const v2 = await statusIs(page, 'saved', v1, 40_000);
      const afterCut = await serverTranscript(page.request);
      assert.equal(afterCut.latest_version, v2);
      assert.deepEqual(afterCut.entries, second, 'the server’s latest version holds every entry, in order');
      assert.equal(
        await page.evaluate((id) => localStorage.getItem(`cloudcourt.transcript.autosave.${id}`), hearingId),
        null,
        'nothing left pending in storage',
      );

      // --- saves fail again (requests aborted); leaving asks first; the reload offers the unsaved work ---
      await page.route(transcriptUrl, failSaves);
      await page.getByTestId('entry-text').last().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('原：申请法院调取银行流水。');
      await statusIs(page, 'offline');
      /** @type {string[]} */
      const dialogs = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.type());
        void dialog.accept();
      });
      await page.reload();
      assert.deepEqual(dialogs, ['beforeunload'], 'leaving with unsaved work asks first');
      await page.getByTestId('restore-banner').waitFor();
      await page.getByTestId('restore-banner').getByText('尚未保存到服务器').waitFor();
      assert.equal(await page.getByTestId('save-status').getAttribute('data-state'), 'restore');
      assert.equal((await serverTranscript(page.request)).latest_version, v2, 'nothing was saved meanwhile');
      await page.unroute(transcriptUrl, failSaves);
      await page.getByTestId('restore-apply').click();
      /** @type {Entry[]} */
      const third = [...second, { role: 'plaintiff', name: PARTIES.plaintiff.name, text: '申请法院调取银行流水。' }];
      const v3 = await statusIs(page, 'saved', v2);
      assert.deepEqual(await shownEntries(page), third);
      assert.deepEqual((await serverTranscript(page.request)).entries, third, 'the restored entry reached the server');

      // --- deleting an entry (keyboard: Backspace in an empty one; the button) ---
      await page.getByTestId('entry-text').last().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByTestId('entry').count(), third.length + 1);
      await page.keyboard.press('Backspace');
      assert.equal(await page.getByTestId('entry').count(), third.length, 'Backspace deleted the empty entry');
      await page.getByTestId('entry').nth(4).getByTestId('entry-delete').click();
      const fourth = third.filter((_, i) => i !== 4);
      assert.deepEqual(await shownEntries(page), fourth);
      const v4 = await statusIs(page, 'saved', v3);
      assert.deepEqual((await serverTranscript(page.request)).entries, fourth, 'the deleted entry is gone on the server');

      // --- the version history: the server's versions; the diff of two shows the added entries ---
      const versionsResponse = await page.request.get(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript/versions`);
      /** @type {{version: number, sha256: string, entry_count: number}[]} */
      const versions = await versionsResponse.json();
      const history = page.getByTestId('transcript-history');
      await history.getByTestId('history-refresh').click();
      await eventually(async () => {
        const shown = await history.getByTestId('version-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-version'))));
        assert.deepEqual(shown, versions.map((v) => v.version), 'every version, newest first');
      });
      assert.equal(versions[0]?.version, v4);
      const row = history.locator(`[data-testid="version-row"][data-version="${v4}"]`);
      await row.getByText(`${fourth.length}条`).waitFor();
      await row.getByText(/** @type {string} */ (versions[0]?.sha256.slice(0, 12))).waitFor();
      await history.getByTestId('diff-from').selectOption(String(v1));
      await history.getByTestId('diff-to').selectOption(String(v2));
      await history.getByTestId('diff-compare').click();
      const diff = page.getByTestId('version-diff');
      await diff.getByText(`第${v1}版 → 第${v2}版`).waitFor();
      const added = diff.locator('[data-testid="diff-entry"][data-op="added"]');
      await eventually(async () => {
        const texts = await added.locator('ins').allTextContents();
        assert.deepEqual(texts, second.slice(first.length).map((e) => e.text), 'the entries added between the two versions');
      });
      await diff.getByText('新增4条，删除0条，修改0条').waitFor();
      await row.getByTestId('compare-previous').click();
      await diff.getByText(`第${v4 - 1}版 → 第${v4}版`).waitFor();
      await diff.locator('[data-testid="diff-entry"][data-op="removed"]').getByText('请原告陈述诉讼请求。').waitFor();

      // --- 发起确认笔录: a task per participant, as the server says ---
      const confirmation = page.getByTestId('transcript-confirmation');
      await confirmation.getByText('尚未发起确认').waitFor();
      await page.getByTestId('open-confirmation').click();
      await page.getByRole('dialog').getByRole('button', { name: '发起确认笔录' }).click();
      await confirmation.getByTestId('confirmation-state').getByText(`待签署第${v4}版`).waitFor();
      const confirmationResponse = await page.request.get(`${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript/confirmation`);
      /** @type {{open: boolean, tasks: {participant_id: string, status: string}[]}} */
      const opened = await confirmationResponse.json();
      assert.equal(opened.open, true, 'the server has the confirmation open');
      const tasks = page.getByTestId('confirmation-tasks').locator('[data-participant-id]');
      await eventually(async () => {
        const shown = await tasks.evaluateAll((items) => items.map((i) => [i.getAttribute('data-participant-id'), i.getAttribute('data-status')]));
        assert.deepEqual(shown, opened.tasks.map((task) => [task.participant_id, task.status]));
      });
      assert.equal(opened.tasks.length, 3);
      await tasks.first().getByText('待签名').waitFor();
      assert.equal(await page.getByTestId('open-confirmation').isVisible(), false, 'no second 发起');
      assert.ok(await page.getByTestId('transcript-pdf').getAttribute('href'));
      await shot(page, 'pc');

      // --- a phone: no sideways scrolling ---
      await page.setViewportSize(PHONE);
      await assertNoOverflow(page, 'transcript editor at 390 px');
      await shot(page, 'phone');
      // The live channel's reconnection attempts while the context was offline are expected.
      const offline = /WebSocket connection to .* failed: .*ERR_INTERNET_DISCONNECTED/;
      assert.deepEqual(problems.filter((p) => !offline.test(p)), []);
    } finally {
      await context.close();
    }
  });

  test('a save made elsewhere: followed live when idle, a conflict (never overwritten) when not', async () => {
    const { context, page, problems } = await clerkPage();
    try {
      await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/transcript`);
      await page.getByTestId('transcript-editor').waitFor();
      const start = await serverTranscript(page.request);
      await statusIs(page, 'saved', start.latest_version - 1);
      // Let the live channel connect before saving elsewhere.
      await eventually(async () => {
        assert.equal(await page.evaluate(() => /** @type {any} */ (window).__ccLive?.status), 'connected');
      });

      // --- idle: another save shows up here ---
      /** @type {Entry[]} */
      const theirs = [...start.entries, { role: 'presiding_judge', name: '许1', text: '现在宣布休庭十分钟。' }];
      const v1 = await saveElsewhere(page.request, theirs);
      await statusIs(page, 'saved', v1 - 1);
      await eventually(async () => assert.deepEqual(await shownEntries(page), theirs));
      await page.getByTestId('editor-notice').getByText(`第${v1}版`).waitFor();

      // --- not idle: my save meets theirs → conflict; theirs stays, mine is kept for copying ---
      await page.route(transcriptUrl, failSaves);
      await page.getByTestId('entry-text').last().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('书：我在本页记录的一句。');
      await statusIs(page, 'offline');
      /** @type {Entry[]} */
      const other = [...theirs, { role: 'defendant', name: PARTIES.defendant.name, text: '另一窗口记录的一句。' }];
      const v2 = await saveElsewhere(page.request, other);
      await page.unroute(transcriptUrl, failSaves);
      await page.getByTestId('save-retry').click();
      await statusIs(page, 'conflict', -1);
      const conflict = page.getByTestId('save-conflict');
      await conflict.waitFor();
      assert.match(await page.getByTestId('conflict-mine').inputValue(), /书记员 梁1：我在本页记录的一句。/);
      assert.deepEqual((await serverTranscript(page.request)).entries, other, 'the other save was not overwritten');
      await shot(page, 'conflict');

      await page.getByTestId('conflict-load').click();
      const kept = page.getByTestId('kept-text');
      await kept.waitFor();
      assert.match(await kept.locator('textarea').inputValue(), /我在本页记录的一句。/);
      await statusIs(page, 'saved', v2 - 1);
      assert.deepEqual(await shownEntries(page), other, 'the latest version is shown');
      const latest = await serverTranscript(page.request);
      assert.equal(latest.latest_version, v2, 'loading the latest saved nothing');
      assert.deepEqual(latest.entries, other);
      await page.getByTestId('kept-dismiss').click();
      await kept.waitFor({ state: 'hidden' });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('signatures and correction requests show up live; a save outdates a signature; the clerk refuses and accepts', async () => {
    const { context, page, problems } = await clerkPage();
    /** @type {import('playwright-core').BrowserContext[]} */
    const parties = [];
    try {
      await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/transcript`);
      await page.getByTestId('transcript-editor').waitFor();
      await eventually(async () => {
        assert.equal(await page.evaluate(() => /** @type {any} */ (window).__ccLive?.status), 'connected');
      });
      const base = `${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}/transcript`;
      assert.equal((await page.request.post(`${base}/confirmation`, { data: {} })).status(), 200, 'confirmation open');
      /** @type {{version: number, sha256: string, tasks: {participant_id: string, name: string, status: string}[]}} */
      const confirmation = await (await page.request.get(`${base}/confirmation`)).json();
      const idOf = (/** @type {string} */ name) => /** @type {string} */ (confirmation.tasks.find((task) => task.name === name)?.participant_id);
      const taskOf = (/** @type {string} */ name) => page.locator(`[data-testid="confirmation-task"][data-participant-id="${idOf(name)}"]`);

      // --- the plaintiff signs the latest version on their phone: the clerk sees it signed, with the image ---
      const plaintiff = await participantSession(PARTIES.plaintiff, page.request);
      parties.push(plaintiff);
      const image = await page.evaluate(() => {
        const canvas = document.createElement('canvas');
        canvas.width = 600;
        canvas.height = 200;
        const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
        g.lineWidth = 5;
        g.beginPath();
        g.moveTo(60, 100);
        g.lineTo(540, 120);
        g.moveTo(100, 40);
        g.lineTo(300, 170);
        g.stroke();
        return canvas.toDataURL('image/png');
      });
      const signed = await plaintiff.request.post(`${base}/signatures`, {
        data: {
          version: confirmation.version,
          sha256: confirmation.sha256,
          width: 600,
          height: 200,
          strokes: [stroke(60, 100, 540, 120), stroke(100, 40, 300, 170)],
          image,
        },
      });
      assert.equal(signed.status(), 201, `signature: ${await signed.text()}`);
      const jia = taskOf(PARTIES.plaintiff.name);
      await eventually(async () => assert.equal(await jia.getAttribute('data-status'), 'signed'));
      await jia.getByText('已签名').waitFor();
      const signature = jia.getByTestId('signature-image');
      assert.equal(await signature.getAttribute('data-version'), String(confirmation.version));
      await eventually(async () => {
        assert.ok(await signature.evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth > 0), 'the signature image loads');
      });
      await jia.getByText(`签署第${confirmation.version}版`).waitFor();

      // --- the clerk saves a new version: the signature is outdated ---
      await page.getByTestId('entry-text').last().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('审：双方是否同意调解？');
      const newer = await statusIs(page, 'saved', confirmation.version);
      await eventually(async () => assert.equal(await jia.getAttribute('data-status'), 'outdated'));
      await jia.getByText('签名已过期（笔录已更新）').waitFor();

      // --- the defendant asks for a correction; the clerk refuses it with a reason ---
      const defendant = await participantSession(PARTIES.defendant, page.request);
      parties.push(defendant);
      const asked = await defendant.request.post(`${base}/corrections`, { data: { version: newer, text: '第二条中“五万元”应为“六万元”。' } });
      assert.equal(asked.status(), 201, `correction: ${await asked.text()}`);
      const askedId = (await asked.json()).id;
      const wang = page.locator(`[data-testid="correction"][data-correction-id="${askedId}"]`);
      await wang.getByText('第二条中“五万元”应为“六万元”。').waitFor();
      assert.equal(await wang.getAttribute('data-status'), 'pending');
      await eventually(async () => assert.equal(await taskOf(PARTIES.defendant.name).getAttribute('data-status'), 'correction_requested'));
      await wang.getByTestId('correction-refuse').click();
      const refusal = page.getByRole('dialog');
      await refusal.getByTestId('correction-refuse-submit').click();
      await refusal.getByText('请填写驳回理由。').waitFor();
      await refusal.getByTestId('correction-reason').fill('经核对庭审录像，原记录无误。');
      await refusal.getByTestId('correction-refuse-submit').click();
      await refusal.waitFor({ state: 'hidden' });
      await eventually(async () => assert.equal(await wang.getAttribute('data-status'), 'refused'));

      // --- the agent asks for one; the clerk accepts it (after saving the corrected text) ---
      const agent = await participantSession(PARTIES.agent, page.request);
      parties.push(agent);
      const second = await agent.request.post(`${base}/corrections`, { data: { version: newer, text: '请补记：代理人提交了借条原件。' } });
      assert.equal(second.status(), 201);
      const secondId = (await second.json()).id;
      const li = page.locator(`[data-testid="correction"][data-correction-id="${secondId}"]`);
      await li.getByTestId('correction-accept').click();
      await page.getByRole('dialog').getByText(`当前最新为第${newer}版`).waitFor();
      await page.getByRole('dialog').getByRole('button', { name: '采纳', exact: true }).click();
      await eventually(async () => assert.equal(await li.getAttribute('data-status'), 'accepted'));

      /** @type {{id: string, status: string, reason: string | null, resolved_version: number | null}[]} */
      const corrections = await (await page.request.get(`${base}/corrections`)).json();
      const refused = corrections.find((c) => c.id === askedId);
      const accepted = corrections.find((c) => c.id === secondId);
      assert.equal(refused?.status, 'refused');
      assert.equal(refused?.reason, '经核对庭审录像，原记录无误。');
      assert.equal(accepted?.status, 'accepted');
      assert.equal(accepted?.resolved_version, newer);
      await shot(page, 'confirmation');
      assert.deepEqual(problems, []);
    } finally {
      for (const party of parties) await party.close();
      await context.close();
    }
  });

  test('the judge reads the transcript without editing it', async () => {
    const context = await browser.newContext({ viewport: PC, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(15_000);
    await webFromDisk(context, server.url);
    await staffLogin(context, server.url, 'judge', server.password);
    const page = await context.newPage();
    const problems = collectProblems(page);
    try {
      await page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/transcript`);
      const editor = page.getByTestId('transcript-editor');
      await editor.getByText('只有书记员可以编辑笔录').waitFor();
      const latest = await serverTranscript(page.request);
      assert.deepEqual(await shownEntries(page), latest.entries);
      assert.equal(await editor.getAttribute('data-editable'), null);
      assert.equal(await page.getByTestId('entry-text').first().getAttribute('readonly'), '');
      assert.equal(await page.getByTestId('add-entry').count(), 0);
      assert.equal(await page.getByTestId('entry-delete').count(), 0);
      await statusIs(page, 'saved', latest.latest_version - 1);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
