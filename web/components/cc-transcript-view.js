/**
 * <cc-transcript-view>: the litigant's 庭审笔录, in two modes.
 *
 * `read` (查看笔录): the latest version laid out as the seed guide shows it — the court, 庭审笔录, 时间, 地点, 案由, 案号,
 * 审判人员, 书记员, the opening note, then one paragraph per entry (原告 贾1：…) — in large type that wraps on a small phone,
 * with the version number and save time. It follows the hearing's live channel: a `transcript` message reloads it
 * (marked 已更新); 刷新 reloads it from the server (刷新查看最新笔录). Before any save it says 笔录尚未开始记录. Once the
 * court opens confirmation, 确认笔录 at the bottom (点击确认笔录进入签字页面) fires `cc-confirm-transcript`.
 *
 * `confirm` (确认笔录): above the same text, the participant's own task — before the court opens it, that the clerk will
 * (409 `confirmation_closed`); then 待确认 / 已签名确认 / 签名已过期，请重新签名 / 已申请补正 with the version to sign, and the
 * two ways forward: 签名确认 (the full-screen signing page, cc-signature-page) or 申请补正 (cc-correction-form), with the
 * clerk's answers to earlier requests. `transcript` and `confirmation` messages reload it.
 *
 * data-testid: `transcript-view` (data-mode, data-version), `transcript-version` (第N版 · time; data-version),
 * `transcript-updated` (已更新 / 已刷新; data-kind live | refresh), `transcript-refresh` (刷新), `transcript-refresh-bottom`
 * (刷新笔录), `transcript-document`, `transcript-court`, `transcript-title`, `transcript-field` (data-field time | place |
 * cause | case_number | judges | clerk), `transcript-note`, `transcript-entry` (data-role), `transcript-empty`
 * (笔录尚未开始记录), `transcript-error`, `transcript-confirm-open` (the notice that confirmation is open),
 * `confirm-transcript` (确认笔录); in `confirm` mode: `confirmation` (the card), `confirmation-status` (data-status
 * loading | empty | closed | pending | signed | outdated | correction_requested), `confirmation-version` (the version to
 * sign; data-version, data-sha256), `my-signature` (the stored handwriting), `sign-transcript` and
 * `sign-transcript-bottom` (签名确认 / 重新签名), `request-correction` (申请补正), `confirmation-notice`.
 */

import { ApiError } from '../lib/api.js';
import { create, h, replaceChildren } from '../lib/dom.js';
import { setErrorText, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { shortHash } from '../lib/signature.js';
import { serial } from '../lib/serial.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { getConfirmation, getTranscript, listCorrections } from '../lib/transcript.js';
import { CcCorrectionForm, correctionList } from './cc-correction-form.js';
import { CcSignaturePage, openSignaturePage } from './cc-signature-page.js';

/** @typedef {import('../lib/types.js').Transcript} Transcript */
/** @typedef {import('../lib/types.js').TranscriptEntry} TranscriptEntry */
/** @typedef {import('../lib/types.js').Confirmation} Confirmation */
/** @typedef {import('../lib/types.js').ConfirmationTask} ConfirmationTask */
/** @typedef {import('../lib/types.js').Correction} Correction */
/** @typedef {import('../lib/types.js').SignatureSummary} SignatureSummary */
/** @typedef {import('../lib/types.js').LiveMessage} LiveMessage */
/** @typedef {import('../lib/live.js').LiveClient} LiveClient */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** @typedef {'read' | 'confirm'} TranscriptMode */
/** @typedef {'loading' | 'empty' | 'closed' | 'pending' | 'signed' | 'outdated' | 'correction_requested'} OwnStatus */

/**
 * @typedef {Object} TranscriptViewOptions
 * @property {string} hearingId
 * @property {string} participantId the signed-in participant (whose task the confirmation shows)
 * @property {TranscriptMode} mode
 * @property {LiveClient | null} [live] the hearing's live channel, for updates
 * @property {string} [timeZone] the court's (the participant's `me`), for the times shown
 */

/** How long the 已更新 mark stays. */
const MARK_MS = 15_000;

/** The header lines, in the seed's order. */
const FIELDS = /** @type {const} */ (['time', 'place', 'cause', 'case_number', 'judges', 'clerk']);

export class CcTranscriptView extends HTMLElement {
  #hearingId = '';
  #participantId = '';
  #timeZone = FALLBACK_TIME_ZONE;
  /** @type {TranscriptMode} */
  #mode = 'read';
  /** @type {Transcript | null} */
  #transcript = null;
  /** @type {Confirmation | null} */
  #confirmation = null;
  /** The server said 409 `confirmation_closed`. */
  #closed = false;
  /** @type {Correction[]} */
  #corrections = [];
  /** Serial loads: one at a time, one more if asked meanwhile. */
  #loadingTranscript = false;
  /** @type {'' | 'quiet' | 'live' | 'refresh'} */
  #transcriptAgain = '';
  /** @type {() => Promise<void>} */
  #loadConfirmation = serial(() => this.#loadConfirmationOnce());
  #correcting = false;
  /** A notice for the signer (a newer version arrived while signing). */
  /** @type {{key: MessageKey, version: number} | null} */
  #notice = null;
  /** @type {CcSignaturePage | null} */
  #signing = null;
  /** @type {() => void} */
  #unsubscribe = () => {};
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #markTimer;

  #version = h('p', { class: 'tr-version', attrs: { 'data-testid': 'transcript-version' } });
  #mark = h('span', { class: 'tr-mark', attrs: { 'data-testid': 'transcript-updated', role: 'status', hidden: true } });
  #refresh = h(
    'button',
    {
      class: 'button small tr-refresh',
      i18nAttrs: { 'aria-label': 'transcript.view.refreshLabel', title: 'transcript.view.refreshLabel' },
      attrs: { type: 'button', 'data-testid': 'transcript-refresh' },
      on: { click: () => void this.refresh() },
    },
    h('span', { class: 'tr-refresh-icon', text: '⟳', attrs: { 'aria-hidden': 'true' } }),
    h('span', { i18n: 'transcript.view.refresh' }),
  );
  #cardStatus = h('div', { class: 'tr-card-status' });
  #formSlot = h('div', { class: 'tr-card-form' });
  #listSlot = h('div', { class: 'tr-card-list' });
  #card = h('section', { class: 'tr-card', attrs: { 'data-testid': 'confirmation', hidden: true } }, this.#cardStatus, this.#formSlot, this.#listSlot);
  #openNotice = h('p', { class: 'notice tr-open-notice', i18n: 'transcript.view.confirmOpen', attrs: { 'data-testid': 'transcript-confirm-open', hidden: true } });
  #error = h('p', { class: 'form-error', attrs: { 'data-testid': 'transcript-error', role: 'alert', hidden: true } });
  #doc = h('article', { class: 'tr-doc', attrs: { 'data-testid': 'transcript-document', 'aria-busy': 'true' } });
  #bottom = h('div', { class: 'tr-bottom' });

  /** @param {TranscriptViewOptions} options */
  setup({ hearingId, participantId, mode, live, timeZone = FALLBACK_TIME_ZONE }) {
    this.#hearingId = hearingId;
    this.#participantId = participantId;
    this.#timeZone = timeZone;
    this.#mode = mode;
    this.dataset.mode = mode;
    this.setAttribute('data-testid', 'transcript-view');
    replaceChildren(
      this,
      this.#card,
      h('div', { class: 'tr-bar' }, this.#version, this.#mark, this.#refresh),
      this.#openNotice,
      this.#error,
      this.#doc,
      this.#bottom,
    );
    replaceChildren(this.#doc, h('p', { class: 'muted tr-loading', i18n: 'transcript.view.loading' }));
    this.#card.hidden = mode !== 'confirm';
    this.#unsubscribe();
    this.#unsubscribe = live ? live.on('message', (message) => this.#onLive(message)) : () => {};
    this.#renderCard();
    this.#renderBottom();
    void this.#loadTranscript('quiet');
    if (mode === 'confirm') void this.#loadConfirmation();
  }

  disconnectedCallback() {
    this.#unsubscribe();
    clearTimeout(this.#markTimer);
  }

  /** @returns {Transcript | null} the version shown */
  get transcript() {
    return this.#transcript;
  }

  /** 刷新: reload the latest version (and, when confirming, one's task) from the server. */
  async refresh() {
    const work = [this.#loadTranscript('refresh')];
    if (this.#mode === 'confirm') work.push(this.#loadConfirmation());
    await whileBusy(this.#refresh, () => Promise.all(work));
  }

  /** @param {LiveMessage} message */
  #onLive(message) {
    if (message.type === 'transcript') {
      const { version } = message;
      const shown = this.#transcript?.version ?? -1;
      if (typeof version === 'number' && version <= shown) return;
      if (this.#signing && typeof version === 'number') this.#signing.outdated(version);
      void this.#loadTranscript('live');
      if (this.#mode === 'confirm') void this.#loadConfirmation();
    } else if (message.type === 'confirmation') {
      const { open } = message;
      if (this.#transcript && typeof open === 'boolean') {
        this.#transcript = { ...this.#transcript, confirmation: { ...this.#transcript.confirmation, open } };
        this.#renderBottom();
      }
      if (this.#mode === 'confirm') void this.#loadConfirmation();
    } else if (message.type === 'snapshot') {
      // Connected again: something may have been missed.
      if (this.#transcript) void this.#loadTranscript('quiet');
      if (this.#mode === 'confirm' && (this.#confirmation || this.#closed)) void this.#loadConfirmation();
    }
  }

  /**
   * Load the latest version; when a load is under way, load once more after it.
   * @param {'quiet' | 'live' | 'refresh'} why
   */
  async #loadTranscript(why) {
    if (this.#loadingTranscript) {
      if (this.#transcriptAgain !== 'refresh') this.#transcriptAgain = why === 'quiet' && this.#transcriptAgain ? this.#transcriptAgain : why;
      return;
    }
    this.#loadingTranscript = true;
    try {
      /** @type {'' | 'quiet' | 'live' | 'refresh'} */
      let reason = why;
      while (reason) {
        this.#transcriptAgain = '';
        const before = this.#transcript;
        try {
          const transcript = await getTranscript(this.#hearingId);
          // Never go back to an older version (a late answer).
          if (!before || transcript.version >= before.version) {
            this.#transcript = transcript;
            this.#error.hidden = true;
            this.#render(before);
          }
          if (reason === 'live' && before && transcript.version > before.version) this.#showMark('live');
          else if (reason === 'refresh') this.#showMark('refresh');
        } catch (error) {
          setErrorText(this.#error, error);
          this.#error.hidden = false;
          this.#doc.removeAttribute('aria-busy');
          if (!this.#transcript) replaceChildren(this.#doc);
        }
        reason = this.#transcriptAgain;
      }
    } finally {
      this.#loadingTranscript = false;
    }
  }

  /** Load the confirmation (one's task) and one's correction requests, once (`#loadConfirmation` makes it serial). */
  async #loadConfirmationOnce() {
    try {
      const [confirmation, corrections] = await Promise.all([
        getConfirmation(this.#hearingId),
        listCorrections(this.#hearingId).catch(() => null),
      ]);
      this.#confirmation = confirmation;
      this.#closed = !confirmation.open;
      if (corrections) this.#corrections = corrections.filter((c) => c.participant_id === this.#participantId);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'confirmation_closed') {
        this.#confirmation = null;
        this.#closed = true;
      } else {
        setErrorText(this.#error, error);
        this.#error.hidden = false;
      }
    }
    this.#renderCard();
    this.#renderBottom();
  }

  /** @param {'live' | 'refresh'} kind */
  #showMark(kind) {
    const version = this.#transcript?.version ?? 0;
    bindText(this.#mark, kind === 'live' ? 'transcript.view.updated' : 'transcript.view.refreshed', { version });
    this.#mark.dataset.kind = kind;
    this.#mark.hidden = false;
    clearTimeout(this.#markTimer);
    this.#markTimer = setTimeout(() => {
      this.#mark.hidden = true;
    }, MARK_MS);
  }

  /**
   * Show the version (the one before, to mark what is new).
   * @param {Transcript | null} before
   */
  #render(before) {
    const t = this.#transcript;
    if (!t) return;
    this.dataset.version = String(t.version);
    this.#version.dataset.version = String(t.version);
    if (t.version > 0 && t.saved_at) {
      bindText(this.#version, 'transcript.view.version', { version: t.version, time: formatInZone(t.saved_at, this.#timeZone) });
    } else {
      bindText(this.#version, 'transcript.view.noVersion');
    }
    this.#doc.removeAttribute('aria-busy');
    replaceChildren(this.#doc, ...documentOf(t, before && before.version < t.version ? before.entries : null));
    this.#renderCard();
    this.#renderBottom();
  }

  /** One's status. */
  /** @returns {OwnStatus} */
  #status() {
    const t = this.#transcript;
    if (!t) return 'loading';
    if (t.latest_version === 0 || t.version === 0) return 'empty';
    if (this.#mode === 'confirm' && !this.#confirmation && !this.#closed) return 'loading';
    if (this.#closed || !this.#confirmation?.open) return 'closed';
    return this.#task()?.status ?? 'pending';
  }

  /** @returns {ConfirmationTask | undefined} */
  #task() {
    return this.#confirmation?.tasks.find((task) => task.participant_id === this.#participantId);
  }

  /** @returns {boolean} the shown version can be signed now */
  #signable() {
    const status = this.#status();
    return status === 'pending' || status === 'outdated' || status === 'correction_requested';
  }

  /** The confirmation card (confirm mode). */
  #renderCard() {
    if (this.#mode !== 'confirm') return;
    const t = this.#transcript;
    const status = this.#status();
    const task = this.#task();
    const heading = h('h3', {
      class: `tr-status status-${status}`,
      i18n: /** @type {MessageKey} */ (`transcript.view.status.${status}`),
      attrs: { 'data-testid': 'confirmation-status', 'data-status': status, tabindex: '-1' },
    });
    const version = t?.version ?? 0;
    /** @type {(HTMLElement | null)[]} */
    const parts = [heading];
    if (status === 'outdated') {
      parts.push(
        h('p', {
          class: 'tr-status-text',
          i18n: 'transcript.view.status.outdatedText',
          params: { version, signed: task?.signature?.version ?? '?' },
        }),
      );
    } else if (status === 'signed') {
      const signedAt = task?.signature?.signed_at;
      parts.push(
        h('p', {
          class: 'tr-status-text',
          i18n: 'transcript.view.status.signedText',
          params: { version: task?.signature?.version ?? version, time: signedAt ? formatInZone(signedAt, this.#timeZone) : '' },
        }),
      );
    } else if (status !== 'loading') {
      parts.push(h('p', { class: 'tr-status-text', i18n: /** @type {MessageKey} */ (`transcript.view.status.${status}Text`), params: { version } }));
    }
    if (this.#notice && status !== 'signed') {
      parts.push(h('p', { class: 'notice', i18n: this.#notice.key, params: { version: this.#notice.version }, attrs: { 'data-testid': 'confirmation-notice', role: 'status' } }));
    }
    const signature = status === 'signed' ? task?.signature : null;
    if (signature) {
      parts.push(
        h('p', {
          class: 'tr-to-sign',
          i18n: 'transcript.view.signedVersion',
          params: { version: signature.version, hash: shortHash(signature.sha256) },
          attrs: { 'data-testid': 'confirmation-version', 'data-version': signature.version, 'data-sha256': signature.sha256 },
        }),
      );
    } else if (t && t.version > 0 && status !== 'closed' && status !== 'loading') {
      parts.push(
        h('p', {
          class: 'tr-to-sign',
          i18n: 'transcript.view.toSign',
          params: { version: t.version, hash: shortHash(t.sha256) },
          attrs: { 'data-testid': 'confirmation-version', 'data-version': t.version, 'data-sha256': t.sha256 ?? '' },
        }),
      );
    }
    if (status === 'signed' && task?.signature?.image_url) {
      parts.push(
        h('img', {
          class: 'tr-my-signature',
          i18nAttrs: { alt: 'transcript.view.mySignature' },
          attrs: { src: task.signature.image_url, 'data-testid': 'my-signature' },
        }),
      );
    }
    if (this.#signable()) {
      const actions = h(
        'div',
        { class: 'actions tr-card-actions' },
        h('button', {
          class: 'button primary big',
          i18n: status === 'outdated' ? 'transcript.view.signAgain' : 'transcript.view.sign',
          attrs: { type: 'button', 'data-testid': 'sign-transcript' },
          on: { click: () => this.#sign() },
        }),
        status !== 'correction_requested' && !this.#correcting
          ? h('button', {
              class: 'button',
              i18n: 'transcript.view.requestCorrection',
              attrs: { type: 'button', 'data-testid': 'request-correction' },
              on: { click: () => this.#openCorrection() },
            })
          : null,
      );
      parts.push(actions);
    }
    replaceChildren(this.#cardStatus, ...parts);
    // The form stays the same element while open (a live update must not take what is being typed, or the focus).
    if (!this.#correcting || !this.#signable()) {
      this.#correcting = false;
      replaceChildren(this.#formSlot);
    }
    replaceChildren(this.#listSlot, correctionList(this.#corrections, this.#timeZone));
  }

  /** The actions under the text (the seed: 刷新笔录, 确认笔录). */
  #renderBottom() {
    const t = this.#transcript;
    const open = Boolean(t?.confirmation.open);
    this.#openNotice.hidden = this.#mode !== 'read' || !open || !t || t.version === 0;
    replaceChildren(
      this.#bottom,
      h('button', {
        class: 'button',
        i18n: 'transcript.view.refreshBottom',
        attrs: { type: 'button', 'data-testid': 'transcript-refresh-bottom' },
        on: { click: () => void this.refresh() },
      }),
      this.#mode === 'read' && open && t && t.version > 0
        ? h('button', {
            class: 'button primary',
            i18n: 'transcript.view.confirm',
            attrs: { type: 'button', 'data-testid': 'confirm-transcript' },
            on: { click: () => this.dispatchEvent(new CustomEvent('cc-confirm-transcript', { bubbles: true })) },
          })
        : null,
      this.#mode === 'confirm' && this.#signable()
        ? h('button', {
            class: 'button primary',
            i18n: this.#status() === 'outdated' ? 'transcript.view.signAgain' : 'transcript.view.sign',
            attrs: { type: 'button', 'data-testid': 'sign-transcript-bottom' },
            on: { click: () => this.#sign() },
          })
        : null,
    );
  }

  /** 申请补正: the request form, about the version shown. */
  #openCorrection() {
    const t = this.#transcript;
    if (!t) return;
    this.#correcting = true;
    const form = create('cc-correction-form', CcCorrectionForm);
    form.setup({ hearingId: this.#hearingId, version: t.version });
    form.addEventListener('cc-correction-cancel', () => {
      this.#correcting = false;
      this.#renderCard();
      /** @type {HTMLElement | null} */ (this.#card.querySelector('[data-testid="request-correction"]'))?.focus();
    });
    form.addEventListener('cc-correction-sent', (event) => {
      const correction = /** @type {CustomEvent<Correction>} */ (event).detail;
      this.#correcting = false;
      if (!this.#corrections.some((c) => c.id === correction.id)) this.#corrections = [...this.#corrections, correction];
      this.#renderCard();
      void this.#loadConfirmation();
      /** @type {HTMLElement | null} */ (this.#card.querySelector('[data-testid="confirmation-status"]'))?.focus();
    });
    replaceChildren(this.#formSlot, form);
    this.#renderCard();
    form.focus();
  }

  /** 签名确认: the signing page for the version shown. */
  #sign() {
    const t = this.#transcript;
    if (!t || !t.sha256 || this.#signing) return;
    this.#notice = null;
    const page = openSignaturePage(this, { hearingId: this.#hearingId, version: t.version, sha256: t.sha256 });
    this.#signing = page;
    page.addEventListener('cc-signed', () => {
      this.#notice = null;
      void this.#loadConfirmation();
    });
    page.addEventListener('cc-signature-outdated', () => {
      void this.#loadTranscript('live');
      void this.#loadConfirmation();
    });
    page.addEventListener('cc-signature-closed', () => {
      this.#signing = null;
      const shown = this.#transcript;
      // A newer version than the one being signed: ask to read it before signing again.
      if (shown && shown.version > t.version) this.#notice = { key: 'transcript.view.readNew', version: shown.version };
      this.#renderCard();
      this.#renderBottom();
      /** @type {HTMLElement | null} */ (this.#card.querySelector('[data-testid="confirmation-status"]'))?.focus();
    });
  }
}

customElements.define('cc-transcript-view', CcTranscriptView);

/**
 * The transcript as the seed lays it out; entries new since `before` are marked.
 * @param {Transcript} t
 * @param {TranscriptEntry[] | null} before the entries of the version shown before (null: mark nothing)
 * @returns {HTMLElement[]}
 */
function documentOf(t, before) {
  const head = t.header;
  /** @type {Record<typeof FIELDS[number], string>} */
  const values = {
    time: head.time,
    place: head.place,
    cause: head.cause,
    case_number: head.case_number,
    judges: head.judges.join('、'),
    clerk: head.clerk,
  };
  const fields = FIELDS.filter((f) => values[f]).map((f) =>
    h(
      'p',
      { class: 'tr-field', attrs: { 'data-testid': 'transcript-field', 'data-field': f } },
      h('span', { class: 'tr-label', i18n: /** @type {MessageKey} */ (`transcript.view.field.${f}`) }),
      h('span', { class: 'tr-colon', i18n: 'transcript.view.colon' }),
      h('span', { class: 'tr-value', text: values[f] }),
    ),
  );
  /** @type {HTMLElement[]} */
  const parts = [
    h(
      'header',
      { class: 'tr-head' },
      h('p', { class: 'tr-court', text: head.court, attrs: { 'data-testid': 'transcript-court' } }),
      h('h3', { class: 'tr-title', text: head.title, attrs: { 'data-testid': 'transcript-title' } }),
    ),
    h('div', { class: 'tr-fields' }, fields),
  ];
  if (t.opening_note) parts.push(h('p', { class: 'tr-note', text: t.opening_note, attrs: { 'data-testid': 'transcript-note' } }));
  if (t.version === 0) {
    parts.push(
      h(
        'div',
        { class: 'tr-empty', attrs: { 'data-testid': 'transcript-empty' } },
        h('p', { class: 'tr-empty-title', i18n: 'transcript.view.empty' }),
        h('p', { class: 'hint', i18n: 'transcript.view.emptyHint' }),
      ),
    );
  } else if (!t.entries.length) {
    parts.push(h('p', { class: 'tr-empty muted', i18n: 'transcript.view.noEntries' }));
  } else {
    parts.push(
      h(
        'ol',
        { class: 'tr-entries', i18nAttrs: { 'aria-label': 'transcript.view.entries' } },
        t.entries.map((entry, i) => {
          const old = before?.[i];
          const fresh = before !== null && (!old || old.text !== entry.text || old.name !== entry.name || old.role !== entry.role);
          return h(
            'li',
            { class: `tr-entry${fresh ? ' is-new' : ''}`, attrs: { 'data-testid': 'transcript-entry', 'data-role': entry.role } },
            h(
              'span',
              { class: 'tr-speaker' },
              h('span', { class: 'tr-role', i18n: /** @type {MessageKey} */ (`role.${entry.role}`) }),
              ' ',
              h('span', { class: 'tr-name', text: entry.name }),
              h('span', { class: 'tr-colon', i18n: 'transcript.view.colon' }),
            ),
            h('span', { class: 'tr-text', text: entry.text }),
          );
        }),
      ),
    );
  }
  return parts;
}
