/** <cc-connection-status>: the live channel's state as a small pill — 正在连接… / 已连接 / 正在重新连接… / 连接已断开. */

import { h, replaceChildren } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/live.js').LiveStatus} LiveStatus */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** @type {Record<LiveStatus, MessageKey>} */
const LABELS = {
  idle: 'live.connecting',
  connecting: 'live.connecting',
  connected: 'live.connected',
  reconnecting: 'live.reconnecting',
  disconnected: 'live.disconnected',
};

export class CcConnectionStatus extends HTMLElement {
  #text = h('span', { class: 'conn-text' });

  connectedCallback() {
    if (!this.firstChild) {
      replaceChildren(this, h('span', { class: 'conn-dot', attrs: { 'aria-hidden': 'true' } }), this.#text);
      this.setAttribute('role', 'status');
      this.dataset.testid = 'connection';
      if (!this.dataset.status) this.show('connecting');
    }
  }

  /** @param {LiveStatus} status */
  show(status) {
    if (!this.firstChild) this.connectedCallback();
    this.dataset.status = status;
    bindText(this.#text, LABELS[status]);
  }
}

customElements.define('cc-connection-status', CcConnectionStatus);
