/** <cc-client-platform>: one device's install guidance — 安卓手机端, 苹果手机端 or 电脑端 — as steps, with 安装客户端 when the browser offers its prompt. */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { INSTALL_EVENT, canPrompt, justInstalled, promptInstall } from '../lib/install.js';

/** @typedef {import('../lib/platform.js').Platform} Platform */
/** @typedef {import('../lib/platform.js').Device} Device */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** The numbered steps of each platform. */
const STEPS = /** @type {Record<Platform, MessageKey[]>} */ ({
  android: ['client.android.step1', 'client.android.step2', 'client.android.step3', 'client.android.step4'],
  ios: ['client.ios.step1', 'client.ios.step2', 'client.ios.step3', 'client.ios.step4'],
  pc: ['client.pc.step1', 'client.pc.step2', 'client.pc.step3'],
});

/** Platforms whose browsers (Chromium-based) offer an install prompt the page can trigger. */
const PROMPTABLE = new Set(['android', 'pc']);

export class CcClientPlatform extends HTMLElement {
  /** @type {Platform} */
  #platform = 'pc';
  /** This platform is the device the page runs on: its browser's prompt and quirks apply. */
  #current = false;
  #install = h('div', { class: 'install-area' });

  #onInstall = () => this.#renderInstall();

  /**
   * @param {Platform} platform
   * @param {Device} device the device the page runs on
   */
  setup(platform, device) {
    this.#platform = platform;
    this.#current = platform === device.platform;
    this.dataset.platform = platform;
    this.dataset.testid = `guide-${platform}`;
    if (this.#current) this.dataset.current = '';
    const titleId = uid('platform-title');
    const notices = this.#current ? this.#notices(device) : [];
    replaceChildren(
      this,
      h(
        'section',
        { class: `panel platform-card platform-${platform}`, attrs: { 'aria-labelledby': titleId } },
        h(
          'div',
          { class: 'platform-head' },
          h('span', { class: `platform-icon icon-${platform}`, attrs: { 'aria-hidden': 'true' } }),
          h('h3', { i18n: /** @type {MessageKey} */ (`client.${platform}.title`), attrs: { id: titleId } }),
          this.#current ? h('span', { class: 'badge this-device', i18n: 'client.thisDevice' }) : null,
        ),
        h('p', { class: 'platform-intro', i18n: /** @type {MessageKey} */ (`client.${platform}.intro`) }),
        notices,
        this.#current && PROMPTABLE.has(platform) ? this.#install : null,
        this.#current && platform === 'android' ? h('p', { class: 'steps-lead', i18n: 'client.noPromptAndroid' }) : null,
        h(
          'ol',
          { class: 'steps' },
          STEPS[platform].map((key) => h('li', { i18n: key })),
        ),
        platform === 'pc' ? h('p', { class: 'hint', i18n: 'client.pc.safari' }) : null,
        h(
          'div',
          { class: 'after-steps' },
          h('p', { class: 'after-download', i18n: 'client.afterDownload' }),
          h('p', { class: 'after-install', i18n: 'client.afterInstall' }),
        ),
        platform === 'pc' ? h('p', { class: 'hint', i18n: 'client.pc.browser' }) : null,
      ),
    );
    this.#renderInstall();
  }

  connectedCallback() {
    window.addEventListener(INSTALL_EVENT, this.#onInstall);
  }

  disconnectedCallback() {
    window.removeEventListener(INSTALL_EVENT, this.#onInstall);
  }

  /**
   * Warnings about the browser the page is open in.
   * @param {Device} device
   * @returns {HTMLElement[]}
   */
  #notices(device) {
    /** @type {MessageKey[]} */
    const keys = [];
    if (device.inApp) keys.push('client.inApp');
    else if (this.#platform === 'ios' && device.browser !== 'safari') keys.push('client.ios.notSafari');
    else if (this.#platform === 'pc' && (device.browser === 'firefox' || device.browser === 'safari' || device.browser === 'other'))
      keys.push('client.pc.noInstall');
    return keys.map((key) => h('p', { class: 'notice', i18n: key }));
  }

  /** The 安装客户端 button while the browser's prompt is on offer; a note once installed. */
  #renderInstall() {
    if (!this.#current || !PROMPTABLE.has(this.#platform)) return;
    if (justInstalled()) {
      replaceChildren(this.#install, h('p', { class: 'status', attrs: { role: 'status' }, i18n: 'client.installedNow' }));
      return;
    }
    if (!canPrompt()) {
      replaceChildren(this.#install);
      return;
    }
    const button = h('button', {
      class: 'button primary block install-button',
      i18n: 'client.installButton',
      attrs: { type: 'button', 'data-testid': 'install' },
      on: {
        click: () => {
          button.disabled = true;
          // The prompt is used up either way; INSTALL_EVENT re-renders this area.
          void promptInstall();
        },
      },
    });
    const hint = h('p', { class: 'hint', i18n: 'client.installPrompt' });
    replaceChildren(this.#install, button, hint);
  }
}

customElements.define('cc-client-platform', CcClientPlatform);
