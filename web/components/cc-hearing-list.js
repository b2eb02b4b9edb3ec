/** <cc-hearing-list>: hearings with 案号, 案由, court-local 开庭时间, a prominent 会议号 and 状态; a row opens the hearing's detail. */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { FALLBACK_TIME_ZONE } from '../lib/time.js';

/** @typedef {import('../lib/types.js').HearingSummary} HearingSummary */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcHearingList extends HTMLElement {
  /** @type {HearingSummary[]} */
  #hearings = [];
  #timeZone = FALLBACK_TIME_ZONE;
  #loaded = false;

  /**
   * @param {HearingSummary[]} hearings
   * @param {string} timeZone the court's zone, named beside 开庭时间
   */
  show(hearings, timeZone) {
    this.#hearings = hearings;
    this.#timeZone = timeZone;
    this.#loaded = true;
    this.#render();
  }

  connectedCallback() {
    this.#render();
  }

  #render() {
    const titleId = uid('hearings-title');
    const refresh = h('button', {
      class: 'button small ghost',
      i18n: 'hearing.refresh',
      attrs: { type: 'button' },
      on: { click: () => this.dispatchEvent(new CustomEvent('cc-refresh-hearings', { bubbles: true })) },
    });
    /** @type {HTMLElement} */
    let body;
    if (!this.#loaded) {
      body = h('p', { class: 'muted', i18n: 'app.loading' });
    } else if (this.#hearings.length === 0) {
      body = h('p', { class: 'empty', i18n: 'hearing.empty' });
    } else {
      body = h(
        'table',
        { class: 'data-table hearing-table', attrs: { 'aria-labelledby': titleId } },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { i18n: 'case.number', attrs: { scope: 'col' } }),
            h('th', { i18n: 'case.cause', attrs: { scope: 'col' } }),
            h('th', { i18n: 'hearing.scheduledAt', attrs: { scope: 'col' } }),
            h('th', { i18n: 'hearing.meetingNumber', attrs: { scope: 'col' } }),
            h('th', { i18n: 'hearing.state', attrs: { scope: 'col' } }),
            h('th', { i18n: 'hearing.participantCount', attrs: { scope: 'col' } }),
          ),
        ),
        h('tbody', {}, this.#hearings.map((hearing) => this.#row(hearing))),
      );
    }
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h2', { i18n: 'hearing.listTitle', attrs: { id: titleId } }), refresh),
        h('p', { class: 'hint', i18n: 'hearing.timesIn', params: { tz: this.#timeZone } }),
        h('div', { class: 'table-wrap' }, body),
      ),
    );
  }

  /**
   * @param {HearingSummary} hearing
   * @returns {HTMLTableRowElement}
   */
  #row(hearing) {
    const href = `#/hearings/${encodeURIComponent(hearing.id)}`;
    const row = h(
      'tr',
      { class: 'clickable', attrs: { 'data-hearing-id': hearing.id } },
      h('td', { class: 'strong', i18nAttrs: { 'data-label': 'case.number' } }, h('a', { text: hearing.case_number, attrs: { href } })),
      h('td', { class: 'wide-text', text: hearing.cause, i18nAttrs: { 'data-label': 'case.cause' } }),
      h('td', { class: 'nowrap', text: hearing.scheduled_local, i18nAttrs: { 'data-label': 'hearing.scheduledAt' } }),
      h(
        'td',
        { class: 'nowrap', i18nAttrs: { 'data-label': 'hearing.meetingNumber' } },
        h('span', { class: 'meeting-number', text: hearing.meeting_number }),
      ),
      h(
        'td',
        { i18nAttrs: { 'data-label': 'hearing.state' } },
        h('span', {
          class: `badge state-${hearing.state}`,
          i18n: /** @type {MessageKey} */ (`state.${hearing.state}`),
        }),
      ),
      h('td', { class: 'num', text: String(hearing.participant_count), i18nAttrs: { 'data-label': 'hearing.participantCount' } }),
    );
    row.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('a')) return;
      location.hash = href;
    });
    return row;
  }
}

customElements.define('cc-hearing-list', CcHearingList);
