/** <cc-login>: staff sign-in form (用户名, 密码, 登录); fires `cc-login` with the session on success. */

import { login } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, field, formErrorBox, showError, whileBusy } from '../lib/forms.js';

/** @typedef {import('../lib/types.js').Session} Session */

export class CcLogin extends HTMLElement {
  connectedCallback() {
    if (this.firstChild) return;
    const titleId = uid('login-title');
    const username = h('input', {
      attrs: { name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' },
    });
    const password = h('input', { attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true } });
    const submit = h('button', { class: 'button primary block', i18n: 'login.submit', attrs: { type: 'submit' } });
    const form = h(
      'form',
      { class: 'stack', attrs: { 'aria-labelledby': titleId } },
      field({ label: 'login.username', control: username, field: 'username' }),
      field({ label: 'login.password', control: password, field: 'password' }),
      formErrorBox(),
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      void whileBusy(submit, async () => {
        try {
          const session = await login(username.value.trim(), password.value);
          password.value = '';
          this.dispatchEvent(new CustomEvent('cc-login', { bubbles: true, detail: /** @type {Session} */ (session) }));
        } catch (error) {
          showError(form, error);
          password.select();
        }
      });
    });
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel login-panel' },
        h('h1', { i18n: 'login.title', attrs: { id: titleId } }),
        h('p', { class: 'muted', i18n: 'login.intro' }),
        form,
      ),
    );
    username.focus();
  }
}

customElements.define('cc-login', CcLogin);
