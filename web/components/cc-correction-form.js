/**
 * <cc-correction-form>: 申请补正 — instead of signing, a participant writes what is wrong in the transcript version
 * they were shown; the clerk answers later. `correctionList()` shows one's requests with the clerk's answer
 * (已采纳 / 未采纳 with the reason).
 *
 * Events: `cc-correction-sent` (detail: Correction) once stored; `cc-correction-cancel` on 取消.
 *
 * data-testid: `correction-form`, `correction-text` (the text), `correction-submit` (提交申请), `correction-cancel`,
 * `correction-error`; in the list: `correction-list`, `correction-item` (data-status pending | accepted | refused),
 * `correction-answer` (the clerk's answer).
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, errorSlot, formErrorBox, showError, valueOf, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { requestCorrection } from '../lib/transcript.js';

/** @typedef {import('../lib/types.js').Correction} Correction */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** The server's limit on a request's text. */
export const MAX_CORRECTION = 2000;

export class CcCorrectionForm extends HTMLElement {
  #hearingId = '';
  #version = 0;
  #text = h('textarea', {
    class: 'correction-text',
    i18nAttrs: { placeholder: 'correction.placeholder' },
    attrs: { 'data-testid': 'correction-text', name: 'text', rows: 5, maxlength: MAX_CORRECTION, required: true },
  });
  #count = h('p', { class: 'hint correction-count', attrs: { 'aria-live': 'polite' } });
  #intro = h('p', { class: 'hint' });
  #submit = h('button', { class: 'button primary', i18n: 'correction.submit', attrs: { type: 'submit', 'data-testid': 'correction-submit' } });

  /**
   * @param {{hearingId: string, version: number}} options the version the request is about
   */
  setup({ hearingId, version }) {
    this.#hearingId = hearingId;
    this.#version = version;
    const textId = uid('correction-text');
    this.#text.id = textId;
    this.#text.dataset.field = 'text';
    const fieldError = errorSlot('text');
    this.#text.setAttribute('aria-describedby', `${fieldError.id}`);
    const formError = formErrorBox();
    formError.dataset.testid = 'correction-error';
    bindText(this.#intro, 'correction.intro', { version });
    const form = h(
      'form',
      { class: 'correction-form stack', attrs: { 'data-testid': 'correction-form', novalidate: true } },
      h('h3', { class: 'correction-title', i18n: 'correction.title' }),
      this.#intro,
      h('div', { class: 'field' }, h('label', { i18n: 'correction.label', attrs: { for: textId } }), this.#text, this.#count, fieldError),
      formError,
      h(
        'div',
        { class: 'actions' },
        this.#submit,
        h('button', {
          class: 'button ghost',
          i18n: 'correction.cancel',
          attrs: { type: 'button', 'data-testid': 'correction-cancel' },
          on: { click: () => this.dispatchEvent(new CustomEvent('cc-correction-cancel')) },
        }),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#send(form, fieldError);
    });
    this.#text.addEventListener('input', () => this.#updateCount());
    this.#updateCount();
    replaceChildren(this, form);
  }

  focus() {
    this.#text.focus();
  }

  #updateCount() {
    bindText(this.#count, 'correction.count', { count: this.#text.value.length, max: MAX_CORRECTION });
  }

  /**
   * @param {HTMLFormElement} form
   * @param {HTMLElement} fieldError
   */
  async #send(form, fieldError) {
    clearErrors(form);
    const text = valueOf(this.#text);
    /** @type {MessageKey | null} */
    const problem = !text ? 'correction.required' : text.length > MAX_CORRECTION ? 'correction.tooLong' : null;
    if (problem) {
      bindText(fieldError, problem, problem === 'correction.tooLong' ? { max: MAX_CORRECTION } : undefined);
      fieldError.hidden = false;
      this.#text.setAttribute('aria-invalid', 'true');
      this.#text.focus();
      return;
    }
    try {
      const correction = await whileBusy(this.#submit, () => requestCorrection(this.#hearingId, this.#version, text));
      this.#text.value = '';
      this.#updateCount();
      this.dispatchEvent(new CustomEvent('cc-correction-sent', { detail: correction }));
    } catch (error) {
      showError(form, error);
    }
  }
}

customElements.define('cc-correction-form', CcCorrectionForm);

/**
 * One's correction requests, newest first, each with the clerk's answer when there is one.
 * @param {Correction[]} corrections
 * @param {string} [timeZone] the court's, for the times of the requests
 * @returns {HTMLElement | null} nothing when there are none
 */
export function correctionList(corrections, timeZone = FALLBACK_TIME_ZONE) {
  if (!corrections.length) return null;
  const items = [...corrections].reverse().map((c) => {
    /** @type {HTMLElement | null} */
    let answer = null;
    if (c.status === 'refused') {
      answer = h(
        'p',
        { class: 'correction-answer', attrs: { 'data-testid': 'correction-answer' } },
        c.reason ? h('span', { i18n: 'correction.refusedReason', params: { reason: c.reason } }) : h('span', { i18n: 'correction.refused' }),
      );
    } else if (c.status === 'accepted') {
      answer = h(
        'p',
        { class: 'correction-answer', attrs: { 'data-testid': 'correction-answer' } },
        c.resolved_version
          ? h('span', { i18n: 'correction.acceptedIn', params: { version: c.resolved_version } })
          : h('span', { i18n: 'correction.accepted' }),
        c.reason ? h('span', { class: 'correction-note', i18n: 'correction.note', params: { reason: c.reason } }) : null,
      );
    }
    return h(
      'li',
      { class: `correction-item status-${c.status}`, attrs: { 'data-testid': 'correction-item', 'data-status': c.status } },
      h(
        'p',
        { class: 'correction-meta' },
        h('span', { class: `badge correction-badge correction-${c.status}`, i18n: /** @type {MessageKey} */ (`correction.status.${c.status}`) }),
        h('span', { class: 'muted small', i18n: 'correction.about', params: { version: c.version, time: formatInZone(c.requested_at, timeZone) } }),
      ),
      h('p', { class: 'correction-body', text: c.text }),
      answer,
    );
  });
  return h(
    'section',
    { class: 'correction-mine', attrs: { 'data-testid': 'correction-list' } },
    h('h3', { class: 'correction-title', i18n: 'correction.mine' }),
    h('ol', { class: 'correction-items' }, items),
  );
}
