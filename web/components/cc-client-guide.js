/** <cc-client-guide>: 客户端下载 — the guidance for the device the page runs on, and a 其他设备 switch that shows the other platforms' too. */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { PLATFORMS } from '../lib/platform.js';
import { CcClientPlatform } from './cc-client-platform.js';

/** @typedef {import('../lib/platform.js').Device} Device */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

export class CcClientGuide extends HTMLElement {
  /** @param {Device} device */
  setup(device) {
    const titleId = uid('guide-title');
    const othersId = uid('other-devices');
    /** @param {import('../lib/platform.js').Platform} platform */
    const card = (platform) => {
      const el = /** @type {CcClientPlatform} */ (document.createElement('cc-client-platform'));
      el.setup(platform, device);
      return el;
    };
    const others = h(
      'div',
      { class: 'other-platforms', attrs: { id: othersId, hidden: true, 'data-testid': 'other-devices' } },
      PLATFORMS.filter((p) => p !== device.platform).map(card),
    );
    const toggle = h(
      'button',
      {
        class: 'button ghost block other-toggle',
        attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': othersId },
        on: {
          click: () => {
            const open = others.hidden;
            others.hidden = !open;
            toggle.setAttribute('aria-expanded', String(open));
          },
        },
      },
      h('span', { i18n: 'client.otherDevices' }),
      h('span', { class: 'chevron', attrs: { 'aria-hidden': 'true' } }),
    );
    replaceChildren(
      this,
      h(
        'section',
        { class: 'guide', attrs: { 'aria-labelledby': titleId } },
        h('h2', { i18n: 'client.download', attrs: { id: titleId } }),
        h('p', { class: 'choose', i18n: 'client.choose' }),
        h(
          'p',
          { class: 'detected', attrs: { 'data-testid': 'detected' } },
          h('span', { i18n: 'client.detected' }),
          h('span', { class: 'detected-device', i18n: /** @type {MessageKey} */ (`client.device.${device.platform}`) }),
        ),
        card(device.platform),
        toggle,
        others,
      ),
    );
  }
}

customElements.define('cc-client-guide', CcClientGuide);
