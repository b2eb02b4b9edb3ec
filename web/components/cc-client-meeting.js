/** <cc-client-meeting>: the 会议号 from the SMS link, large, with 复制 and 进入庭审 (to /join/{会议号}); without one, a field to type it in. */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { field } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';

/** The page a litigant joins the hearing on. */
const JOIN_PATH = '/join';

/**
 * @param {string} number 8 digits
 * @returns {string}
 */
export const joinHref = (number) => `${JOIN_PATH}/${encodeURIComponent(number)}`;

/**
 * Put text on the clipboard: the Clipboard API, else a selected off-screen text area and `copy`.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not allowed or not offered (an insecure page, an old browser): fall back below.
  }
  const area = h('textarea', { class: 'offscreen', attrs: { readonly: true, 'aria-hidden': 'true' } });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export class CcClientMeeting extends HTMLElement {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #copyTimer;

  /**
   * @param {Object} options
   * @param {string} options.number the meeting number from the link, or '' when the page was opened without one
   * @param {string} options.remembered a meeting number seen before on this device, to fill in
   * @param {boolean} options.standalone running as the installed app (no "use the browser" line then)
   */
  setup({ number, remembered, standalone }) {
    const titleId = uid('meeting-title');
    const browserLine = standalone ? null : h('p', { class: 'hint browser-now', i18n: 'client.browserNow' });
    const section = number
      ? this.#showNumber(number, titleId, browserLine)
      : this.#askNumber(remembered, titleId, browserLine);
    replaceChildren(this, section);
  }

  disconnectedCallback() {
    clearTimeout(this.#copyTimer);
  }

  /**
   * @param {string} number
   * @param {string} titleId
   * @param {HTMLElement | null} browserLine
   * @returns {HTMLElement}
   */
  #showNumber(number, titleId, browserLine) {
    const status = h('p', { class: 'copy-status', attrs: { role: 'status' } });
    const copy = h('button', {
      class: 'button small copy-button',
      i18n: 'client.copy',
      i18nAttrs: { 'aria-label': ['client.copyLabel', { number }] },
      attrs: { type: 'button' },
      on: {
        click: async () => {
          const ok = await copyText(number);
          bindText(status, ok ? 'client.copied' : 'client.copyFailed');
          status.classList.toggle('failed', !ok);
          clearTimeout(this.#copyTimer);
          if (ok) this.#copyTimer = setTimeout(() => (status.textContent = ''), 4000);
        },
      },
    });
    return h(
      'section',
      { class: 'panel meeting-card', attrs: { 'aria-labelledby': titleId } },
      h('h2', { class: 'meeting-label', i18n: 'client.meetingNumber', attrs: { id: titleId } }),
      h(
        'div',
        { class: 'meeting-line' },
        h('span', { class: 'meeting-number huge', text: number, attrs: { 'data-testid': 'meeting-number', translate: 'no' } }),
        copy,
      ),
      status,
      h('p', { class: 'hint', i18n: 'client.meetingHint' }),
      h('a', {
        class: 'button primary block big enter-button',
        i18n: 'client.enter',
        attrs: { href: joinHref(number), 'data-testid': 'enter' },
      }),
      browserLine,
    );
  }

  /**
   * @param {string} remembered
   * @param {string} titleId
   * @param {HTMLElement | null} browserLine
   * @returns {HTMLElement}
   */
  #askNumber(remembered, titleId, browserLine) {
    const input = h('input', {
      class: 'meeting-input',
      attrs: {
        name: 'meeting_number',
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'off',
        maxlength: 8,
        pattern: '\\d{8}',
        required: true,
        spellcheck: 'false',
      },
    });
    input.value = remembered;
    const wrapper = field({ label: 'client.meetingInput', control: input, field: 'meeting_number' });
    const error = /** @type {HTMLElement} */ (wrapper.querySelector('[data-field-error]'));
    const form = h(
      'form',
      { class: 'stack', attrs: { 'aria-labelledby': titleId, novalidate: true } },
      wrapper,
      h('button', { class: 'button primary block big enter-button', i18n: 'client.enter', attrs: { type: 'submit' } }),
    );
    input.addEventListener('input', () => {
      input.value = input.value.replace(/\D/g, '').slice(0, 8);
      error.hidden = true;
      input.removeAttribute('aria-invalid');
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.replace(/\D/g, '');
      if (!/^\d{8}$/.test(value)) {
        bindText(error, 'client.meetingInvalid');
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      location.assign(joinHref(value));
    });
    return h(
      'section',
      { class: 'panel meeting-card', attrs: { 'aria-labelledby': titleId } },
      h('h2', { class: 'meeting-label', i18n: 'client.meetingNumber', attrs: { id: titleId } }),
      form,
      browserLine,
    );
  }
}

customElements.define('cc-client-meeting', CcClientMeeting);
