/** <cc-case-form>: the 新建案件 form (案号, 案由); fires `cc-case-created` with the new case. */

import { createCase } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, field, formErrorBox, showError, valueOf, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';

export class CcCaseForm extends HTMLElement {
  connectedCallback() {
    if (this.firstChild) return;
    const titleId = uid('case-form-title');
    const number = h('input', { attrs: { name: 'case_number', type: 'text', required: true, maxlength: 100, autocomplete: 'off' } });
    const cause = h('input', { attrs: { name: 'cause', type: 'text', required: true, maxlength: 200, autocomplete: 'off' } });
    const submit = h('button', { class: 'button primary', i18n: 'case.submit', attrs: { type: 'submit' } });
    const status = h('p', { class: 'status', attrs: { role: 'status' } });
    const form = h(
      'form',
      { class: 'stack', attrs: { 'aria-labelledby': titleId } },
      field({ label: 'case.number', control: number, field: 'case_number' }),
      field({ label: 'case.cause', control: cause, field: 'cause' }),
      formErrorBox(),
      h('div', { class: 'actions' }, submit),
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      status.textContent = '';
      void whileBusy(submit, async () => {
        try {
          const created = await createCase({ case_number: valueOf(number), cause: valueOf(cause) });
          form.reset();
          bindText(status, 'case.created', { number: created.case_number });
          this.dispatchEvent(new CustomEvent('cc-case-created', { bubbles: true, detail: created }));
        } catch (error) {
          showError(form, error);
        }
      });
    });
    replaceChildren(
      this,
      h('section', { class: 'panel' }, h('h2', { i18n: 'case.formTitle', attrs: { id: titleId } }), form),
    );
  }
}

customElements.define('cc-case-form', CcCaseForm);
