/**
 * <cc-evidence-console>: the staff's 证据, PC first — a page of its own (`#/hearings/{id}/evidence`, linked from the
 * hearing's detail) and a panel of the staff room (on the room's live channel).
 *
 * On top: back to the hearing (page), the case, 下载全部证据（ZIP）(evidence.zip). Then what everyone's screen shows:
 * 正在展示：证据一 借条 · 展示人 许1 with 停止展示, or 当前未展示证据. The live 证据列表 (<cc-evidence-list> in staff mode:
 * preview, everyone's 质证意见 read-only, 展示 with a page for a PDF or a time for audio and video, 采纳 / 不予采纳 with
 * a reason for a judge — hidden for a clerk, whom the server would refuse) and, beside it, 上传证据 for a judge or a
 * clerk (the same uploader as the parties').
 *
 * data-testid: `evidence-console` (data-mode page | panel), `evidence-back`, `evidence-case`, `evidence-zip`,
 * `evidence-presenting` (data-evidence-id; data-state none | presenting), `evidence-stop`, `evidence-console-error`,
 * `evidence-upload-section`, and those of cc-evidence-list and cc-evidence-upload.
 */

import { getHearing } from '../lib/api.js';
import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { evidenceZipUrl, getPresentation, stopPresentation } from '../lib/evidence.js';
import { LiveClient } from '../lib/live.js';
import { CcConnectionStatus } from './cc-connection-status.js';
import { CcEvidenceList, setEvidenceLabel } from './cc-evidence-list.js';
import { CcEvidenceUpload } from './cc-evidence-upload.js';

/** @typedef {import('../lib/types.js').Session} Session */
/** @typedef {import('../lib/types.js').Presentation} Presentation */
/** @typedef {import('../lib/types.js').LiveMessage} LiveMessage */

/**
 * @typedef {Object} EvidenceConsoleOptions
 * @property {string} hearingId
 * @property {Session} session
 * @property {LiveClient | null} [live] the staff room's channel (a page opens its own)
 */

export class CcEvidenceConsole extends HTMLElement {
  #hearingId = '';
  /** @type {LiveClient | null} */
  #live = null;
  /** The channel was opened here (and is closed here). */
  #ownLive = false;
  /** @type {Presentation | null} */
  #presentation = null;
  #canPresent = false;
  /** @type {() => void} */
  #unsubscribe = () => {};
  #list = create('cc-evidence-list', CcEvidenceList);
  #case = h('p', { class: 'ev-case', attrs: { 'data-testid': 'evidence-case' } });
  #presenting = h('div', { class: 'ev-presenting', attrs: { 'data-testid': 'evidence-presenting', role: 'status' } });
  #error = h('p', { class: 'form-error', attrs: { 'data-testid': 'evidence-console-error', role: 'alert', hidden: true } });
  #connection = /** @type {CcConnectionStatus} */ (document.createElement('cc-connection-status'));

  /** @param {EvidenceConsoleOptions} options */
  setup({ hearingId, session, live = null }) {
    this.#hearingId = hearingId;
    const role = session.user.role;
    const bench = role === 'judge' || role === 'clerk';
    this.#canPresent = bench;
    const panel = Boolean(live);
    this.dataset.mode = panel ? 'panel' : 'page';
    this.setAttribute('data-testid', 'evidence-console');
    this.classList.add('ev-console');
    if (live) {
      this.#live = live;
      this.#ownLive = false;
    } else {
      this.#live = new LiveClient(hearingId);
      this.#ownLive = true;
      this.#live.on('status', (status) => this.#connection.show(status));
    }
    const listTitle = uid('ev-console-list');
    const uploadTitle = uid('ev-console-upload');
    /** @type {HTMLElement | null} */
    let upload = null;
    if (bench) {
      const uploader = create('cc-evidence-upload', CcEvidenceUpload);
      uploader.setup({ hearingId });
      uploader.addEventListener('cc-evidence-uploaded', () => void this.#list.refresh());
      upload = h(
        'section',
        { class: 'panel ev-section', attrs: { 'aria-labelledby': uploadTitle, 'data-testid': 'evidence-upload-section' } },
        h('h3', { class: 'ev-section-title', i18n: 'evidence.upload.heading', attrs: { id: uploadTitle } }),
        uploader,
      );
    }
    const zip = h(
      'a',
      { class: 'button', attrs: { href: evidenceZipUrl(hearingId), download: '', 'data-testid': 'evidence-zip' } },
      h('span', { i18n: 'evidence.zip' }),
    );
    replaceChildren(
      this,
      h(
        'div',
        { class: 'ev-console-top' },
        panel
          ? null
          : h('a', { class: 'back-link', i18n: 'evidence.console.back', attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}`, 'data-testid': 'evidence-back' } }),
        h('div', { class: 'ev-console-head' }, panel ? null : h('h2', { class: 'ev-console-title', i18n: 'evidence.console.title' }), this.#case),
        h('div', { class: 'ev-console-tools' }, panel ? null : this.#connection, zip),
      ),
      this.#presenting,
      this.#error,
      h(
        'div',
        { class: `ev-console-layout${upload ? '' : ' no-side'}` },
        h('section', { class: 'panel ev-section ev-console-main', attrs: { 'aria-labelledby': listTitle } }, this.#list),
        upload ? h('aside', { class: 'ev-console-side' }, upload) : null,
      ),
    );
    this.#list.setup({
      hearingId,
      viewer: { kind: 'staff', id: session.user.id, role },
      live: this.#live,
      canPresent: bench,
      canDecide: role === 'judge',
      timeZone: session.court.time_zone,
    });
    this.#list.querySelector('h3')?.setAttribute('id', listTitle);
    this.#list.addEventListener('cc-evidence-loaded', () => this.#renderPresenting());
    // 展示 in the list: the bar follows at once (the live message confirms it).
    this.#list.addEventListener('cc-evidence-presenting', (event) => {
      this.#presentation = /** @type {CustomEvent<Presentation | null>} */ (event).detail;
      this.#renderPresenting();
    });
    this.#renderPresenting();
    this.#listen();
    if (this.#ownLive) this.#live.connect();
    void this.#loadPresentation();
    void this.#loadCase();
  }

  connectedCallback() {
    if (this.#hearingId) {
      this.#listen();
      void this.#loadPresentation();
    }
  }

  disconnectedCallback() {
    this.#unsubscribe();
    this.#unsubscribe = () => {};
    if (this.#ownLive) {
      this.#live?.close();
      this.#live = null;
    }
  }

  #listen() {
    this.#unsubscribe();
    const live = this.#live;
    this.#unsubscribe = live ? live.on('message', (message) => this.#onLive(message)) : () => {};
  }

  /** @param {LiveMessage} message */
  #onLive(message) {
    // A `presentation` message reaches the list, which tells this bar (`cc-evidence-presenting`).
    if (message.type === 'snapshot') {
      void this.#loadPresentation();
    }
  }

  async #loadCase() {
    try {
      const hearing = await getHearing(this.#hearingId);
      this.#case.textContent = `${hearing.case.case_number} · ${hearing.case.cause}`;
    } catch {
      // The list says more about what failed.
    }
  }

  async #loadPresentation() {
    try {
      this.#list.presenting(await getPresentation(this.#hearingId));
    } catch {
      // The live channel brings the next change.
    }
  }

  #renderPresenting() {
    const p = this.#presentation;
    const item = p ? this.#list.items.find((e) => e.id === p.evidence_id) : undefined;
    this.#presenting.dataset.state = p ? 'presenting' : 'none';
    this.#presenting.dataset.evidenceId = p?.evidence_id ?? '';
    if (!p) {
      replaceChildren(this.#presenting, h('p', { class: 'muted ev-presenting-none', i18n: 'evidence.presenting.none' }));
      return;
    }
    const number = h('span', { class: 'ev-number' });
    if (item) setEvidenceLabel(number, item.number);
    const stop = this.#canPresent
      ? h('button', {
          class: 'button danger-ghost small',
          i18n: 'evidence.present.stop',
          attrs: { type: 'button', 'data-testid': 'evidence-stop' },
          on: { click: () => void this.#stop(stop) },
        })
      : null;
    const where = p.page
      ? h('span', { class: 'muted', i18n: 'evidence.viewer.page', params: { page: p.page } })
      : null;
    replaceChildren(
      this.#presenting,
      h(
        'p',
        { class: 'ev-presenting-text' },
        h('span', { class: 'ev-live-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { i18n: 'evidence.viewer.presenting' }),
        number,
        ' ',
        h('strong', { text: item?.title ?? '' }),
        where ? ' ' : null,
        where,
        ' · ',
        h('span', { i18n: 'evidence.viewer.by' }),
        h('span', { text: p.by }),
      ),
      stop,
    );
  }

  /** @param {HTMLButtonElement | null} button */
  async #stop(button) {
    this.#error.hidden = true;
    if (button) button.disabled = true;
    try {
      await stopPresentation(this.#hearingId);
      this.#list.presenting(null);
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
      if (button) button.disabled = false;
    }
  }
}

customElements.define('cc-evidence-console', CcEvidenceConsole);
