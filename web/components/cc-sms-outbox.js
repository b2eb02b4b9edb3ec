/**
 * <cc-sms-outbox>: the court's SMS outbox (短信发送记录), newest first — kind (开庭通知, 开庭提醒, …), recipient and
 * masked phone, the text word for word, status with attempts and failure reason, court-local times; filters by
 * status and hearing, and 刷新.
 */

import { listHearings, listOutbox } from '../lib/api.js';
import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { CcSmsStatus } from './cc-sms-status.js';

/** @typedef {import('../lib/types.js').OutboxMessage} OutboxMessage */
/** @typedef {import('../lib/types.js').SmsStatus} SmsStatus */
/** @typedef {import('../lib/types.js').HearingSummary} HearingSummary */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** How many messages one look shows. */
const LIMIT = 200;
const STATUSES = /** @type {SmsStatus[]} */ (['queued', 'sending', 'sent', 'delivered', 'failed']);

export class CcSmsOutbox extends HTMLElement {
  #timeZone = FALLBACK_TIME_ZONE;
  /** @type {Map<string, HearingSummary>} */
  #hearings = new Map();
  #loading = 0;

  #status = h(
    'select',
    { attrs: { name: 'status', id: uid('f') } },
    h('option', { i18n: 'sms.allStatuses', attrs: { value: '' } }),
    STATUSES.map((s) => h('option', { i18n: /** @type {MessageKey} */ (`sms.status.${s}`), attrs: { value: s } })),
  );
  #hearing = h('select', { attrs: { name: 'hearing_id', id: uid('f') } }, h('option', { i18n: 'sms.allHearings', attrs: { value: '' } }));
  #refresh = h('button', { class: 'button small ghost', i18n: 'sms.refresh', attrs: { type: 'button' } });
  #summary = h('p', { class: 'hint sms-summary', attrs: { role: 'status' } });
  #list = h('div', { class: 'sms-body' }, h('p', { class: 'muted', i18n: 'app.loading' }));

  /**
   * @param {{timeZone: string, hearingId?: string}} options `hearingId`: show only that hearing's messages at first
   */
  setup({ timeZone, hearingId = '' }) {
    this.#timeZone = timeZone;
    const titleId = uid('sms-title');
    if (hearingId) this.#hearing.append(h('option', { text: hearingId, attrs: { value: hearingId } }));
    this.#hearing.value = hearingId;
    this.#status.addEventListener('change', () => void this.load());
    this.#hearing.addEventListener('change', () => {
      const id = this.#hearing.value;
      history.replaceState(null, '', id ? `#/sms/${encodeURIComponent(id)}` : '#/sms');
      void this.load();
    });
    this.#refresh.addEventListener('click', () => void this.load());
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel sms-outbox', attrs: { 'aria-labelledby': titleId } },
        h('div', { class: 'panel-head' }, h('h2', { i18n: 'sms.title', attrs: { id: titleId } }), this.#refresh),
        h('p', { class: 'hint', i18n: 'sms.timesIn', params: { tz: timeZone } }),
        h(
          'div',
          { class: 'row filters' },
          h('div', { class: 'field' }, h('label', { i18n: 'sms.filterStatus', attrs: { for: this.#status.id } }), this.#status),
          h('div', { class: 'field' }, h('label', { i18n: 'sms.filterHearing', attrs: { for: this.#hearing.id } }), this.#hearing),
        ),
        this.#summary,
        this.#list,
      ),
    );
    void this.#loadHearings();
    void this.load();
  }

  /** Fill the hearing filter (a failure leaves just 全部庭审). */
  async #loadHearings() {
    try {
      const hearings = await listHearings();
      this.#hearings = new Map(hearings.map((x) => [x.id, x]));
      const chosen = this.#hearing.value;
      replaceChildren(
        this.#hearing,
        h('option', { i18n: 'sms.allHearings', attrs: { value: '' } }),
        hearings.map((x) =>
          h('option', {
            i18n: 'sms.hearingOption',
            params: { case: x.case_number, meeting: x.meeting_number },
            attrs: { value: x.id },
          }),
        ),
      );
      if (chosen && !this.#hearings.has(chosen)) this.#hearing.append(h('option', { text: chosen, attrs: { value: chosen } }));
      this.#hearing.value = chosen;
      this.#list.querySelectorAll('[data-hearing-label]').forEach((el) => {
        const hearing = this.#hearings.get(/** @type {HTMLElement} */ (el).dataset.hearingLabel ?? '');
        if (hearing) el.textContent = hearing.case_number;
      });
    } catch {
      // The outbox itself still shows.
    }
  }

  /** Read the outbox with the chosen filters. */
  async load() {
    const ticket = ++this.#loading;
    this.#refresh.setAttribute('aria-busy', 'true');
    try {
      /** @type {import('../lib/types.js').OutboxQuery} */
      const query = { limit: LIMIT };
      if (this.#status.value) query.status = /** @type {SmsStatus} */ (this.#status.value);
      if (this.#hearing.value) query.hearing_id = this.#hearing.value;
      const messages = await listOutbox(query);
      if (ticket !== this.#loading) return;
      this.#show(messages);
    } catch (error) {
      if (ticket !== this.#loading) return;
      const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
      setErrorText(message, error);
      this.#summary.textContent = '';
      replaceChildren(this.#list, message);
    } finally {
      if (ticket === this.#loading) this.#refresh.removeAttribute('aria-busy');
    }
  }

  /** @param {OutboxMessage[]} messages */
  #show(messages) {
    if (messages.length === 0) {
      this.#summary.textContent = '';
      replaceChildren(this.#list, h('p', { class: 'empty', i18n: 'sms.empty' }));
      return;
    }
    replaceChildren(
      this.#summary,
      h('span', { i18n: 'sms.count', params: { count: messages.length } }),
      messages.length >= LIMIT ? ' ' : null,
      messages.length >= LIMIT ? h('span', { i18n: 'sms.limited', params: { count: LIMIT } }) : null,
    );
    replaceChildren(this.#list, h('ol', { class: 'sms-list' }, messages.map((m) => this.#item(m))));
  }

  /**
   * @param {OutboxMessage} message
   * @returns {HTMLLIElement}
   */
  #item(message) {
    const status = create('cc-sms-status', CcSmsStatus);
    status.show(message, this.#timeZone, { times: true });
    const hearing = message.hearing_id ? this.#hearings.get(message.hearing_id) : undefined;
    return h(
      'li',
      { class: 'sms-item', attrs: { 'data-message-id': message.id, 'data-status': message.status, 'data-kind': message.kind } },
      h(
        'div',
        { class: 'sms-head' },
        h('span', { class: `badge kind kind-${message.kind}`, i18n: /** @type {MessageKey} */ (`sms.kind.${message.kind}`) }),
        h(
          'span',
          { class: 'sms-to' },
          message.participant_name ? h('span', { class: 'strong', text: message.participant_name }) : null,
          h('span', { class: 'mono', text: message.phone_masked, attrs: { 'data-testid': 'sms-phone' } }),
        ),
        h('time', { class: 'sms-created', text: formatInZone(message.created_at, this.#timeZone), attrs: { datetime: message.created_at } }),
      ),
      h('p', { class: 'sms-text', text: message.text, attrs: { 'data-testid': 'sms-text' } }),
      h(
        'div',
        { class: 'sms-foot' },
        status,
        message.hearing_id
          ? h('a', {
              class: 'sms-hearing',
              text: hearing?.case_number ?? '',
              attrs: { href: `#/hearings/${encodeURIComponent(message.hearing_id)}`, 'data-hearing-label': message.hearing_id },
            })
          : null,
      ),
    );
  }
}

customElements.define('cc-sms-outbox', CcSmsOutbox);
