/**
 * <cc-connection-status>: the connection's state as a small pill — 正在连接… / 已连接 / 正在重新连接… / 连接已断开.
 * `show(status)` takes the live channel's state; `media(state)` the media session's, so that while the live channel is
 * up but the audio and video are being reconnected it says 正在重新连接… as well (`data-status` is what is shown,
 * `data-media` the media session's own state).
 */

import { h, replaceChildren } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/live.js').LiveStatus} LiveStatus */
/** @typedef {import('../lib/rtc.js').MediaState} MediaState */
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
  /** @type {LiveStatus} */
  #live = 'connecting';
  /** @type {MediaState} */
  #media = 'idle';

  connectedCallback() {
    if (!this.firstChild) {
      replaceChildren(this, h('span', { class: 'conn-dot', attrs: { 'aria-hidden': 'true' } }), this.#text);
      this.setAttribute('role', 'status');
      this.dataset.testid = 'connection';
      if (!this.dataset.status) this.#render();
    }
  }

  /** @param {LiveStatus} status the live channel's */
  show(status) {
    this.#live = status;
    this.#render();
  }

  /** @param {MediaState} state the media session's */
  media(state) {
    this.#media = state;
    this.#render();
  }

  #render() {
    if (!this.firstChild) this.connectedCallback();
    /** @type {LiveStatus} */
    const status = this.#live === 'connected' && this.#media === 'reconnecting' ? 'reconnecting' : this.#live;
    this.dataset.status = status;
    this.dataset.media = this.#media;
    bindText(this.#text, LABELS[status]);
  }
}

customElements.define('cc-connection-status', CcConnectionStatus);
