/**
 * <cc-join-form>: 进入庭审 — 会议号 and 手机号码, 获取验证码 (then a countdown before it can be asked again; the server's
 * message shown as it is), 验证码 (6 digits, one-time-code) and 进入庭审. Errors come from the server's problem in the
 * current language, next to their field; a lock-out (429) disables the buttons for as long as the server says.
 * Fires `cc-joined` with the ParticipantMe when the code was accepted.
 */

import { ApiError, requestJoinCode, verifyJoinCode } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, field, formErrorBox, problemOf, showError } from '../lib/forms.js';
import { bindLocalized, bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

const MEETING = /^\d{8}$/;
const PHONE = /^1\d{10}$/;
const CODE = /^\d{6}$/;

export class CcJoinForm extends HTMLElement {
  #meeting = h('input', {
    attrs: { name: 'meeting_number', type: 'text', inputmode: 'numeric', autocomplete: 'off', maxlength: 8, spellcheck: 'false', required: true },
  });
  #phone = h('input', {
    attrs: { name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel-national', maxlength: 11, required: true },
  });
  #code = h('input', {
    attrs: { name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '\\d{6}', spellcheck: 'false' },
  });
  #send = h('button', { class: 'button send-code', attrs: { type: 'button', 'data-testid': 'send-code' } });
  #submit = h('button', { class: 'button primary block big', i18n: 'join.enter', attrs: { type: 'submit' } });
  #sent = h('p', { class: 'status join-sent', attrs: { role: 'status', 'data-testid': 'code-sent' } });
  /** @type {HTMLFormElement | null} */
  #form = null;
  /** When 获取验证码 may be pressed again (ms since epoch). */
  #sendAfter = 0;
  /** When a lock-out ends (ms since epoch). */
  #lockedUntil = 0;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #tick;

  /**
   * @param {Object} options
   * @param {string} options.meetingNumber pre-filled (from the link), or ''
   * @param {MessageKey} [options.notice] a note above the form (e.g. the session ended)
   */
  setup({ meetingNumber, notice }) {
    const titleId = uid('join-title');
    this.#meeting.value = meetingNumber;
    const digits = (/** @type {HTMLInputElement} */ input, /** @type {number} */ max) => () => {
      const clean = input.value.replace(/\D/g, '').slice(0, max);
      if (clean !== input.value) input.value = clean;
      input.removeAttribute('aria-invalid');
    };
    this.#meeting.addEventListener('input', digits(this.#meeting, 8));
    this.#phone.addEventListener('input', digits(this.#phone, 11));
    this.#code.addEventListener('input', digits(this.#code, 6));
    this.#send.addEventListener('click', () => void this.#requestCode());
    this.#sent.textContent = '';

    const codeField = field({ label: 'join.code', control: this.#code, field: 'code', hint: 'join.codeHint' });
    // The code and its 获取验证码 button side by side.
    const codeRow = h('div', { class: 'code-row' });
    this.#code.replaceWith(codeRow);
    codeRow.append(this.#code, this.#send);

    const form = h(
      'form',
      { class: 'stack join-form', attrs: { novalidate: true, 'aria-labelledby': titleId } },
      field({ label: 'join.meetingNumber', control: this.#meeting, field: 'meeting_number' }),
      field({ label: 'join.phone', control: this.#phone, field: 'phone', hint: 'join.phoneHint' }),
      codeField,
      this.#sent,
      formErrorBox(),
      this.#submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#enter();
    });
    this.#form = form;
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel join-card', attrs: { 'aria-labelledby': titleId } },
        h('h1', { i18n: 'join.title', attrs: { id: titleId } }),
        notice ? h('p', { class: 'notice', i18n: notice, attrs: { role: 'status' } }) : null,
        h('p', { class: 'hint', i18n: 'join.intro' }),
        form,
      ),
    );
    this.#refreshButtons();
  }

  connectedCallback() {
    clearInterval(this.#tick);
    this.#tick = setInterval(() => this.#refreshButtons(), 500);
  }

  disconnectedCallback() {
    clearInterval(this.#tick);
  }

  /** Put the cursor where the user types next. */
  focus() {
    if (!MEETING.test(this.#meeting.value)) this.#meeting.focus();
    else if (!PHONE.test(this.#phone.value)) this.#phone.focus();
    else this.#code.focus();
  }

  /** Button labels and their disabled state from the countdowns. */
  #refreshButtons() {
    const now = Date.now();
    const locked = now < this.#lockedUntil;
    const wait = Math.ceil((this.#sendAfter - now) / 1000);
    if (this.#send.getAttribute('aria-busy') !== 'true') {
      this.#send.disabled = locked || wait > 0;
      if (wait > 0) bindText(this.#send, 'join.resendIn', { seconds: wait });
      else bindText(this.#send, this.#sendAfter ? 'join.resend' : 'join.sendCode');
    }
    if (this.#submit.getAttribute('aria-busy') !== 'true') this.#submit.disabled = locked;
  }

  /**
   * Check the fields this step needs; show our own error at the first wrong one.
   * @param {boolean} withCode
   * @returns {boolean}
   */
  #valid(withCode) {
    const form = /** @type {HTMLFormElement} */ (this.#form);
    clearErrors(form);
    /** @type {[HTMLInputElement, RegExp, string, MessageKey][]} */
    const checks = [
      [this.#meeting, MEETING, 'meeting_number', 'join.meetingInvalid'],
      [this.#phone, PHONE, 'phone', 'join.phoneInvalid'],
    ];
    if (withCode) checks.push([this.#code, CODE, 'code', 'join.codeInvalid']);
    for (const [input, pattern, name, message] of checks) {
      if (pattern.test(input.value)) continue;
      const slot = /** @type {HTMLElement} */ (form.querySelector(`[data-field-error="${name}"]`));
      bindText(slot, message);
      slot.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return false;
    }
    return true;
  }

  /**
   * Show a failure; a lock-out also disables the buttons for its duration.
   * @param {unknown} error
   */
  #fail(error) {
    const form = /** @type {HTMLFormElement} */ (this.#form);
    const problem = problemOf(error);
    if (problem.status === 429) this.#lockedUntil = Date.now() + (problem.retry_after ?? 60) * 1000;
    // A wrong code is about the code field, though the server names no field.
    const shown = problem.code === 'invalid_code' && !problem.field ? new ApiError({ ...problem, field: 'code' }) : error;
    showError(form, shown);
    this.#refreshButtons();
  }

  async #requestCode() {
    if (!this.#valid(false)) return;
    const button = this.#send;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const answer = await requestJoinCode(this.#meeting.value, this.#phone.value);
      this.#sendAfter = Date.now() + answer.resend_after_seconds * 1000;
      bindLocalized(this.#sent, answer.message);
      this.#code.focus();
    } catch (error) {
      this.#sent.textContent = '';
      this.#fail(error);
    } finally {
      button.removeAttribute('aria-busy');
      this.#refreshButtons();
    }
  }

  async #enter() {
    if (!this.#valid(true)) return;
    const button = this.#submit;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const me = await verifyJoinCode(this.#meeting.value, this.#phone.value, this.#code.value);
      this.dispatchEvent(new CustomEvent('cc-joined', { detail: me, bubbles: true }));
    } catch (error) {
      this.#fail(error);
    } finally {
      button.removeAttribute('aria-busy');
      this.#refreshButtons();
    }
  }
}

customElements.define('cc-join-form', CcJoinForm);
