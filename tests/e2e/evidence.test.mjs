/**
 * Browser test of evidence (证据, issue 6): the plaintiff on a phone, the defendant on a second phone, the clerk (and a
 * judge) in the console at a desk, all against a fresh `cloudcourt demo`.
 *
 * The plaintiff opens 上传证据 → 本地上传, chooses a PDF and a JPEG photo (made by the test), names them (证据名称 comes
 * prefilled from the file name), gives 证明目的 and uploads: each row's bar reaches 100 % and 已上传; the defendant's
 * and the clerk's lists show both items within two seconds; the SHA-256 each list shows is the SHA-256 of the file the
 * test made (and the server's). The defendant records a 质证意见 on the PDF (真实性 / 合法性 / 关联性 and a text); the
 * plaintiff and the clerk see it. The clerk presents the PDF: the defendant's screen opens it over the room, closes
 * it by hand, gets it again after a reload, and it closes everywhere on 停止展示. A judge admits an item from the
 * staff room's 证据 panel; the clerk has no 采纳. A program renamed .pdf is refused in the server's words and no item appears. The plaintiff withdraws
 * the photo (撤回): it stays, crossed out, everywhere. The clerk uploads a text from the console (the same uploader),
 * on which a party may give an opinion; in English the labels read Evidence 1, Admitted.
 *
 * A second test: a 12 MiB file (three 4 MiB chunks) whose second chunk reaches the server but whose answer is lost,
 * and whose third is cut by the phone going offline: the row says 网络中断，恢复后继续, waits while offline, resumes from
 * the server's offset and ends with the file's exact hash. Then a file cancelled on the way (取消): the server
 * discards its upload and no item appears.
 *
 * Every check that matters reads the server (GET …/evidence with the clerk's cookie). CC_WEB_FROM_DISK=1 serves web/
 * from this checkout (helpers.mjs `webFromDisk`), for a binary built before the latest web changes.
 */

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { RESULTS, WEB_FROM_DISK_ARGS, demoMeetingNumber, eventually } from './helpers.mjs';
import {
  MEDIA_ARGS,
  PARTIES,
  assertNoOverflow,
  deskContext,
  hearingIdOf,
  joinCodeFor,
  phoneContext,
  staffLogin,
} from './join-helpers.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './server.mjs';

const CODE_SENT = '如会议号与手机号码匹配，验证码已通过短信发送至该手机，5分钟内有效';
const MiB = 1024 * 1024;

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */
/** @typedef {import('playwright-core').Locator} Locator */
/** @typedef {import('../../web/lib/types.js').Evidence} Evidence */

/** @type {import('./server.mjs').RunningServer} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
let meeting = '';
let hearingId = '';
/** SMS already read. */
const usedCodes = new Set();

/**
 * @param {Page} page
 * @param {string} name
 */
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, `evidence-${name}.png`) });

/** @param {Buffer} bytes */
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * A small valid one-page PDF that says `text`.
 * @param {string} text ASCII
 * @returns {Buffer}
 */
function minimalPdf(text) {
  const content = `BT /F1 24 Tf 40 120 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 240] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  /** @type {number[]} */
  const offsets = [];
  objects.forEach((object, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A small JPEG photo, drawn and encoded by the browser.
 * @param {Page} page
 * @returns {Promise<Buffer>}
 */
async function jpegPhoto(page) {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 96;
    canvas.height = 64;
    const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    g.fillStyle = '#1b3a6b';
    g.fillRect(0, 0, 96, 64);
    g.fillStyle = '#c8a24a';
    g.fillRect(12, 12, 72, 40);
    return canvas.toDataURL('image/jpeg', 0.9).split(',')[1] ?? '';
  });
  const bytes = Buffer.from(base64, 'base64');
  assert.ok(bytes[0] === 0xff && bytes[1] === 0xd8, 'a JPEG');
  return bytes;
}

/** A Windows program (it starts with `MZ`), to be renamed .pdf. */
function program() {
  const bytes = Buffer.alloc(4096, 0);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
}

/**
 * The clerk's API calls: what the test reads back from the server.
 * @param {import('playwright-core').APIRequestContext} request signed in as staff
 */
function serverApi(request) {
  const base = `${server.url}/api/v1/hearings/${encodeURIComponent(hearingId)}`;
  return {
    /** @returns {Promise<Evidence[]>} */
    async evidence() {
      const response = await request.get(`${base}/evidence`);
      assert.equal(response.status(), 200, 'GET evidence');
      return response.json();
    },
    /** @returns {Promise<{evidence_id: string, page: number | null, time: number | null, by: string} | null>} */
    async presentation() {
      const response = await request.get(`${base}/evidence/presentation`);
      assert.equal(response.status(), 200, 'GET presentation');
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
      assert.ok([200, 409].includes(response.status()), `开放候庭 (${await response.text()})`);
    },
  };
}

/**
 * A party signs in on /join/{会议号} and is admitted to the room.
 * @param {Page} page
 * @param {ReturnType<typeof serverApi>} clerk
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
 * Open 上传证据 from the room's menu.
 * @param {Page} page
 * @returns {Promise<Locator>} the panel
 */
async function openEvidence(page) {
  await page.locator('.room-stage').tap({ position: { x: 40, y: 40 } });
  await page.getByTestId('fab-menu').tap();
  await page.getByRole('dialog', { name: '功能菜单' }).getByRole('button', { name: '上传证据', exact: true }).tap();
  const panel = page.getByRole('dialog', { name: '上传证据' });
  await panel.getByTestId('evidence-panel').waitFor();
  return panel;
}

/**
 * An item of a list by its number.
 * @param {Page | Locator} where
 * @param {number} number
 */
const item = (where, number) => where.locator(`[data-testid="evidence-item"][data-number="${number}"]`);

/**
 * The numbers, titles and hashes a list shows.
 * @param {Page | Locator} where
 */
async function listed(where) {
  return where.getByTestId('evidence-item').evaluateAll((items) =>
    items.map((el) => ({
      number: Number(/** @type {HTMLElement} */ (el).dataset.number),
      status: /** @type {HTMLElement} */ (el).dataset.status,
      sha256: /** @type {HTMLElement} */ (el).dataset.sha256,
      title: el.querySelector('[data-testid="evidence-title"]')?.textContent ?? '',
    })),
  );
}

describe('evidence (证据): upload, live lists, 质证意见, 展示', () => {
  before(async () => {
    server = await startServer();
    meeting = demoMeetingNumber(server.output());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...MEDIA_ARGS, ...WEB_FROM_DISK_ARGS], headless: true });
    await mkdir(RESULTS, { recursive: true });
    const context = await browser.newContext();
    await staffLogin(context, server.url, 'clerk', server.password);
    hearingId = await hearingIdOf(context.request, server.url, meeting);
    await serverApi(context.request).openWaitingRoom();
    await context.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a party uploads a PDF and a photo from a phone; everyone sees them live; opinions, presenting, a refused program', async () => {
    const desk = await deskContext(browser, server, 'clerk');
    const clerk = serverApi(desk.context.request);
    const plaintiff = await phoneContext(browser, server);
    const defendant = await phoneContext(browser, server);
    const judge = await deskContext(browser, server, 'judge');
    const { page } = plaintiff;
    try {
      // --- the clerk opens the hearing's 证据 from its detail page ---
      await desk.page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}`);
      await desk.page.getByTestId('open-evidence').click();
      const console_ = desk.page.getByTestId('evidence-console');
      await console_.waitFor();
      assert.equal(new URL(desk.page.url()).hash, `#/hearings/${encodeURIComponent(hearingId)}/evidence`);
      await console_.getByTestId('evidence-list-state').filter({ hasText: '尚未提交证据' }).waitFor();
      assert.equal(await console_.getByTestId('evidence-zip').getAttribute('href'), `/api/v1/hearings/${hearingId}/evidence.zip`);
      await console_.getByTestId('evidence-presenting').filter({ hasText: '当前未展示证据' }).waitFor();

      // --- both parties enter the room; the defendant keeps 上传证据 open to watch the list ---
      await enterRoom(page, clerk, desk.context.request, PARTIES.plaintiff);
      await enterRoom(defendant.page, clerk, desk.context.request, PARTIES.defendant);
      const theirs = await openEvidence(defendant.page);
      await theirs.getByTestId('evidence-list-state').filter({ hasText: '尚未提交证据' }).waitFor();

      // --- 上传证据 → 本地上传: the picker takes several files, camera or files (no forced capture) ---
      const panel = await openEvidence(page);
      const pick = panel.getByTestId('local-upload');
      assert.equal((await pick.textContent())?.trim(), '本地上传');
      const input = panel.getByTestId('file-input');
      assert.equal(await input.getAttribute('type'), 'file');
      assert.equal(await input.getAttribute('multiple'), '');
      assert.equal(await input.getAttribute('capture'), null, 'the phone offers both its camera and its files');
      const accept = (await input.getAttribute('accept')) ?? '';
      for (const kind of ['image/*', 'application/pdf', 'audio/*', 'video/*', '.docx', '.txt']) assert.ok(accept.split(',').includes(kind), `accepts ${kind}`);
      await shot(page, 'phone-panel');

      const pdf = minimalPdf('IOU: 50000 yuan, 2025-03-01');
      const photo = await jpegPhoto(page);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), pick.tap()]);
      assert.ok(chooser.isMultiple(), 'several files at once');
      await chooser.setFiles([
        { name: '借条.pdf', mimeType: 'application/pdf', buffer: pdf },
        { name: '转账记录.jpg', mimeType: 'image/jpeg', buffer: photo },
      ]);
      const rows = panel.getByTestId('upload-row');
      await eventually(async () => assert.equal(await rows.count(), 2));
      const [pdfRow, photoRow] = [rows.nth(0), rows.nth(1)];
      assert.equal(await pdfRow.getByTestId('upload-title').inputValue(), '借条', '证据名称 from the file name');
      assert.equal(await photoRow.getByTestId('upload-title').inputValue(), '转账记录');
      assert.match((await pdfRow.getByTestId('upload-file').textContent()) ?? '', /借条\.pdf.*PDF/);
      await pdfRow.getByTestId('upload-purpose').fill('证明被告向原告借款五万元');
      await photoRow.getByTestId('upload-title').fill('转账截图');
      await photoRow.getByTestId('upload-purpose').fill('证明原告已交付借款');
      assert.equal(await pdfRow.getAttribute('data-state'), 'ready');
      await assertNoOverflow(page, 'the upload rows');
      await shot(page, 'phone-rows');

      // --- 上传: each bar reaches 100 %, each row says 已上传 ---
      /** @type {number[]} */
      const seenProgress = [];
      await page.exposeFunction('__ccProgress', (/** @type {number} */ v) => seenProgress.push(v));
      await page.evaluate(() => {
        new MutationObserver((records) => {
          for (const r of records) {
            const el = /** @type {HTMLElement} */ (r.target);
            if (el.dataset.testid === 'upload-progress') /** @type {any} */ (window).__ccProgress(Number(el.getAttribute('aria-valuenow')));
          }
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      });
      await pdfRow.getByTestId('upload-start').tap();
      await photoRow.getByTestId('upload-start').tap();
      for (const row of [pdfRow, photoRow]) {
        await row.locator('xpath=self::*[@data-state="done"]').waitFor();
        assert.equal(await row.getByTestId('upload-progress').getAttribute('aria-valuenow'), '100');
        assert.equal(await row.getByTestId('upload-progress').getAttribute('role'), 'progressbar');
        assert.match((await row.getByTestId('upload-status').textContent()) ?? '', /^已上传 · 证据[一二] (借条|转账截图)$/);
        assert.match((await row.getByTestId('upload-percent').textContent()) ?? '', /^100% · /);
      }
      const doneAt = Date.now();
      assert.ok(seenProgress.includes(100), `the bars moved to 100 (${seenProgress.join(',')})`);
      await shot(page, 'phone-uploaded');

      // --- the server holds both, with the files' exact hashes ---
      const stored = await clerk.evidence();
      assert.deepEqual(
        stored.map((e) => [e.number, e.title, e.purpose, e.kind, e.size, e.sha256, e.submitted_by.name, e.submitted_by.role, e.status, e.admission]),
        [
          [1, '借条', '证明被告向原告借款五万元', 'pdf', pdf.length, sha256(pdf), '贾1', 'plaintiff', 'submitted', 'pending'],
          [2, '转账截图', '证明原告已交付借款', 'image', photo.length, sha256(photo), '贾1', 'plaintiff', 'submitted', 'pending'],
        ],
      );
      const [pdfItem, photoItem] = /** @type {[Evidence, Evidence]} */ (stored);

      // --- the defendant's and the clerk's lists show both within two seconds ---
      const expected = [
        { number: 1, status: 'submitted', sha256: sha256(pdf), title: '借条' },
        { number: 2, status: 'submitted', sha256: sha256(photo), title: '转账截图' },
      ];
      await eventually(async () => assert.deepEqual(await listed(theirs), expected), Math.max(200, 2000 - (Date.now() - doneAt)), 50);
      await eventually(async () => assert.deepEqual(await listed(console_), expected), Math.max(200, 2000 - (Date.now() - doneAt)), 50);
      assert.deepEqual(await listed(panel.getByTestId('evidence-list')), expected, 'the plaintiff’s own list');
      // What a list shows of an item: 证据一, the submitter with role, size, type, the hash (short; whole on tap).
      const first = item(theirs, 1);
      assert.equal(await first.getByTestId('evidence-number').textContent(), '证据一');
      assert.equal(await item(theirs, 2).getByTestId('evidence-number').textContent(), '证据二');
      assert.equal(await first.getByTestId('evidence-submitter').textContent(), '原告 贾1');
      assert.equal(await first.getByTestId('evidence-kind').textContent(), 'PDF');
      assert.equal(await item(theirs, 2).getByTestId('evidence-kind').textContent(), '图片');
      assert.equal(await first.getByTestId('evidence-admission').textContent(), '待认定');
      const hash = first.getByTestId('evidence-sha256');
      assert.equal(await hash.getAttribute('title'), sha256(pdf));
      assert.equal(await hash.textContent(), `${sha256(pdf).slice(0, 8)}…${sha256(pdf).slice(-8)}`);
      await hash.tap();
      assert.equal(await hash.textContent(), sha256(pdf), 'the whole hash on tap');
      await assertNoOverflow(defendant.page, 'the evidence list with a whole hash');

      // --- the defendant opens the PDF (a preview in a frame) and records a 质证意见 ---
      await first.getByTestId('evidence-open').tap();
      const preview = first.getByTestId('evidence-preview');
      await preview.waitFor();
      assert.equal(await preview.getAttribute('data-kind'), 'pdf');
      assert.equal(await preview.locator('iframe').getAttribute('src'), pdfItem.content_url);
      assert.equal(await first.getByTestId('evidence-download').getAttribute('href'), `${pdfItem.content_url}?download=1`);
      const form = first.getByTestId('opinion-form');
      await form.getByTestId('opinion-submit').tap();
      await form.getByTestId('opinion-error').filter({ hasText: '请选择对真实性的意见' }).waitFor();
      await form.getByTestId('opinion-authenticity').getByLabel('认可', { exact: true }).tap();
      await form.getByTestId('opinion-legality').getByLabel('认可', { exact: true }).tap();
      await form.getByTestId('opinion-relevance').getByLabel('不认可', { exact: true }).tap();
      await form.getByTestId('opinion-text').fill('借条真实，但与本案借款无关，该笔款项已另行归还。');
      await shot(defendant.page, 'phone-opinion');
      await form.getByTestId('opinion-submit').tap();
      await form.getByTestId('opinion-status').filter({ hasText: '质证意见已提交' }).waitFor();
      const wang = await clerk.participantId(PARTIES.defendant.name);
      await eventually(async () => {
        const [withOpinion] = await clerk.evidence();
        assert.deepEqual(
          withOpinion?.opinions.map((o) => [o.participant_id, o.name, o.role, o.authenticity, o.legality, o.relevance, o.text]),
          [[wang, '王2', 'defendant', 'agree', 'agree', 'disagree', '借条真实，但与本案借款无关，该笔款项已另行归还。']],
        );
      });
      // The defendant's own opinion is shown, and the form offers to change it.
      await first.locator(`[data-testid="opinion"][data-participant-id="${wang}"]`).waitFor();

      // --- the plaintiff sees the opinion on her item (and gives none on her own items) ---
      const mine = item(panel, 1);
      await mine.getByTestId('evidence-open').tap();
      const opinion = mine.locator(`[data-testid="opinion"][data-participant-id="${wang}"]`);
      await opinion.waitFor();
      assert.deepEqual(
        [await opinion.getAttribute('data-authenticity'), await opinion.getAttribute('data-legality'), await opinion.getAttribute('data-relevance')],
        ['agree', 'agree', 'disagree'],
      );
      assert.match((await opinion.textContent()) ?? '', /被告\s*王2.*真实性认可.*合法性认可.*关联性不认可.*借条真实/);
      assert.equal(await mine.getByTestId('opinion-form').count(), 0, 'no opinion on one’s own item');
      await mine.getByTestId('evidence-withdraw').waitFor();
      assert.equal(await first.getByTestId('evidence-withdraw').count(), 0, 'only the submitter withdraws');

      // --- the clerk sees it too, read-only; the clerk has 展示 but no 采纳 ---
      const desked = item(console_, 1);
      await desked.getByTestId('evidence-open').click();
      await desked.locator(`[data-testid="opinion"][data-participant-id="${wang}"]`).waitFor();
      assert.equal(await desked.getByTestId('opinion-form').count(), 0, 'staff read opinions only');
      assert.equal(await desked.getByTestId('evidence-admit').count(), 0, 'a clerk does not admit evidence');
      await desked.getByTestId('evidence-present').waitFor();

      // --- the photo's preview is the picture itself ---
      const pictured = item(panel, 2);
      await pictured.getByTestId('evidence-open').tap();
      const img = pictured.getByTestId('evidence-preview').locator('img');
      await eventually(async () => assert.ok(await img.evaluate((el) => /** @type {HTMLImageElement} */ (el).naturalWidth === 96), 'the photo shows'));
      await pictured.getByTestId('evidence-open').tap();
      await mine.getByTestId('evidence-open').tap();

      // --- the clerk presents the PDF at page 1: the defendant's screen opens it over the room ---
      await desked.getByTestId('evidence-present-page').fill('1');
      await desked.getByTestId('evidence-present').click();
      await console_.locator('[data-testid="evidence-presenting"][data-state="presenting"]').filter({ hasText: '借条' }).waitFor();
      const viewer = defendant.page.getByTestId('evidence-viewer');
      await viewer.waitFor();
      assert.equal(await viewer.getAttribute('data-evidence-id'), pdfItem.id);
      assert.match((await viewer.getByTestId('evidence-viewer-title').textContent()) ?? '', /^正在展示：证据一 借条/);
      assert.match((await viewer.getByTestId('evidence-viewer-by').textContent()) ?? '', /展示人：书记员 梁1/);
      assert.equal(await viewer.locator('iframe').getAttribute('src'), `${pdfItem.content_url}#page=1`);
      assert.deepEqual(await clerk.presentation().then((p) => p && [p.evidence_id, p.page, p.by]), [pdfItem.id, 1, '梁1']);
      await page.getByTestId('evidence-viewer').waitFor();
      await shot(defendant.page, 'phone-presented');
      // the person may close it …
      await viewer.getByTestId('evidence-viewer-close').tap();
      await viewer.waitFor({ state: 'detached' });
      // … and, entering the room again while it is presented, gets it again
      await defendant.page.reload();
      await defendant.page.getByTestId('device-check').waitFor();
      await defendant.page.getByRole('button', { name: '继续', exact: true }).click();
      await defendant.page.getByTestId('room').waitFor();
      await viewer.waitFor();
      assert.equal(await viewer.getAttribute('data-evidence-id'), pdfItem.id);
      // 停止展示 closes it on every screen
      await console_.getByTestId('evidence-stop').click();
      await viewer.waitFor({ state: 'detached' });
      await page.getByTestId('evidence-viewer').waitFor({ state: 'detached' });
      assert.equal(await clerk.presentation(), null);
      // (the reload closed the defendant's 上传证据: open it again)
      await openEvidence(defendant.page);
      await item(theirs, 1).waitFor();

      // --- a judge, in the staff room, opens 证据 over the room and admits the PDF; the parties see 已采纳 ---
      await judge.page.goto(`${server.url}/console/#/hearings/${encodeURIComponent(hearingId)}/room`);
      await judge.page.getByTestId('staff-room').waitFor();
      await judge.page.getByTestId('open-evidence').click();
      const judgePanel = judge.page.getByRole('dialog', { name: '证据' });
      await judgePanel.locator('[data-testid="evidence-console"][data-mode="panel"]').waitFor();
      const judged = item(judgePanel, 1);
      await judged.getByTestId('evidence-open').click();
      await judged.getByTestId('evidence-admission-reason').fill('借条原件经核对无误');
      await judged.getByTestId('evidence-admit').click();
      await item(panel, 1).locator('[data-testid="evidence-admission"][data-admission="admitted"]').filter({ hasText: '已采纳' }).waitFor();
      const [admitted] = await clerk.evidence();
      assert.deepEqual([admitted?.admission, admitted?.admission_reason], ['admitted', '借条原件经核对无误']);
      await judged.locator('[data-testid="evidence-admission"][data-admission="admitted"]').waitFor();
      await judge.page.screenshot({ path: path.join(RESULTS, 'evidence-staff-room.png') });
      await judgePanel.getByTestId('panel-back').click();
      await judge.page.getByTestId('staff-room').waitFor();

      // --- a program renamed .pdf: refused in the server's words, no item ---
      const refusedAnswer = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().includes('/evidence/uploads/'));
      await page.getByTestId('file-input').setInputFiles({ name: '合同扫描件.pdf', mimeType: 'application/pdf', buffer: program() });
      const badRow = panel.locator('[data-testid="upload-row"][data-file-name="合同扫描件.pdf"]');
      await badRow.getByTestId('upload-start').tap();
      const answer = await refusedAnswer;
      assert.equal(answer.status(), 415);
      const problem = await answer.json();
      assert.equal(problem.code, 'type_not_allowed');
      await badRow.locator('xpath=self::*[@data-state="failed"]').waitFor();
      assert.equal(await badRow.getAttribute('data-code'), 'type_not_allowed');
      assert.equal((await badRow.getByTestId('upload-status').textContent())?.trim(), `失败：${problem.message['zh-CN']}`);
      assert.equal(await badRow.getByTestId('upload-retry').count(), 0, 'a refusal is not retried');
      assert.equal((await clerk.evidence()).length, 2, 'no item for the refused file');
      await shot(page, 'phone-refused');

      // --- 撤回 the photo: it stays, crossed out, on every screen ---
      await pictured.getByTestId('evidence-open').tap();
      await pictured.getByTestId('evidence-withdraw').tap();
      await page.locator('dialog[open]').getByRole('button', { name: '撤回', exact: true }).tap();
      await pictured.locator('xpath=self::*[@data-status="withdrawn"]').waitFor();
      await item(console_, 2).locator('xpath=self::*[@data-status="withdrawn"]').waitFor();
      await item(theirs, 2).getByTestId('evidence-status').filter({ hasText: '已撤回' }).waitFor();
      assert.equal(await item(theirs, 2).getByTestId('evidence-title').evaluate((el) => getComputedStyle(el).textDecorationLine), 'line-through');
      const after = await clerk.evidence();
      assert.deepEqual(after.map((e) => [e.number, e.status]), [[1, 'submitted'], [2, 'withdrawn']]);
      assert.equal(photoItem.id, after[1]?.id);

      // --- the clerk uploads from the console too (the same uploader); a party may then give an opinion on it ---
      const notice = Buffer.from('庭审须知：请当事人按时到庭。\n', 'utf8');
      await console_.getByTestId('file-input').setInputFiles({ name: '庭审须知.txt', mimeType: 'text/plain', buffer: notice });
      const deskRow = console_.getByTestId('upload-row');
      assert.equal(await deskRow.getByTestId('upload-title').inputValue(), '庭审须知');
      await deskRow.getByTestId('upload-start').click();
      await deskRow.locator('xpath=self::*[@data-state="done"]').waitFor();
      const third = (await clerk.evidence())[2];
      assert.deepEqual(
        [third?.number, third?.kind, third?.sha256, third?.submitted_by.kind, third?.submitted_by.name],
        [3, 'text', sha256(notice), 'staff', '梁1'],
      );
      await item(panel, 3).getByTestId('evidence-open').tap();
      await item(panel, 3).getByTestId('opinion-form').waitFor();

      // --- in English the labels follow: Evidence 1, Admitted ---
      await desk.page.getByRole('button', { name: 'English', exact: true }).click();
      assert.equal(await item(console_, 1).getByTestId('evidence-number').textContent(), 'Evidence 1');
      assert.equal(await item(console_, 1).getByTestId('evidence-admission').textContent(), 'Admitted');
      assert.equal((await console_.getByTestId('evidence-zip').textContent())?.trim(), 'Download all evidence (ZIP)');
      await shot(desk.page, 'console-en');
      await desk.page.getByRole('button', { name: '中文', exact: true }).click();
      assert.equal(await item(console_, 1).getByTestId('evidence-number').textContent(), '证据一');
      await shot(desk.page, 'console');

      for (const [who, problems] of [['plaintiff', plaintiff.problems], ['defendant', defendant.problems], ['clerk', desk.problems], ['judge', judge.problems]]) {
        assert.deepEqual(problems, [], `no script errors on the ${who}’s page`);
      }
    } catch (error) {
      await shot(page, 'failure-plaintiff').catch(() => {});
      await shot(defendant.page, 'failure-defendant').catch(() => {});
      await shot(desk.page, 'failure-console').catch(() => {});
      throw error;
    } finally {
      await Promise.all([desk.context.close(), plaintiff.context.close(), defendant.context.close(), judge.context.close()]);
    }
  });

  test('a 12 MiB upload survives a lost answer and going offline, and ends with the exact hash; 取消 discards', async () => {
    const desk = await deskContext(browser, server, 'clerk');
    const clerk = serverApi(desk.context.request);
    const phone = await phoneContext(browser, server);
    const { page, context } = phone;
    try {
      await enterRoom(page, clerk, desk.context.request, PARTIES.agent);
      const panel = await openEvidence(page);
      const before = (await clerk.evidence()).length;

      const big = Buffer.concat([Buffer.from('%PDF-1.4\n', 'latin1'), randomBytes(12 * MiB - 9)]);
      /** @type {string[]} */
      const seen = [];
      let patches = 0;
      /** @type {Promise<void> | null} */
      let holdNext = null;
      /** @type {() => void} */
      let held = () => {};
      /** @type {() => void} */
      let wentOffline = () => {};
      const offline = new Promise((resolve) => {
        wentOffline = () => resolve(undefined);
      });
      await page.route('**/api/v1/evidence/uploads/*', async (route) => {
        const request = route.request();
        if (request.method() !== 'PATCH') {
          seen.push(request.method());
          return route.continue();
        }
        patches += 1;
        const offset = request.headers()['upload-offset'] ?? '?';
        if (patches === 2) {
          // The chunk reaches the server, its answer never comes back.
          const response = await route.fetch();
          seen.push(`PATCH ${offset} (answer lost: ${response.status()})`);
          return route.abort('connectionreset');
        }
        if (patches === 3) {
          // The phone loses its network while sending the next one.
          seen.push(`PATCH ${offset} (offline)`);
          await context.setOffline(true);
          wentOffline();
          return route.abort('internetdisconnected');
        }
        seen.push(`PATCH ${offset}`);
        if (holdNext) {
          // Held on the way (a slow network) until the test has cancelled the upload.
          const release = holdNext;
          holdNext = null;
          held();
          await release;
        }
        return route.continue().catch(() => {});
      });

      await page.getByTestId('file-input').setInputFiles({ name: '录音整理.pdf', mimeType: 'application/pdf', buffer: big });
      const row = panel.getByTestId('upload-row').last();
      assert.equal(await row.getByTestId('upload-title').inputValue(), '录音整理');
      await row.getByTestId('upload-start').tap();
      await offline;
      await row.locator('xpath=self::*[@data-state="paused"]').waitFor();
      assert.equal((await row.getByTestId('upload-status').textContent())?.trim(), '网络中断，恢复后继续');
      const progress = Number(await row.getByTestId('upload-progress').getAttribute('aria-valuenow'));
      assert.ok(progress >= 33 && progress < 100, `part of it is up (${progress} %)`);
      const during = seen.length;
      await page.waitForTimeout(2500);
      assert.equal(seen.length, during, `nothing is sent while offline (${seen.join(', ')})`);
      await shot(page, 'phone-offline');
      await context.setOffline(false);
      await row.locator('xpath=self::*[@data-state="done"]').waitFor({ timeout: 60_000 });
      assert.equal(await row.getByTestId('upload-progress').getAttribute('aria-valuenow'), '100');

      const stored = await clerk.evidence();
      assert.equal(stored.length, before + 1);
      const last = /** @type {Evidence} */ (stored.at(-1));
      assert.deepEqual([last.title, last.size, last.sha256, last.submitted_by.role], ['录音整理', big.length, sha256(big), 'agent']);
      await item(panel, last.number).locator(`xpath=self::*[@data-sha256="${sha256(big)}"]`).waitFor();
      // Resumed from the server's offset: the lost chunk was not sent again.
      assert.deepEqual(
        seen.filter((s) => s.startsWith('PATCH') || s === 'GET').slice(0, 6),
        [`PATCH 0`, `PATCH ${4 * MiB} (answer lost: 200)`, 'GET', `PATCH ${8 * MiB} (offline)`, 'GET', `PATCH ${8 * MiB}`],
      );

      // --- 取消: a file under way is cancelled, and the server discards its upload ---
      /** @type {() => void} */
      let release = () => {};
      holdNext = new Promise((resolve) => {
        release = () => resolve(undefined);
      });
      const isHeld = new Promise((resolve) => {
        held = () => resolve(undefined);
      });
      const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/evidence/uploads'));
      await page.getByTestId('file-input').setInputFiles({ name: '多余的照片.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(5 * MiB)]) });
      const extra = panel.locator('[data-testid="upload-row"][data-file-name="多余的照片.jpg"]');
      await extra.getByTestId('upload-start').tap();
      const upload = await (await created).json();
      await isHeld;
      await extra.locator('xpath=self::*[@data-state="uploading"]').waitFor();
      await extra.getByTestId('upload-cancel').tap();
      await extra.locator('xpath=self::*[@data-state="cancelled"]').waitFor();
      assert.equal((await extra.getByTestId('upload-status').textContent())?.trim(), '已取消');
      release();
      await eventually(async () => {
        const gone = await page.request.get(`${server.url}/api/v1/evidence/uploads/${upload.id}`);
        assert.equal(gone.status(), 404, 'the server discarded the cancelled upload');
      });
      assert.ok(seen.includes('DELETE'), `DELETE was sent (${seen.join(', ')})`);
      assert.equal((await clerk.evidence()).length, before + 1, 'no item for the cancelled file');
      await extra.getByTestId('upload-remove').tap();
      await extra.waitFor({ state: 'detached' });

      assert.deepEqual(phone.problems, [], 'no script errors on the phone');
    } catch (error) {
      await shot(page, 'failure-resume').catch(() => {});
      throw error;
    } finally {
      await Promise.all([desk.context.close(), phone.context.close()]);
    }
  });
});
