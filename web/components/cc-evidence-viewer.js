/**
 * <cc-evidence-viewer>: the item the judge or the clerk presents (展示), opened over the room on a participant's screen:
 * 正在展示：证据一 借条, 展示人：审判长 许1, the item large — a PDF at the given page (`#page=N`), audio or video at the
 * given time, a picture — and 关闭: the person may close it (the next presentation opens it again). A new
 * presentation moves it (another item, page or time); `close()` closes it (the presentation stopped). `setup()` names
 * the court's time zone, in which the presentation's time is shown.
 * Fires `cc-viewer-closed` (detail: `{byUser: boolean}`) when it closes.
 *
 * data-testid: `evidence-viewer` (data-evidence-id, data-kind, data-page, data-time), `evidence-viewer-title`,
 * `evidence-viewer-by`, `evidence-viewer-close`, and inside it the item's `evidence-preview` (see cc-evidence-list).
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { formatTime, pageUrl } from '../lib/evidence.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { previewOf, roleLabel, seek, setEvidenceLabel } from './cc-evidence-list.js';

/** @typedef {import('../lib/types.js').Evidence} Evidence */
/** @typedef {import('../lib/types.js').Presentation} Presentation */

/**
 * Who presents: the name the server gives, and their role when the roster knows it.
 * @typedef {{name: string, role?: string}} Presenter
 */

export class CcEvidenceViewer extends HTMLElement {
  /** @type {Evidence | null} */
  #evidence = null;
  /** @type {HTMLElement | null} */
  #preview = null;
  /** @type {Element | null} */
  #returnFocus = null;
  #timeZone = FALLBACK_TIME_ZONE;
  #titleId = uid('viewer-title');
  #number = h('span', { class: 'ev-number' });
  #title = h('span', { class: 'ev-viewer-name' });
  #at = h('span', { class: 'ev-viewer-at' });
  #by = h('p', { class: 'ev-viewer-by', attrs: { 'data-testid': 'evidence-viewer-by' } });
  #body = h('div', { class: 'ev-viewer-body' });
  #close = h(
    'button',
    {
      class: 'button small ev-viewer-close',
      i18nAttrs: { 'aria-label': 'evidence.viewer.closeLabel' },
      attrs: { type: 'button', 'data-testid': 'evidence-viewer-close' },
      on: { click: () => this.close(true) },
    },
    h('span', { text: '×', attrs: { 'aria-hidden': 'true' } }),
    h('span', { i18n: 'evidence.viewer.close' }),
  );
  #onKey = (/** @type {KeyboardEvent} */ event) => {
    if (event.key === 'Escape' && !document.querySelector('dialog[open]')) {
      event.preventDefault();
      this.close(true);
    }
  };

  connectedCallback() {
    this.setAttribute('role', 'dialog');
    this.setAttribute('aria-modal', 'true');
    this.setAttribute('aria-labelledby', this.#titleId);
    this.setAttribute('data-testid', 'evidence-viewer');
    if (!this.firstChild) {
      replaceChildren(
        this,
        h(
          'div',
          { class: 'ev-viewer-bar' },
          h(
            'div',
            { class: 'ev-viewer-head' },
            h(
              'h2',
              { class: 'ev-viewer-title', attrs: { id: this.#titleId, 'data-testid': 'evidence-viewer-title' } },
              h('span', { class: 'ev-viewer-label', i18n: 'evidence.viewer.presenting' }),
              this.#number,
              ' ',
              this.#title,
              this.#at,
            ),
            this.#by,
          ),
          this.#close,
        ),
        this.#body,
      );
    }
    document.addEventListener('keydown', this.#onKey);
  }

  disconnectedCallback() {
    document.removeEventListener('keydown', this.#onKey);
  }

  /** @param {{timeZone?: string}} options `timeZone`: the court's (the participant's `me`) */
  setup({ timeZone = FALLBACK_TIME_ZONE }) {
    this.#timeZone = timeZone;
  }

  /** @returns {string} the item shown ('' when none) */
  get evidenceId() {
    return this.#evidence?.id ?? '';
  }

  /**
   * Show the presented item at its page or time (moving the one shown when it is the same item).
   * @param {Evidence} evidence
   * @param {Presentation} presentation
   * @param {Presenter} presenter
   */
  show(evidence, presentation, presenter) {
    if (!this.#returnFocus) this.#returnFocus = document.activeElement;
    const same = this.#evidence?.id === evidence.id && this.#preview;
    this.#evidence = evidence;
    this.dataset.evidenceId = evidence.id;
    this.dataset.kind = evidence.kind;
    this.dataset.page = presentation.page ? String(presentation.page) : '';
    this.dataset.time = presentation.time !== null && presentation.time !== undefined ? String(presentation.time) : '';
    setEvidenceLabel(this.#number, evidence.number);
    this.#title.textContent = evidence.title;
    replaceChildren(
      this.#at,
      presentation.page
        ? h('span', { i18n: 'evidence.viewer.page', params: { page: presentation.page } })
        : presentation.time
          ? h('span', { i18n: 'evidence.viewer.time', params: { time: formatTime(presentation.time) } })
          : null,
    );
    replaceChildren(
      this.#by,
      h('span', { i18n: 'evidence.viewer.by' }),
      presenter.role ? roleLabel(presenter.role) : null,
      presenter.role ? ' ' : null,
      h('strong', { text: presenter.name }),
      presentation.at ? h('span', { class: 'ev-viewer-time', text: ` · ${formatInZone(presentation.at, this.#timeZone)}` }) : null,
    );
    const at = { page: presentation.page, time: presentation.time };
    if (same && this.#preview) {
      const frame = this.#preview.querySelector('iframe');
      const media = /** @type {HTMLMediaElement | null} */ (this.#preview.querySelector('audio, video'));
      if (frame) {
        const src = pageUrl(evidence, presentation.page);
        if (frame.getAttribute('src') !== src) frame.setAttribute('src', src);
      } else if (media && presentation.time !== null && presentation.time !== undefined) {
        seek(media, presentation.time);
      }
    } else {
      this.#preview = previewOf(evidence, at);
      this.#preview.classList.add('ev-preview-large');
      // The preview's own frame is lazy; the presented one loads at once.
      this.#preview.querySelector('iframe')?.removeAttribute('loading');
      this.#preview.querySelector('img')?.removeAttribute('loading');
      replaceChildren(this.#body, this.#preview);
    }
    this.#close.focus();
  }

  /**
   * Close (remove) the viewer.
   * @param {boolean} [byUser] the person closed it (not the end of the presentation)
   */
  close(byUser = false) {
    if (!this.isConnected) return;
    for (const media of this.querySelectorAll('audio, video')) /** @type {HTMLMediaElement} */ (media).pause();
    this.remove();
    this.dispatchEvent(new CustomEvent('cc-viewer-closed', { detail: { byUser } }));
    if (this.#returnFocus instanceof HTMLElement && this.#returnFocus.isConnected) this.#returnFocus.focus();
  }
}

customElements.define('cc-evidence-viewer', CcEvidenceViewer);
