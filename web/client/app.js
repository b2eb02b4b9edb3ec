
import { CcClientGuide } from '../components/cc-client-guide.js';
import { CcClientMeeting } from '../components/cc-client-meeting.js';
import { CcClientPermissions } from '../components/cc-client-permissions.js';
import { CcLangSwitch } from '../components/cc-lang-switch.js';
import { create, h, replaceChildren } from '../lib/dom.js';
import { relabel, setTitleKey } from '../lib/i18n.js';
import { INSTALL_EVENT, isStandalone, justInstalled } from '../lib/install.js';
import { currentDevice } from '../lib/platform.js';
import { meetingFromPath, rememberMeeting, rememberedMeeting } from '../lib/meeting.js';

/** Register /sw.js for the whole site, so the page opens offline and the browser offers installation. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error) => {
    console.warn('service worker not registered', error);
  });
}

export class CcClient extends HTMLElement {
  #onInstall = () => {
    if (justInstalled()) this.dataset.installed = '';
  };

  connectedCallback() {
    setTitleKey('client.title');
    const device = currentDevice();
    const standalone = isStandalone();
    const number = meetingFromPath('/d', location.pathname);
    if (number) rememberMeeting(number);
    this.dataset.platform = device.platform;
    if (standalone) this.dataset.standalone = '';

    const meeting = create('cc-client-meeting', CcClientMeeting);
    meeting.setup({ number, remembered: number ? '' : rememberedMeeting(), standalone });
    const permissions = create('cc-client-permissions', CcClientPermissions);
    permissions.setup(device);
    // Installed: say so above the meeting number instead of explaining how to install.
    /** @type {HTMLElement | null} */
    let note = null;
    /** @type {HTMLElement | null} */
    let guide = null;
    if (standalone) {
      note = h(
        'section',
        { class: 'standalone-note', attrs: { 'data-testid': 'standalone' } },
        h('p', { class: 'status', attrs: { role: 'status' }, i18n: 'client.standalone' }),
        h('p', { class: 'after-install', i18n: 'client.afterInstall' }),
      );
    } else {
      guide = create('cc-client-guide', CcClientGuide);
      /** @type {CcClientGuide} */ (guide).setup(device);
    }

    const header = h(
      'header',
      { class: 'site-header client-header' },
      h(
        'div',
        { class: 'header-inner' },
        h(
          'div',
          { class: 'brand' },
          h('img', { class: 'emblem', attrs: { src: '/icons/icon-192.png', alt: '', width: 40, height: 40 } }),
          h(
            'div',
            { class: 'brand-text' },
            h('span', { class: 'court-name', i18n: 'app.name' }),
            h('span', { class: 'app-name', i18n: 'client.tagline' }),
          ),
        ),
        create('cc-lang-switch', CcLangSwitch),
      ),
    );
    const main = h(
      'main',
      { class: 'client-main', attrs: { id: 'main' } },
      h(
        'div',
        { class: 'client-grid' },
        h('div', { class: 'area-meeting' }, note, meeting),
        guide ? h('div', { class: 'area-guide' }, guide) : null,
        h('div', { class: 'area-permissions' }, permissions),
      ),
      h('footer', { class: 'client-footer' }, h('p', { class: 'muted', i18n: 'client.help' })),
    );
    replaceChildren(this, header, main);
    relabel(this);
    window.addEventListener(INSTALL_EVENT, this.#onInstall);
    registerServiceWorker();
  }

  disconnectedCallback() {
    window.removeEventListener(INSTALL_EVENT, this.#onInstall);
  }
}

customElements.define('cc-client', CcClient);
