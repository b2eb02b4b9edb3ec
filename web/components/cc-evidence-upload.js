/**
 * <cc-evidence-upload>: 上传证据 — the 本地上传 button opens the device's picker (several files at once; no `capture`,
 * so a phone offers both its camera and its files), then a row per chosen file: its name, size and type, 证据名称
 * (prefilled from the file name without the extension), 证明目的, and 上传 (or 全部上传 for every waiting row). Once
 * started, the row shows a progress bar (role=progressbar, aria-valuenow) with the percent and the size sent, 取消, and
 * its state in words: 等待上传 / 上传中 / 网络中断，恢复后继续 / 已上传（证据N）/ 失败：<the server's reason> / 已取消.
 * Files go up one at a time in the order they were started (so the numbers 证据一, 证据二 … follow that order), through
 * lib/upload.js (resumable, 4 MiB chunks). The element may leave the page (a closed panel) while files go on; leaving
 * the page itself asks first while a file is under way. Fires `cc-evidence-uploaded` (detail: the new Evidence).
 *
 * data-testid:
 * - `local-upload`     the 本地上传 button
 * - `file-input`       the hidden <input type=file multiple accept=…>
 * - `upload-rows`      the list of rows; `upload-all` (全部上传, with two or more rows waiting)
 * - `upload-row`       one file: `data-state` = ready | queued | uploading | paused | done | failed | cancelled,
 *                      `data-file-name`, `data-code` (the server's problem code when it failed), `data-evidence-id`
 *                      and `data-number` once done
 * - `upload-file`      the file's name, size and type
 * - `upload-title`     证据名称 (input); `upload-purpose` 证明目的 (textarea); `upload-error` a problem with them
 * - `upload-start`     上传
 * - `upload-progress`  the bar (role=progressbar, aria-valuenow 0..100); `upload-percent` its text (45% · 1.2 MB / 2.6 MB)
 * - `upload-status`    the state in words (失败：<reason> on failure)
 * - `upload-cancel`    取消 (while waiting, uploading or paused); `upload-retry` 重试 (a failure that was not a
 *                      refusal); `upload-remove` 移除 (a row not under way)
 */

import { ApiError } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { bindLocalized, bindText } from '../lib/i18n.js';
import { ACCEPT, PURPOSE_MAX, TITLE_MAX, formatSize, titleFromFileName } from '../lib/evidence.js';
import { EvidenceUploader } from '../lib/upload.js';
import { setEvidenceLabel } from './cc-evidence-list.js';

/** @typedef {import('../lib/types.js').Evidence} Evidence */
/** @typedef {import('../lib/upload.js').UploadState} UploadState */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {'ready' | 'queued' | UploadState} RowState */

/** How many files go up at once. */
const PARALLEL = 1;

/** Rows of every <cc-evidence-upload> under way, for the page's leave warning. */
/** @type {Set<UploadRow>} */
const busyRows = new Set();

/** @param {BeforeUnloadEvent} event */
function warnLeaving(event) {
  if (busyRows.size === 0) return;
  event.preventDefault();
  event.returnValue = '';
}

/** @param {UploadRow} row @param {boolean} busy */
function markBusy(row, busy) {
  const before = busyRows.size;
  if (busy) busyRows.add(row);
  else busyRows.delete(row);
  if (before === 0 && busyRows.size > 0) window.addEventListener('beforeunload', warnLeaving);
  if (before > 0 && busyRows.size === 0) window.removeEventListener('beforeunload', warnLeaving);
}

/** A short name of a file's type for the row: PDF, JPEG, MP4 … from its extension (or its MIME type). */
/** @param {File} file */
function typeLabel(file) {
  const dot = file.name.lastIndexOf('.');
  if (dot > 0 && dot < file.name.length - 1) return file.name.slice(dot + 1).toUpperCase().slice(0, 8);
  return file.type || '—';
}

/** One chosen file: its form, then its upload. */
class UploadRow {
  /** @type {RowState} */
  state = 'ready';
  /** @type {EvidenceUploader | null} */
  uploader = null;
  file;
  #owner;
  el = h('li', { class: 'ev-row', attrs: { 'data-testid': 'upload-row', 'data-state': 'ready' } });
  title = h('input', {
    class: 'ev-input',
    attrs: { type: 'text', maxlength: TITLE_MAX, required: true, autocomplete: 'off', 'data-testid': 'upload-title', enterkeyhint: 'next' },
  });
  purpose = h('textarea', {
    class: 'ev-input',
    attrs: { rows: 2, maxlength: PURPOSE_MAX, 'data-testid': 'upload-purpose' },
    i18nAttrs: { placeholder: 'evidence.upload.purposePlaceholder' },
  });
  #error = h('p', { class: 'field-error', attrs: { 'data-testid': 'upload-error', role: 'alert', hidden: true } });
  #bar = h('div', { class: 'ev-bar-fill' });
  #progress = h(
    'div',
    {
      class: 'ev-bar',
      attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'data-testid': 'upload-progress' },
    },
    this.#bar,
  );
  #percent = h('span', { class: 'ev-percent', attrs: { 'data-testid': 'upload-percent' } });
  #status = h('p', { class: 'ev-row-status', attrs: { 'data-testid': 'upload-status', role: 'status' } });
  #progressBox = h('div', { class: 'ev-progress', attrs: { hidden: true } }, this.#progress, this.#percent);
  #form;
  #actions = h('div', { class: 'actions ev-row-actions' });

  /**
   * @param {File} file
   * @param {CcEvidenceUpload} owner
   */
  constructor(file, owner) {
    this.file = file;
    this.#owner = owner;
    this.el.dataset.fileName = file.name;
    this.title.value = titleFromFileName(file.name);
    const titleId = uid('ev-title');
    const purposeId = uid('ev-purpose');
    this.title.id = titleId;
    this.purpose.id = purposeId;
    this.#error.id = uid('ev-err');
    this.title.setAttribute('aria-describedby', this.#error.id);
    this.#form = h(
      'div',
      { class: 'ev-row-form' },
      h('div', { class: 'field' }, h('label', { i18n: 'evidence.upload.title', attrs: { for: titleId } }), this.title),
      h('div', { class: 'field' }, h('label', { i18n: 'evidence.upload.purpose', attrs: { for: purposeId } }), this.purpose),
      this.#error,
    );
    this.title.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.purpose.focus();
      }
    });
    replaceChildren(
      this.el,
      h(
        'p',
        { class: 'ev-row-file', attrs: { 'data-testid': 'upload-file' } },
        h('span', { class: 'ev-file-icon', attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'ev-file-name', text: file.name }),
        h('span', { class: 'ev-file-meta', text: `${formatSize(file.size)} · ${typeLabel(file)}` }),
      ),
      this.#form,
      this.#progressBox,
      this.#status,
      this.#actions,
    );
    this.render();
  }

  /** @returns {boolean} the title is fine (else says why) */
  validate() {
    const title = this.title.value.trim();
    /** @type {MessageKey | null} */
    const problem = !title ? 'evidence.upload.titleRequired' : [...title].length > TITLE_MAX ? 'evidence.upload.titleTooLong' : null;
    if (problem) {
      bindText(this.#error, problem, { max: TITLE_MAX });
      this.#error.hidden = false;
      this.title.setAttribute('aria-invalid', 'true');
      this.title.focus();
      return false;
    }
    this.#error.hidden = true;
    this.title.removeAttribute('aria-invalid');
    return true;
  }

  /** 上传: from the form to the queue. */
  queue() {
    if (this.state !== 'ready' || !this.validate()) return false;
    this.uploader = new EvidenceUploader({
      hearingId: this.#owner.hearingId,
      file: this.file,
      title: this.title.value.trim(),
      purpose: this.purpose.value.trim(),
      onChange: () => this.#onChange(),
    });
    this.state = 'queued';
    markBusy(this, true);
    this.render();
    return true;
  }

  #onChange() {
    const uploader = this.uploader;
    if (!uploader) return;
    const before = this.state;
    this.state = uploader.state === 'idle' ? 'queued' : uploader.state;
    if (before !== this.state) {
      if (['done', 'failed', 'cancelled'].includes(this.state)) markBusy(this, false);
      this.render();
    } else {
      this.#renderProgress();
    }
  }

  #renderProgress() {
    const uploader = this.uploader;
    const size = this.file.size;
    const sent = uploader ? uploader.sent : 0;
    const percent = uploader ? uploader.percent : 0;
    this.#progress.setAttribute('aria-valuenow', String(percent));
    this.#progress.setAttribute('aria-valuetext', `${percent}%`);
    this.#bar.style.width = `${percent}%`;
    this.#percent.textContent = `${percent}% · ${formatSize(sent)} / ${formatSize(size)}`;
  }

  render() {
    const state = this.state;
    const uploader = this.uploader;
    this.el.dataset.state = state;
    this.el.className = `ev-row state-${state}`;
    const editable = state === 'ready';
    this.title.disabled = !editable;
    this.purpose.disabled = !editable;
    // A finished row keeps its result, not its form; a refused or cancelled one has no progress to show.
    this.#form.hidden = state === 'done' || state === 'cancelled';
    this.#progressBox.hidden = state === 'ready' || state === 'failed' || state === 'cancelled';
    this.#renderProgress();
    delete this.el.dataset.code;
    if (state === 'ready') {
      bindText(this.#status, 'evidence.upload.state.ready');
    } else if (state === 'failed') {
      const problem = uploader?.problem;
      if (problem?.code) this.el.dataset.code = problem.code;
      replaceChildren(this.#status, h('span', { i18n: 'evidence.upload.state.failed' }), this.#reason());
      delete this.#status.dataset.i18n;
    } else if (state === 'done' && uploader?.evidence) {
      this.el.dataset.evidenceId = uploader.evidence.id;
      this.el.dataset.number = String(uploader.evidence.number);
      const label = h('span', { class: 'ev-number' });
      setEvidenceLabel(label, uploader.evidence.number);
      replaceChildren(
        this.#status,
        h('span', { i18n: 'evidence.upload.state.done' }),
        ' · ',
        label,
        h('span', { class: 'ev-done-title', text: ` ${uploader.evidence.title}` }),
      );
      delete this.#status.dataset.i18n;
    } else {
      bindText(this.#status, /** @type {MessageKey} */ (`evidence.upload.state.${state}`));
    }
    const buttons = [];
    if (state === 'ready') {
      buttons.push(
        h('button', {
          class: 'button primary',
          i18n: 'evidence.upload.start',
          attrs: { type: 'button', 'data-testid': 'upload-start' },
          on: { click: () => this.#owner.start(this) },
        }),
      );
    }
    if (state === 'queued' || state === 'uploading' || state === 'paused') {
      buttons.push(
        h('button', {
          class: 'button danger-ghost',
          i18n: 'evidence.upload.cancel',
          i18nAttrs: { 'aria-label': ['evidence.upload.cancelLabel', { name: this.file.name }] },
          attrs: { type: 'button', 'data-testid': 'upload-cancel' },
          on: { click: () => void this.#owner.cancel(this) },
        }),
      );
    }
    if (state === 'paused') {
      buttons.push(
        h('button', {
          class: 'button',
          i18n: 'evidence.upload.retryNow',
          attrs: { type: 'button', 'data-testid': 'upload-retry' },
          on: { click: () => this.uploader?.retryNow() },
        }),
      );
    }
    if (state === 'failed' && uploader && !uploader.refused) {
      buttons.push(
        h('button', {
          class: 'button',
          i18n: 'evidence.upload.retry',
          attrs: { type: 'button', 'data-testid': 'upload-retry' },
          on: { click: () => this.#owner.retry(this) },
        }),
      );
    }
    if (state === 'ready' || state === 'done' || state === 'failed' || state === 'cancelled') {
      buttons.push(
        h('button', {
          class: 'button ghost',
          i18n: 'evidence.upload.remove',
          i18nAttrs: { 'aria-label': ['evidence.upload.removeLabel', { name: this.file.name }] },
          attrs: { type: 'button', 'data-testid': 'upload-remove' },
          on: { click: () => this.#owner.removeRow(this) },
        }),
      );
    }
    replaceChildren(this.#actions, buttons);
  }

  /** The server's reason for a failure (its own words in the current language), or ours. */
  #reason() {
    const el = h('span', { class: 'ev-reason' });
    const problem = this.uploader?.problem;
    if (problem?.message && (problem.message['zh-CN'] || problem.message.en)) bindLocalized(el, problem.message);
    else if (problem) setErrorText(el, new ApiError(problem));
    return el;
  }
}

export class CcEvidenceUpload extends HTMLElement {
  hearingId = '';
  /** @type {UploadRow[]} */
  #rows = [];
  /** @type {UploadRow[]} */
  #waiting = [];
  #active = 0;
  #input = h('input', {
    class: 'visually-hidden ev-file-input',
    attrs: { type: 'file', multiple: true, accept: ACCEPT, tabindex: -1, 'aria-hidden': 'true', 'data-testid': 'file-input' },
  });
  #list = h('ul', { class: 'ev-rows', attrs: { 'data-testid': 'upload-rows' } });
  #all = h('button', {
    class: 'button primary',
    i18n: 'evidence.upload.all',
    attrs: { type: 'button', 'data-testid': 'upload-all', hidden: true },
    on: { click: () => this.#startAll() },
  });

  /** @param {{hearingId: string}} options */
  setup({ hearingId }) {
    this.hearingId = hearingId;
    this.classList.add('ev-upload');
    const pick = h(
      'button',
      {
        class: 'button primary big ev-pick',
        attrs: { type: 'button', 'data-testid': 'local-upload' },
        on: { click: () => this.#input.click() },
      },
      h('span', { class: 'ev-pick-icon', attrs: { 'aria-hidden': 'true' } }),
      h('span', { i18n: 'evidence.upload.local' }),
    );
    this.#input.addEventListener('change', () => {
      const files = [...(this.#input.files ?? [])];
      // The same file may be chosen again later.
      this.#input.value = '';
      this.#add(files);
    });
    replaceChildren(
      this,
      h('p', { class: 'hint ev-upload-hint', i18n: 'evidence.upload.hint' }),
      h('div', { class: 'ev-pick-row' }, pick, this.#input),
      this.#list,
      h('div', { class: 'actions ev-all' }, this.#all),
    );
  }

  /** @returns {boolean} a file is waiting or going up */
  get busy() {
    return this.#rows.some((row) => ['queued', 'uploading', 'paused'].includes(row.state));
  }

  /** Stop every file under way (leaving the room). */
  async cancelAll() {
    await Promise.all(this.#rows.map((row) => this.cancel(row)));
  }

  /** @param {File[]} files */
  #add(files) {
    const added = files.map((file) => new UploadRow(file, this));
    for (const row of added) {
      this.#rows.push(row);
      this.#list.append(row.el);
    }
    this.#renderAll();
    added[0]?.title.focus();
    added[0]?.el.scrollIntoView({ block: 'nearest' });
  }

  /** @param {UploadRow} row */
  start(row) {
    if (!row.queue()) return;
    this.#waiting.push(row);
    this.#renderAll();
    this.#pump();
  }

  #startAll() {
    for (const row of this.#rows.filter((r) => r.state === 'ready')) {
      if (!row.validate()) return;
    }
    for (const row of this.#rows.filter((r) => r.state === 'ready')) this.start(row);
  }

  /** @param {UploadRow} row */
  retry(row) {
    if (!row.uploader || row.state !== 'failed') return;
    row.state = 'queued';
    markBusy(row, true);
    row.render();
    this.#waiting.push(row);
    this.#pump();
  }

  /** @param {UploadRow} row */
  async cancel(row) {
    const waiting = this.#waiting.indexOf(row);
    if (waiting >= 0) this.#waiting.splice(waiting, 1);
    if (!row.uploader || !['queued', 'uploading', 'paused'].includes(row.state)) return;
    // The uploader says `cancelled` at once (the row follows), then lets the server discard its bytes.
    await row.uploader.cancel();
  }

  /** @param {UploadRow} row */
  removeRow(row) {
    if (['queued', 'uploading', 'paused'].includes(row.state)) return;
    const index = this.#rows.indexOf(row);
    if (index >= 0) this.#rows.splice(index, 1);
    const next = this.#rows[index] ?? this.#rows[index - 1];
    row.el.remove();
    this.#renderAll();
    /** @type {HTMLElement | null | undefined} */ ((next?.el.querySelector('button, input')) ?? this.querySelector('[data-testid="local-upload"]'))?.focus();
  }

  #pump() {
    while (this.#active < PARALLEL && this.#waiting.length) {
      const row = /** @type {UploadRow} */ (this.#waiting.shift());
      const uploader = row.uploader;
      if (!uploader || row.state !== 'queued') continue;
      this.#active += 1;
      void uploader.start().then((evidence) => {
        this.#active -= 1;
        this.#renderAll();
        if (evidence) this.dispatchEvent(new CustomEvent('cc-evidence-uploaded', { bubbles: true, detail: evidence }));
        this.#pump();
      });
    }
  }

  #renderAll() {
    this.#all.hidden = this.#rows.filter((r) => r.state === 'ready').length < 2;
  }
}

customElements.define('cc-evidence-upload', CcEvidenceUpload);
