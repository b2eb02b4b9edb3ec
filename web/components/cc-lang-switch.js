/** <cc-lang-switch>: the 中文 / English switch; each language is named in itself and the choice is remembered. */

import { h, replaceChildren } from '../lib/dom.js';
import { LANG_EVENT, LANGUAGES, lang, setLang } from '../lib/i18n.js';

export class CcLangSwitch extends HTMLElement {
  /** @type {HTMLButtonElement[]} */
  #buttons = [];

  #onLang = () => this.#sync();

  connectedCallback() {
    this.#buttons = LANGUAGES.map((l) =>
      h('button', {
        class: 'lang-button',
        text: l.name,
        attrs: { type: 'button', lang: l.lang, 'data-lang': l.lang },
        on: { click: () => setLang(l.lang) },
      }),
    );
    const group = h('div', { class: 'lang-switch', attrs: { role: 'group' }, i18nAttrs: { 'aria-label': 'lang.label' } }, this.#buttons);
    replaceChildren(this, group);
    this.#sync();
    window.addEventListener(LANG_EVENT, this.#onLang);
  }

  disconnectedCallback() {
    window.removeEventListener(LANG_EVENT, this.#onLang);
  }

  #sync() {
    for (const b of this.#buttons) b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
  }
}

customElements.define('cc-lang-switch', CcLangSwitch);
