/** <cc-sms-status>: one SMS's delivery — 待发送 / 已发送 / 已送达 / 发送失败, the failure reason, 将于{time}重试, attempts and times (court-local). */

import { h, replaceChildren } from '../lib/dom.js';
import { formatInZone } from '../lib/time.js';

/** @typedef {import('../lib/types.js').SmsDelivery} SmsDelivery */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcSmsStatus extends HTMLElement {
  /**
   * @param {SmsDelivery} delivery
   * @param {string} timeZone the court's zone
   * @param {{times?: boolean}} [options] `times`: also the attempts and when it was sent and delivered
   */
  show(delivery, timeZone, options = {}) {
    const at = (/** @type {string} */ iso) => formatInZone(iso, timeZone);
    const failed = delivery.status === 'failed';
    this.dataset.status = delivery.status;
    replaceChildren(
      this,
      h('span', {
        class: `badge sms-${delivery.status}`,
        i18n: /** @type {MessageKey} */ (`sms.status.${delivery.status}`),
        attrs: { 'data-testid': 'sms-status' },
      }),
      failed && delivery.last_error
        ? h('span', { class: 'sms-error', i18n: 'sms.failure', params: { error: delivery.last_error } })
        : null,
      delivery.next_attempt_at && delivery.status !== 'sent' && delivery.status !== 'delivered'
        ? h('span', { class: 'sms-retry', i18n: 'sms.retryAt', params: { time: at(delivery.next_attempt_at) } })
        : null,
      options.times && delivery.sent_at ? h('span', { class: 'sms-time', i18n: 'sms.sentAt', params: { time: at(delivery.sent_at) } }) : null,
      options.times && delivery.delivered_at
        ? h('span', { class: 'sms-time', i18n: 'sms.deliveredAt', params: { time: at(delivery.delivered_at) } })
        : null,
      options.times || delivery.attempts > 1
        ? h('span', { class: 'sms-attempts', i18n: 'sms.attempts', params: { count: delivery.attempts } })
        : null,
    );
  }
}

customElements.define('cc-sms-status', CcSmsStatus);
