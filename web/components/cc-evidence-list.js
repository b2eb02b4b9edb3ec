/**
 * <cc-evidence-list>: the hearing's 证据列表, live — shared by the participant's 上传证据 panel and the console.
 *
 * Each item (by number) shows 证据一 (Evidence 1 in English), its 证据名称 (crossed out once 已撤回), the submitter with
 * role (原告 贾1), the time, the size, the type, the SHA-256 (short; the full one in its title and on tap), and its
 * 待认定 / 已采纳 / 未采纳. Tapping an item opens it in place: 证明目的, a preview (image → <img>; PDF → <iframe> with a
 * link to open or download it; audio → <audio controls>; video → <video controls playsinline>; others → a download
 * link), everyone's 质证意见 (name, role, 真实性 / 合法性 / 关联性, text), and what the viewer may do: a party records
 * an opinion on an item someone else submitted (each of the three 认可 / 不认可 / 不清楚, and a text; a second one
 * replaces the first); the submitter 撤回 their own item (after a confirmation); staff who may 展示 an item (with a page
 * for a PDF, a time for audio and video); a judge 采纳 / 不予采纳 with a reason. Staff read opinions only.
 *
 * It reloads on the live channel's `evidence` messages (and after a reconnection), one load at a time; an open item,
 * its preview and a half-written opinion survive reloads. `presenting(p)` marks the item being presented.
 * Fires `cc-evidence-loaded` (detail: Evidence[]) after every load, and `cc-evidence-presenting` (detail: the
 * Presentation or null) when what is presented changes.
 *
 * data-testid:
 * - `evidence-list`            the <ol> (data-count)
 * - `evidence-list-state`      loading / 尚未提交证据 / an error with `evidence-reload`
 * - `evidence-item`            one item: data-evidence-id, data-number, data-status (submitted | withdrawn),
 *                              data-admission (pending | admitted | not_admitted), data-sha256, data-kind,
 *                              data-open (when open), data-presented (when presented)
 * - `evidence-open`            the item's summary button (aria-expanded)
 * - `evidence-number`, `evidence-title`, `evidence-submitter`, `evidence-time`, `evidence-size`, `evidence-kind`
 * - `evidence-sha256`          the hash button (short text, full in `title` and `data-full`; a tap shows it whole)
 * - `evidence-status`          已撤回; `evidence-admission` 待认定 / 已采纳 / 未采纳 (data-admission)
 * - `evidence-details`         the open part; `evidence-purpose`, `evidence-file`, `evidence-admission-reason-text`
 * - `evidence-preview`         the preview (data-kind), `evidence-open-new` (PDF: open in a new page),
 *                              `evidence-download`
 * - `opinions`, `opinion`      each opinion shown: data-participant-id, data-role, data-authenticity, data-legality,
 *                              data-relevance
 * - `opinion-form`             a party's form: `opinion-authenticity`, `opinion-legality`, `opinion-relevance` (radio
 *                              groups; values agree | disagree | unclear), `opinion-text`, `opinion-submit`,
 *                              `opinion-error`, `opinion-status`
 * - `evidence-withdraw`        撤回 (own items)
 * - `evidence-present`         展示 (staff), with `evidence-present-page` (PDF) or `evidence-present-time` (audio, video)
 * - `evidence-admit`, `evidence-not-admit`, `evidence-admission-reason` (judge)
 * - `evidence-action-error`    a refused action, in the server's words
 */

import { ApiError } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText, whileBusy } from '../lib/forms.js';
import { LANG_EVENT, bindText, lang, t } from '../lib/i18n.js';
import {
  OPINION_MAX,
  PARTY_ROLES,
  decideAdmission,
  downloadUrl,
  evidenceNumeral,
  formatSize,
  giveOpinion,
  listEvidence,
  pageUrl,
  parseTime,
  presentEvidence,
  shortSha,
  withdrawEvidence,
} from '../lib/evidence.js';
import { serial } from '../lib/serial.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { confirmDialog } from './cc-confirm-dialog.js';

/** @typedef {import('../lib/types.js').Evidence} Evidence */
/** @typedef {import('../lib/types.js').Opinion} Opinion */
/** @typedef {import('../lib/types.js').OpinionAnswer} OpinionAnswer */
/** @typedef {import('../lib/types.js').Presentation} Presentation */
/** @typedef {import('../lib/types.js').LiveMessage} LiveMessage */
/** @typedef {import('../lib/live.js').LiveClient} LiveClient */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * Who is looking: a staff member or a participant (their id and role decide what they may do).
 * @typedef {Object} EvidenceViewer
 * @property {'staff' | 'participant'} kind
 * @property {string} id
 * @property {string} role
 */

/**
 * @typedef {Object} EvidenceListOptions
 * @property {string} hearingId
 * @property {EvidenceViewer} viewer
 * @property {LiveClient | null} [live] the hearing's live channel
 * @property {boolean} [canPresent] staff who may present items (judge, clerk)
 * @property {boolean} [canDecide] a judge, who may admit items
 * @property {string} [timeZone] the court's zone, for the times shown (the staff's session or the participant's `me`)
 */

/** The three questions of a 质证意见, in the order they are asked. */
const ASPECTS = /** @type {const} */ (['authenticity', 'legality', 'relevance']);
const ANSWERS = /** @type {const} */ (['agree', 'disagree', 'unclear']);

/**
 * An item's label in the current language: 证据一 / Evidence 1.
 * @param {number} number
 * @returns {string}
 */
export function evidenceLabel(number) {
  return t('evidence.number', { numeral: evidenceNumeral(number, lang()) });
}

/**
 * Show an item's label in `el`, and keep it in the current language (a Chinese numeral is not a placeholder the
 * dictionaries could hold, so these labels follow the language switch by themselves).
 * @param {HTMLElement} el
 * @param {number} number
 */
export function setEvidenceLabel(el, number) {
  el.dataset.evidenceLabel = String(number);
  el.textContent = evidenceLabel(number);
}

if (typeof window !== 'undefined') {
  window.addEventListener(LANG_EVENT, () => {
    for (const el of document.querySelectorAll(/** @type {'span'} */ ('[data-evidence-label]'))) {
      setEvidenceLabel(el, Number(el.dataset.evidenceLabel));
    }
  });
}

/**
 * A role's name: the participant and bench roles, or a staff account's.
 * @param {string} role
 * @returns {HTMLElement}
 */
export function roleLabel(role) {
  for (const key of [`role.${role}`, `staffRole.${role}`]) {
    if (t(/** @type {MessageKey} */ (key)) !== key) return h('span', { class: 'ev-role', i18n: /** @type {MessageKey} */ (key) });
  }
  return h('span', { class: 'ev-role', text: role });
}

/**
 * The preview of an item: the picture, the PDF in a frame, the player, or a download link; always a download link.
 * @param {Evidence} evidence
 * @param {{page?: number | null, time?: number | null}} [at] where to open (a PDF page; a media time in seconds)
 * @returns {HTMLElement}
 */
export function previewOf(evidence, at = {}) {
  const url = evidence.content_url;
  /** @type {(HTMLElement | null)[]} */
  const parts = [];
  const label = `${evidenceLabel(evidence.number)} ${evidence.title}`;
  if (evidence.kind === 'image') {
    parts.push(h('img', { class: 'ev-media ev-image', attrs: { src: url, alt: label, loading: 'lazy', decoding: 'async' } }));
  } else if (evidence.kind === 'pdf') {
    const src = pageUrl(evidence, at.page);
    parts.push(
      h('iframe', { class: 'ev-media ev-pdf', attrs: { src, title: label, loading: 'lazy' } }),
      h(
        'p',
        { class: 'hint ev-pdf-hint' },
        h('span', { i18n: 'evidence.preview.pdfHint' }),
        ' ',
        h('a', {
          i18n: 'evidence.preview.openNew',
          attrs: { href: src, target: '_blank', rel: 'noopener', 'data-testid': 'evidence-open-new' },
        }),
      ),
    );
  } else if (evidence.kind === 'audio' || evidence.kind === 'video') {
    const media =
      evidence.kind === 'audio'
        ? h('audio', { class: 'ev-media ev-audio', attrs: { controls: true, preload: 'metadata', src: url } })
        : h('video', { class: 'ev-media ev-video', attrs: { controls: true, playsinline: true, preload: 'metadata', src: url } });
    media.setAttribute('aria-label', label);
    if (at.time && at.time > 0) seek(media, at.time);
    parts.push(media);
  } else {
    parts.push(h('p', { class: 'ev-no-preview muted', i18n: 'evidence.preview.none' }));
  }
  parts.push(
    h(
      'p',
      { class: 'ev-download' },
      h('a', {
        class: 'button small',
        i18n: 'evidence.preview.download',
        attrs: { href: downloadUrl(evidence), download: evidence.file_name, 'data-testid': 'evidence-download' },
      }),
    ),
  );
  return h('div', { class: `ev-preview kind-${evidence.kind}`, attrs: { 'data-testid': 'evidence-preview', 'data-kind': evidence.kind } }, parts);
}

/**
 * Put a player at `time` seconds (now, or once it knows its length).
 * @param {HTMLMediaElement} media
 * @param {number} time
 */
export function seek(media, time) {
  const go = () => {
    try {
      media.currentTime = time;
    } catch {
      // Not seekable yet: the next metadata event tries again.
    }
  };
  if (media.readyState >= 1) go();
  else media.addEventListener('loadedmetadata', go, { once: true });
}

/** One item of the list: its summary, and its details once opened. */
class ItemView {
  /** @type {Evidence} */
  evidence;
  #list;
  #drawn = '';
  open = false;
  el = h('li', { class: 'ev-item', attrs: { 'data-testid': 'evidence-item' } });
  #detailsId = uid('ev-details');
  #summary = h('button', {
    class: 'ev-summary',
    attrs: { type: 'button', 'aria-expanded': 'false', 'data-testid': 'evidence-open' },
  });
  #hash = h('button', { class: 'ev-hash', attrs: { type: 'button', 'aria-expanded': 'false', 'data-testid': 'evidence-sha256' } });
  #details = h('div', { class: 'ev-details', attrs: { 'data-testid': 'evidence-details', hidden: true } });
  #info = h('div', { class: 'ev-info' });
  /** @type {HTMLElement | null} */
  #preview = null;
  #previewSlot = h('div', { class: 'ev-preview-slot' });
  #opinions = h('div', { class: 'ev-opinions' });
  #formSlot = h('div', { class: 'ev-form-slot' });
  /** @type {HTMLFormElement | null} */
  #form = null;
  #staffSlot = h('div', { class: 'ev-staff-slot' });
  /** @type {HTMLElement | null} */
  #staff = null;
  #ownSlot = h('div', { class: 'ev-own-slot' });
  #error = h('p', { class: 'form-error', attrs: { 'data-testid': 'evidence-action-error', role: 'alert', hidden: true } });

  /**
   * @param {Evidence} evidence
   * @param {CcEvidenceList} list
   */
  constructor(evidence, list) {
    this.evidence = evidence;
    this.#list = list;
    this.#details.id = this.#detailsId;
    this.#summary.setAttribute('aria-controls', this.#detailsId);
    this.#summary.addEventListener('click', () => this.toggle());
    this.#hash.addEventListener('click', () => {
      const full = this.#hash.getAttribute('aria-expanded') !== 'true';
      this.#hash.setAttribute('aria-expanded', String(full));
      this.#hash.textContent = full ? this.evidence.sha256 : shortSha(this.evidence.sha256);
      this.#hash.classList.toggle('full', full);
    });
    replaceChildren(
      this.#details,
      this.#info,
      this.#previewSlot,
      this.#staffSlot,
      this.#error,
      h('h4', { class: 'ev-sub', i18n: 'evidence.opinion.title' }),
      this.#opinions,
      this.#formSlot,
      this.#ownSlot,
    );
    replaceChildren(
      this.el,
      this.#summary,
      h('p', { class: 'ev-hash-line' }, h('span', { class: 'ev-hash-label', text: 'SHA-256' }), this.#hash),
      this.#details,
    );
    this.update(evidence, true);
  }

  /**
   * Show the item as the server has it now.
   * @param {Evidence} evidence
   * @param {boolean} [force]
   */
  update(evidence, force = false) {
    const key = JSON.stringify([evidence, this.#list.presentedId === evidence.id, lang()]);
    if (!force && key === this.#drawn) return;
    this.#drawn = key;
    const before = this.evidence;
    this.evidence = evidence;
    const e = evidence;
    const withdrawn = e.status === 'withdrawn';
    const presented = this.#list.presentedId === e.id;
    Object.assign(this.el.dataset, {
      evidenceId: e.id,
      number: String(e.number),
      status: e.status,
      admission: e.admission,
      sha256: e.sha256,
      kind: e.kind,
    });
    if (presented) this.el.dataset.presented = '';
    else delete this.el.dataset.presented;
    this.el.classList.toggle('is-withdrawn', withdrawn);
    this.el.classList.toggle('is-presented', presented);
    const number = h('span', { class: 'ev-number', attrs: { 'data-testid': 'evidence-number' } });
    setEvidenceLabel(number, e.number);
    const submitted = formatInZone(e.submitted_at, this.#list.timeZone);
    replaceChildren(
      this.#summary,
      h(
        'span',
        { class: 'ev-head' },
        number,
        h(withdrawn ? 's' : 'span', { class: 'ev-title', text: e.title, attrs: { 'data-testid': 'evidence-title' } }),
      ),
      h(
        'span',
        { class: 'ev-badges' },
        withdrawn ? h('span', { class: 'badge ev-badge-withdrawn', i18n: 'evidence.status.withdrawn', attrs: { 'data-testid': 'evidence-status' } }) : null,
        h('span', {
          class: `badge ev-admission admission-${e.admission}`,
          i18n: /** @type {MessageKey} */ (`evidence.admission.${e.admission}`),
          attrs: { 'data-testid': 'evidence-admission', 'data-admission': e.admission },
        }),
        presented ? h('span', { class: 'badge ev-badge-presented', i18n: 'evidence.presenting.badge' }) : null,
        e.opinions.length
          ? h('span', { class: 'badge ev-badge-opinions', i18n: 'evidence.opinion.count', params: { count: e.opinions.length } })
          : null,
      ),
      h(
        'span',
        { class: 'ev-meta' },
        h('span', { class: 'ev-submitter', attrs: { 'data-testid': 'evidence-submitter' } }, roleLabel(e.submitted_by.role), ' ', h('span', { text: e.submitted_by.name })),
        h('span', { class: 'ev-time', text: submitted, attrs: { 'data-testid': 'evidence-time' } }),
        h('span', { class: 'ev-size', text: formatSize(e.size), attrs: { 'data-testid': 'evidence-size' } }),
        h('span', {
          class: 'ev-kind',
          i18n: /** @type {MessageKey} */ (`evidence.kind.${e.kind}`),
          attrs: { 'data-testid': 'evidence-kind', title: e.media_type },
        }),
      ),
    );
    const full = this.#hash.getAttribute('aria-expanded') === 'true';
    this.#hash.textContent = full ? e.sha256 : shortSha(e.sha256);
    this.#hash.title = e.sha256;
    this.#hash.dataset.full = e.sha256;
    this.#hash.setAttribute('aria-label', t('evidence.sha256Label', { hash: e.sha256 }));
    this.#renderInfo();
    if (this.#preview && before.content_url !== e.content_url) {
      this.#preview = null;
      if (this.open) this.#showPreview();
    }
    this.#renderOpinions();
    this.#renderForm();
    this.#renderStaff();
    this.#renderOwn();
  }

  /** @param {boolean} [open] */
  toggle(open = !this.open) {
    this.open = open;
    this.#details.hidden = !open;
    this.#summary.setAttribute('aria-expanded', String(open));
    if (open) {
      this.el.dataset.open = '';
      this.#showPreview();
    } else {
      delete this.el.dataset.open;
      // A player stops when its item closes.
      for (const media of this.#previewSlot.querySelectorAll('audio, video')) /** @type {HTMLMediaElement} */ (media).pause();
    }
  }

  /** The language changed: labels built from data. */
  relabel() {
    this.update(this.evidence, true);
  }

  #showPreview() {
    if (this.#preview) return;
    this.#preview = previewOf(this.evidence);
    replaceChildren(this.#previewSlot, this.#preview);
  }

  #renderInfo() {
    const e = this.evidence;
    /** @type {(HTMLElement | null)[]} */
    const rows = [
      h(
        'div',
        { class: 'ev-fact' },
        h('dt', { i18n: 'evidence.field.purpose' }),
        h('dd', { class: 'ev-purpose', text: e.purpose || '—', attrs: { 'data-testid': 'evidence-purpose' } }),
      ),
      h(
        'div',
        { class: 'ev-fact' },
        h('dt', { i18n: 'evidence.field.file' }),
        h('dd', { class: 'ev-file', text: `${e.file_name} · ${e.media_type}`, attrs: { 'data-testid': 'evidence-file' } }),
      ),
    ];
    if (e.status === 'withdrawn') {
      rows.push(
        h(
          'div',
          { class: 'ev-fact' },
          h('dt', { i18n: 'evidence.field.withdrawn' }),
          h('dd', { text: `${e.withdrawn_at ? formatInZone(e.withdrawn_at, this.#list.timeZone) : ''}${e.withdraw_reason ? ` · ${e.withdraw_reason}` : ''}` }),
        ),
      );
    }
    if (e.admission !== 'pending' || e.admission_reason) {
      rows.push(
        h(
          'div',
          { class: 'ev-fact' },
          h('dt', { i18n: 'evidence.field.admission' }),
          h(
            'dd',
            { attrs: { 'data-testid': 'evidence-admission-reason-text' } },
            h('span', { i18n: /** @type {MessageKey} */ (`evidence.admission.${e.admission}`) }),
            e.admission_reason ? h('span', { text: ` · ${e.admission_reason}` }) : null,
          ),
        ),
      );
    }
    replaceChildren(this.#info, h('dl', { class: 'ev-facts' }, rows));
  }

  #renderOpinions() {
    const opinions = this.evidence.opinions;
    if (!opinions.length) {
      replaceChildren(this.#opinions, h('p', { class: 'muted ev-no-opinions', i18n: 'evidence.opinion.none' }));
      return;
    }
    replaceChildren(
      this.#opinions,
      h(
        'ul',
        { class: 'ev-opinion-list', attrs: { 'data-testid': 'opinions' } },
        opinions.map((o) => opinionView(o, this.#list.viewer, this.#list.timeZone)),
      ),
    );
  }

  /** A party's form, on an item someone else submitted (kept while open: a reload must not take what is typed). */
  #renderForm() {
    const e = this.evidence;
    const viewer = this.#list.viewer;
    const allowed =
      viewer.kind === 'participant' &&
      PARTY_ROLES.has(viewer.role) &&
      e.status === 'submitted' &&
      !(e.submitted_by.kind === 'participant' && e.submitted_by.id === viewer.id);
    if (!allowed) {
      this.#form = null;
      replaceChildren(this.#formSlot);
      return;
    }
    if (this.#form) return;
    const mine = e.opinions.find((o) => o.participant_id === viewer.id);
    this.#form = opinionForm(e, mine, async (input) => {
      await giveOpinion(this.#list.hearingId, e.id, input);
      void this.#list.refresh();
    });
    replaceChildren(this.#formSlot, this.#form);
  }

  /** 撤回: the submitter's own item. */
  #renderOwn() {
    const e = this.evidence;
    const viewer = this.#list.viewer;
    const own = e.submitted_by.kind === viewer.kind && e.submitted_by.id === viewer.id;
    if (!own || e.status !== 'submitted') {
      replaceChildren(this.#ownSlot);
      return;
    }
    if (this.#ownSlot.firstChild) return;
    const button = h('button', {
      class: 'button danger-ghost',
      i18n: 'evidence.withdraw',
      attrs: { type: 'button', 'data-testid': 'evidence-withdraw' },
      on: { click: () => void this.#withdraw(button) },
    });
    replaceChildren(this.#ownSlot, h('div', { class: 'actions ev-own' }, button));
  }

  /** @param {HTMLButtonElement} button */
  async #withdraw(button) {
    const e = this.evidence;
    const ok = await confirmDialog('evidence.withdrawConfirm', { label: evidenceLabel(e.number), title: e.title }, 'evidence.withdraw', true);
    if (!ok) return;
    await this.#act(button, async () => {
      this.#list.replace(await withdrawEvidence(this.#list.hearingId, e.id));
    });
  }

  /** Staff: 展示 (and a judge's 采纳 / 不予采纳); built once, shown while the item may be presented or decided. */
  #renderStaff() {
    const list = this.#list;
    const e = this.evidence;
    if (!list.canPresent && !list.canDecide) return;
    if (!this.#staff) {
      this.#staff = this.#buildStaff();
      replaceChildren(this.#staffSlot, this.#staff);
    }
    const present = /** @type {HTMLElement | null} */ (this.#staff.querySelector('.ev-present'));
    if (present) present.hidden = e.status !== 'submitted';
  }

  #buildStaff() {
    const list = this.#list;
    const e = this.evidence;
    /** @type {HTMLElement[]} */
    const parts = [];
    if (list.canPresent) {
      /** @type {HTMLInputElement | null} */
      let page = null;
      /** @type {HTMLInputElement | null} */
      let time = null;
      /** @type {HTMLElement | null} */
      let field = null;
      if (e.kind === 'pdf') {
        page = h('input', { class: 'ev-input ev-short', attrs: { type: 'number', min: 1, step: 1, inputmode: 'numeric', id: uid('ev-page'), 'data-testid': 'evidence-present-page' } });
        field = h('div', { class: 'field ev-inline' }, h('label', { i18n: 'evidence.present.page', attrs: { for: page.id } }), page);
      } else if (e.kind === 'audio' || e.kind === 'video') {
        time = h('input', {
          class: 'ev-input ev-short',
          i18nAttrs: { placeholder: 'evidence.present.timePlaceholder' },
          attrs: { type: 'text', inputmode: 'numeric', id: uid('ev-time'), 'data-testid': 'evidence-present-time' },
        });
        field = h('div', { class: 'field ev-inline' }, h('label', { i18n: 'evidence.present.time', attrs: { for: time.id } }), time);
      }
      const button = h('button', {
        class: 'button primary',
        i18n: 'evidence.present.do',
        attrs: { type: 'button', 'data-testid': 'evidence-present' },
        on: {
          click: () =>
            void this.#act(button, async () => {
              /** @type {{page?: number, time?: number}} */
              const at = {};
              const n = page && page.value ? Math.floor(Number(page.value)) : 0;
              if (n >= 1) at.page = n;
              if (time && time.value.trim()) {
                const seconds = parseTime(time.value);
                if (seconds === null) throw new ApiError({ status: 0, code: 'client', message: { 'zh-CN': t('evidence.present.badTime'), en: t('evidence.present.badTime') } });
                at.time = seconds;
              }
              list.presenting(await presentEvidence(list.hearingId, e.id, at));
            }),
        },
      });
      parts.push(h('div', { class: 'ev-present ev-staff-row' }, field, button));
    }
    if (list.canDecide) {
      const reason = h('textarea', {
        class: 'ev-input',
        attrs: { rows: 2, maxlength: 2000, id: uid('ev-reason'), 'data-testid': 'evidence-admission-reason' },
      });
      /** @param {boolean} admitted */
      const decide = (admitted) => (/** @type {Event} */ event) =>
        void this.#act(/** @type {HTMLButtonElement} */ (event.currentTarget), async () => {
          this.#list.replace(await decideAdmission(list.hearingId, this.evidence.id, admitted, reason.value.trim() || undefined));
        });
      parts.push(
        h(
          'div',
          { class: 'ev-decide' },
          h('div', { class: 'field' }, h('label', { i18n: 'evidence.admission.reason', attrs: { for: reason.id } }), reason),
          h(
            'div',
            { class: 'actions' },
            h('button', { class: 'button primary', i18n: 'evidence.admission.admit', attrs: { type: 'button', 'data-testid': 'evidence-admit' }, on: { click: decide(true) } }),
            h('button', { class: 'button danger-ghost', i18n: 'evidence.admission.reject', attrs: { type: 'button', 'data-testid': 'evidence-not-admit' }, on: { click: decide(false) } }),
          ),
        ),
      );
    }
    return h('div', { class: 'ev-staff' }, parts);
  }

  /**
   * Run an action with its button busy; a refusal is shown in the server's words.
   * @param {HTMLButtonElement} button
   * @param {() => Promise<void>} work
   */
  async #act(button, work) {
    this.#error.hidden = true;
    try {
      await whileBusy(button, work);
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }
}

/**
 * One opinion as shown to everyone.
 * @param {Opinion} o
 * @param {EvidenceViewer} viewer
 * @param {string} timeZone
 * @returns {HTMLElement}
 */
function opinionView(o, viewer, timeZone) {
  const mine = viewer.kind === 'participant' && viewer.id === o.participant_id;
  return h(
    'li',
    {
      class: `ev-opinion${mine ? ' is-mine' : ''}`,
      attrs: {
        'data-testid': 'opinion',
        'data-participant-id': o.participant_id,
        'data-role': o.role,
        'data-authenticity': o.authenticity,
        'data-legality': o.legality,
        'data-relevance': o.relevance,
      },
    },
    h(
      'p',
      { class: 'ev-op-who' },
      roleLabel(o.role),
      ' ',
      h('strong', { text: o.name }),
      mine ? h('span', { class: 'badge ev-badge-mine', i18n: 'evidence.opinion.mine' }) : null,
      h('span', { class: 'ev-op-time muted', text: formatInZone(o.given_at, timeZone) }),
    ),
    h(
      'dl',
      { class: 'ev-op-answers' },
      ASPECTS.map((aspect) =>
        h(
          'div',
          { class: `ev-op-answer answer-${o[aspect]}` },
          h('dt', { i18n: /** @type {MessageKey} */ (`evidence.opinion.${aspect}`) }),
          h('dd', { i18n: /** @type {MessageKey} */ (`evidence.opinion.answer.${o[aspect]}`) }),
        ),
      ),
    ),
    o.text ? h('p', { class: 'ev-op-text', text: o.text }) : null,
  );
}

/**
 * A party's 质证意见 form.
 * @param {Evidence} evidence
 * @param {Opinion | undefined} mine one's earlier opinion (the form starts from it)
 * @param {(input: import('../lib/types.js').OpinionInput) => Promise<void>} send
 * @returns {HTMLFormElement}
 */
function opinionForm(evidence, mine, send) {
  const error = h('p', { class: 'form-error', attrs: { 'data-testid': 'opinion-error', role: 'alert', hidden: true } });
  const status = h('p', { class: 'status', attrs: { 'data-testid': 'opinion-status', role: 'status' } });
  const text = h('textarea', {
    class: 'ev-input',
    attrs: { rows: 3, maxlength: OPINION_MAX, id: uid('op-text'), 'data-testid': 'opinion-text' },
    i18nAttrs: { placeholder: 'evidence.opinion.textPlaceholder' },
  });
  text.value = mine?.text ?? '';
  const groups = ASPECTS.map((aspect) => {
    const name = uid(`op-${aspect}`);
    return h(
      'fieldset',
      { class: 'ev-op-group', attrs: { 'data-testid': `opinion-${aspect}`, 'data-aspect': aspect } },
      h('legend', { i18n: /** @type {MessageKey} */ (`evidence.opinion.${aspect}`) }),
      h(
        'div',
        { class: 'ev-segments' },
        ANSWERS.map((answer) => {
          const id = uid('op');
          return h(
            'span',
            { class: 'ev-segment' },
            h('input', { attrs: { type: 'radio', name, value: answer, id, checked: mine?.[aspect] === answer } }),
            h('label', { i18n: /** @type {MessageKey} */ (`evidence.opinion.answer.${answer}`), attrs: { for: id } }),
          );
        }),
      ),
    );
  });
  const submit = h('button', { class: 'button primary', i18n: 'evidence.opinion.submit', attrs: { type: 'submit', 'data-testid': 'opinion-submit' } });
  const form = h(
    'form',
    { class: 'ev-op-form', attrs: { 'data-testid': 'opinion-form', novalidate: true } },
    h('h4', { class: 'ev-sub', i18n: mine ? 'evidence.opinion.edit' : 'evidence.opinion.give' }),
    h('p', { class: 'hint', i18n: 'evidence.opinion.hint', params: { title: evidence.title } }),
    groups,
    h('div', { class: 'field' }, h('label', { i18n: 'evidence.opinion.text', attrs: { for: text.id } }), text),
    error,
    h('div', { class: 'actions' }, submit),
    status,
  );
  form.addEventListener('change', () => {
    error.hidden = true;
    status.textContent = '';
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.hidden = true;
    status.textContent = '';
    /** @type {Record<string, OpinionAnswer>} */
    const answers = {};
    for (const [i, aspect] of ASPECTS.entries()) {
      const checked = /** @type {HTMLInputElement | null} */ (groups[i]?.querySelector('input:checked') ?? null);
      if (!checked) {
        bindText(error, 'evidence.opinion.required', { aspect: t(/** @type {MessageKey} */ (`evidence.opinion.${aspect}`)) });
        error.hidden = false;
        /** @type {HTMLInputElement | null} */ (groups[i]?.querySelector('input') ?? null)?.focus();
        return;
      }
      answers[aspect] = /** @type {OpinionAnswer} */ (checked.value);
    }
    const input = {
      authenticity: /** @type {OpinionAnswer} */ (answers.authenticity),
      legality: /** @type {OpinionAnswer} */ (answers.legality),
      relevance: /** @type {OpinionAnswer} */ (answers.relevance),
      text: text.value.trim(),
    };
    void whileBusy(submit, () => send(input))
      .then(() => {
        bindText(status, 'evidence.opinion.sent');
      })
      .catch((err) => {
        setErrorText(error, err);
        error.hidden = false;
      });
  });
  return form;
}

export class CcEvidenceList extends HTMLElement {
  hearingId = '';
  /** @type {EvidenceViewer} */
  viewer = { kind: 'participant', id: '', role: '' };
  canPresent = false;
  canDecide = false;
  timeZone = FALLBACK_TIME_ZONE;
  /** @type {string | null} the item being presented */
  presentedId = null;
  /** @type {LiveClient | null} */
  #live = null;
  /** @type {Evidence[]} */
  #items = [];
  #loaded = false;
  /** One load at a time, one more if asked meanwhile. */
  #load = serial(() => this.#loadOnce());
  /** @type {Map<string, ItemView>} */
  #views = new Map();
  /** @type {() => void} */
  #unsubscribe = () => {};
  #count = h('span', { class: 'badge ev-count', attrs: { 'data-testid': 'evidence-count' } });
  #state = h('div', { class: 'ev-list-state', attrs: { 'data-testid': 'evidence-list-state' } });
  #list = h('ol', { class: 'ev-list', attrs: { 'data-testid': 'evidence-list', 'data-count': 0 } });
  #onLang = () => {
    for (const view of this.#views.values()) view.relabel();
  };

  /** @param {EvidenceListOptions} options */
  setup({ hearingId, viewer, live = null, canPresent = false, canDecide = false, timeZone = FALLBACK_TIME_ZONE }) {
    this.hearingId = hearingId;
    this.viewer = viewer;
    this.canPresent = canPresent;
    this.canDecide = canDecide;
    this.timeZone = timeZone;
    this.#live = live;
    replaceChildren(
      this,
      h('h3', { class: 'ev-list-title' }, h('span', { i18n: 'evidence.list.title' }), ' ', this.#count),
      this.#state,
      this.#list,
    );
    this.#count.hidden = true;
    replaceChildren(this.#state, h('p', { class: 'muted', i18n: 'evidence.list.loading' }));
    if (this.isConnected) this.#listen();
    void this.refresh();
  }

  connectedCallback() {
    if (!this.hearingId) return;
    this.#listen();
    // Away (a closed panel) it did not follow the channel: catch up.
    if (this.#loaded) void this.refresh();
  }

  disconnectedCallback() {
    this.#unsubscribe();
    this.#unsubscribe = () => {};
    window.removeEventListener(LANG_EVENT, this.#onLang);
  }

  #listen() {
    this.#unsubscribe();
    window.removeEventListener(LANG_EVENT, this.#onLang);
    window.addEventListener(LANG_EVENT, this.#onLang);
    const live = this.#live;
    this.#unsubscribe = live ? live.on('message', (message) => this.#onLive(message)) : () => {};
  }

  /** @returns {Evidence[]} the items shown, by number */
  get items() {
    return this.#items;
  }

  /** @param {LiveMessage} message */
  #onLive(message) {
    if (message.type === 'evidence') void this.refresh();
    else if (message.type === 'presentation') this.presenting(message.presentation);
    else if (message.type === 'snapshot' && this.#loaded) void this.refresh();
  }

  /**
   * Mark the item being presented (null: none).
   * @param {Presentation | null} presentation
   */
  presenting(presentation) {
    this.presentedId = presentation?.evidence_id ?? null;
    for (const view of this.#views.values()) view.update(view.evidence);
    this.dispatchEvent(new CustomEvent('cc-evidence-presenting', { detail: presentation }));
  }

  /**
   * Open (and show) an item.
   * @param {string} evidenceId
   */
  openItem(evidenceId) {
    const view = this.#views.get(evidenceId);
    if (!view) return;
    view.toggle(true);
    view.el.scrollIntoView({ block: 'nearest' });
  }

  /**
   * Take one item as the server answered an action (before the live message reloads the whole list).
   * @param {Evidence} evidence
   */
  replace(evidence) {
    const items = this.#items.map((item) => (item.id === evidence.id ? evidence : item));
    this.#show(items);
    void this.refresh();
  }

  /** Load the list; when a load is under way, load once more after it. */
  async refresh() {
    if (!this.hearingId) return;
    await this.#load();
  }

  async #loadOnce() {
    try {
      const items = await listEvidence(this.hearingId);
      this.#loaded = true;
      this.#show(items);
    } catch (error) {
      if (!this.#loaded) {
        const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
        setErrorText(message, error);
        replaceChildren(
          this.#state,
          message,
          h('button', {
            class: 'button small',
            i18n: 'common.retry',
            attrs: { type: 'button', 'data-testid': 'evidence-reload' },
            on: { click: () => void this.refresh() },
          }),
        );
      }
    }
  }

  /** @param {Evidence[]} items */
  #show(items) {
    const sorted = [...items].sort((a, b) => a.number - b.number);
    this.#items = sorted;
    this.#list.dataset.count = String(sorted.length);
    this.#count.hidden = sorted.length === 0;
    this.#count.textContent = String(sorted.length);
    if (sorted.length === 0) replaceChildren(this.#state, h('p', { class: 'muted ev-empty', i18n: 'evidence.list.empty' }));
    else replaceChildren(this.#state);
    const seen = new Set();
    sorted.forEach((item, index) => {
      seen.add(item.id);
      let view = this.#views.get(item.id);
      if (view) view.update(item);
      else {
        view = new ItemView(item, this);
        this.#views.set(item.id, view);
      }
      if (this.#list.children[index] !== view.el) this.#list.insertBefore(view.el, this.#list.children[index] ?? null);
    });
    for (const [id, view] of this.#views) {
      if (!seen.has(id)) {
        view.el.remove();
        this.#views.delete(id);
      }
    }
    this.dispatchEvent(new CustomEvent('cc-evidence-loaded', { detail: sorted }));
  }
}

customElements.define('cc-evidence-list', CcEvidenceList);
