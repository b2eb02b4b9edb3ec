/**
 * <cc-room-panel>: a panel over the page (the room's functions, 设备, 功能介绍) with 返回 at the top; Esc closes it too.
 * `openPanel(title, body)` shows one and resolves when it closes; it fires `cc-panel-closed` when closed.
 */

import { h, replaceChildren, uid } from '../lib/dom.js';

/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcRoomPanel extends HTMLElement {
  /** @type {Element | null} */
  #returnFocus = null;
  #onKey = (/** @type {KeyboardEvent} */ event) => {
    if (event.key !== 'Escape' || document.querySelector('dialog[open]')) return;
    // Only the topmost panel closes.
    const panels = document.querySelectorAll('cc-room-panel');
    if (panels[panels.length - 1] === this) {
      event.preventDefault();
      this.close();
    }
  };

  /**
   * @param {MessageKey} title
   * @param {Node} body
   * @param {string} [name] a name for tests and styles (`data-panel`)
   */
  setup(title, body, name = '') {
    const titleId = uid('panel-title');
    this.#returnFocus = document.activeElement;
    this.setAttribute('role', 'dialog');
    this.setAttribute('aria-modal', 'true');
    this.setAttribute('aria-labelledby', titleId);
    if (name) this.dataset.panel = name;
    const back = h(
      'button',
      {
        class: 'button small panel-back',
        attrs: { type: 'button', 'data-testid': 'panel-back' },
        on: { click: () => this.close() },
      },
      h('span', { class: 'back-arrow', text: '‹', attrs: { 'aria-hidden': 'true' } }),
      h('span', { i18n: 'room.back' }),
    );
    replaceChildren(
      this,
      h('div', { class: 'panel-bar' }, back, h('h2', { class: 'panel-title', i18n: title, attrs: { id: titleId } })),
      h('div', { class: 'panel-body' }, body),
    );
  }

  connectedCallback() {
    document.addEventListener('keydown', this.#onKey);
  }

  disconnectedCallback() {
    document.removeEventListener('keydown', this.#onKey);
  }

  /** Close (remove) the panel and give the focus back. */
  close() {
    if (!this.isConnected) return;
    this.remove();
    this.dispatchEvent(new CustomEvent('cc-panel-closed'));
    if (this.#returnFocus instanceof HTMLElement && this.#returnFocus.isConnected) this.#returnFocus.focus();
  }
}

customElements.define('cc-room-panel', CcRoomPanel);

/**
 * Show a panel over `host`.
 * @param {HTMLElement} host
 * @param {MessageKey} title
 * @param {Node} body
 * @param {string} [name]
 * @returns {CcRoomPanel}
 */
export function openPanel(host, title, body, name) {
  const panel = /** @type {CcRoomPanel} */ (document.createElement('cc-room-panel'));
  panel.setup(title, body, name);
  host.append(panel);
  /** @type {HTMLElement | null} */ (panel.querySelector('.panel-back'))?.focus();
  return panel;
}
