/**
 * <cc-rules>: 法庭纪律 before the first entry — a concise text after 《人民法院在线诉讼规则》 articles 24–27 (place,
 * nobody else present, conduct, no recording or spreading, obeying the judge, witnesses, sanctions), a checkbox and
 * 我已阅读并遵守, which records the confirmation on the server. Fires `cc-rules-confirmed` with the ParticipantMe.
 */

import { confirmRules } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText, whileBusy } from '../lib/forms.js';

/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** The rules, in order; each is one message. */
export const RULES = /** @type {const} */ (['place', 'alone', 'conduct', 'record', 'order', 'witness', 'sanction']);

export class CcRules extends HTMLElement {
  setup() {
    const titleId = uid('rules-title');
    const check = h('input', { attrs: { type: 'checkbox', name: 'rules', 'data-testid': 'rules-check' } });
    check.id = uid('rules-check');
    const submit = h('button', { class: 'button primary block big', i18n: 'rules.confirm', attrs: { type: 'submit', disabled: true } });
    const error = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
    check.addEventListener('change', () => {
      submit.disabled = !check.checked;
    });
    const form = h(
      'form',
      { class: 'rules-form', attrs: { novalidate: true } },
      h('label', { class: 'check rules-check', attrs: { for: check.id } }, check, h('span', { i18n: 'rules.check' })),
      error,
      submit,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!check.checked) return;
      error.hidden = true;
      try {
        const me = await whileBusy(submit, confirmRules);
        this.dispatchEvent(new CustomEvent('cc-rules-confirmed', { detail: me, bubbles: true }));
      } catch (failure) {
        setErrorText(error, failure);
        error.hidden = false;
        submit.disabled = !check.checked;
      }
    });
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel rules', attrs: { 'aria-labelledby': titleId, 'data-testid': 'rules' } },
        h('h2', { i18n: 'rules.title', attrs: { id: titleId } }),
        h('p', { class: 'hint', i18n: 'rules.basis' }),
        h(
          'ol',
          { class: 'rules-list' },
          RULES.map((rule) => h('li', { i18n: /** @type {MessageKey} */ (`rules.item.${rule}`) })),
        ),
        form,
      ),
    );
  }
}

customElements.define('cc-rules', CcRules);
