/** <cc-client-permissions>: 允许使用摄像头和麦克风 — what the browser will ask, a picture of the question with 允许 marked, 始终允许, and how to undo a 禁止. */

import { h, replaceChildren, uid } from '../lib/dom.js';

/** @typedef {import('../lib/platform.js').Device} Device */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcClientPermissions extends HTMLElement {
  /** @param {Device} device */
  setup(device) {
    const titleId = uid('permissions-title');
    const mock = h(
      'div',
      { class: 'mock-prompt', attrs: { 'aria-hidden': 'true' } },
      h('p', { class: 'mock-text' }, h('span', { class: 'mock-icon' }), h('span', { i18n: 'client.permissions.mock', params: { site: location.host } })),
      h(
        'div',
        { class: 'mock-buttons' },
        h('span', { class: 'mock-button', i18n: 'client.permissions.block' }),
        h('span', { class: 'mock-button allow', i18n: 'client.permissions.allow' }),
      ),
    );
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel permissions', attrs: { 'aria-labelledby': titleId, 'data-testid': 'permissions' } },
        h('h2', { i18n: 'client.permissions.title', attrs: { id: titleId } }),
        h('p', { i18n: 'client.permissions.ask' }),
        mock,
        h('p', { class: 'always', i18n: 'client.permissions.always' }),
        h('p', { class: 'hint', i18n: /** @type {MessageKey} */ (`client.permissions.${device.platform}`) }),
      ),
    );
  }
}

customElements.define('cc-client-permissions', CcClientPermissions);
