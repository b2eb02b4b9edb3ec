/** <cc-case-list>: the court's cases (案号, 案由, 创建时间), each with 安排庭审 which fires `cc-schedule-case`. */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';

/** @typedef {import('../lib/types.js').Case} Case */

export class CcCaseList extends HTMLElement {
  /** @type {Case[]} */
  #cases = [];
  #timeZone = FALLBACK_TIME_ZONE;
  #loaded = false;

  /**
   * @param {Case[]} cases newest first
   * @param {string} timeZone the court's zone, for 创建时间
   */
  show(cases, timeZone) {
    this.#cases = cases;
    this.#timeZone = timeZone;
    this.#loaded = true;
    this.#render();
  }

  connectedCallback() {
    this.#render();
  }

  #render() {
    const titleId = uid('cases-title');
    /** @type {HTMLElement} */
    let body;
    if (!this.#loaded) {
      body = h('p', { class: 'muted', i18n: 'app.loading' });
    } else if (this.#cases.length === 0) {
      body = h('p', { class: 'empty', i18n: 'case.empty' });
    } else {
      body = h(
        'table',
        { class: 'data-table', attrs: { 'aria-labelledby': titleId } },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { i18n: 'case.number', attrs: { scope: 'col' } }),
            h('th', { i18n: 'case.cause', attrs: { scope: 'col' } }),
            h('th', { i18n: 'case.createdAt', attrs: { scope: 'col' } }),
            h('th', { i18n: 'case.actions', attrs: { scope: 'col' } }),
          ),
        ),
        h(
          'tbody',
          {},
          this.#cases.map((c) =>
            h(
              'tr',
              {},
              h('td', { class: 'strong', text: c.case_number, i18nAttrs: { 'data-label': 'case.number' } }),
              h('td', { class: 'wide-text', text: c.cause, i18nAttrs: { 'data-label': 'case.cause' } }),
              h('td', { class: 'nowrap', text: formatInZone(c.created_at, this.#timeZone), i18nAttrs: { 'data-label': 'case.createdAt' } }),
              h(
                'td',
                { class: 'cell-actions', i18nAttrs: { 'data-label': 'case.actions' } },
                h('button', {
                  class: 'button small',
                  i18n: 'case.schedule',
                  i18nAttrs: { 'aria-label': ['case.scheduleLabel', { number: c.case_number }] },
                  attrs: { type: 'button' },
                  on: {
                    click: () =>
                      this.dispatchEvent(new CustomEvent('cc-schedule-case', { bubbles: true, detail: { caseId: c.id } })),
                  },
                }),
              ),
            ),
          ),
        ),
      );
    }
    replaceChildren(this, h('section', { class: 'panel' }, h('h2', { i18n: 'case.listTitle', attrs: { id: titleId } }), h('div', { class: 'table-wrap' }, body)));
  }
}

customElements.define('cc-case-list', CcCaseList);
