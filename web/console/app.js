/** Staff console root <cc-console>: holds the session, shows login or the layout (header, 庭审, 案件, 短信, a hearing's detail, its 庭审室, its 庭审笔录, its 证据) by URL hash. */

import { CcCaseForm } from '../components/cc-case-form.js';
import { CcCaseList } from '../components/cc-case-list.js';
import { CcEvidenceConsole } from '../components/cc-evidence-console.js';
import { CcHearingDetail } from '../components/cc-hearing-detail.js';
import { CcHearingForm } from '../components/cc-hearing-form.js';
import { CcHearingList } from '../components/cc-hearing-list.js';
import { CcLangSwitch } from '../components/cc-lang-switch.js';
import { CcLogin } from '../components/cc-login.js';
import { CcSmsOutbox } from '../components/cc-sms-outbox.js';
import { CcStaffRoom } from '../components/cc-staff-room.js';
import { CcTranscriptEditor } from '../components/cc-transcript-editor.js';
import { UNAUTHENTICATED_EVENT, listCases, listHearings, listStaff, logout, me } from '../lib/api.js';
import { create, h, replaceChildren } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { applyDocumentLang, relabel } from '../lib/i18n.js';

/** @typedef {import('../lib/types.js').Session} Session */
/** @typedef {import('../lib/types.js').User} User */
/** @typedef {import('../lib/types.js').Case} Case */
/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** @typedef {{view: 'cases'} | {view: 'hearings'} | {view: 'hearing', id: string} | {view: 'room', id: string} | {view: 'transcript', id: string} | {view: 'evidence', id: string} | {view: 'sms', hearingId: string}} Route */

/** @returns {Route} the view named by the URL hash */
function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [first, second, third] = hash.split('/');
  if (first === 'cases') return { view: 'cases' };
  if (first === 'sms') return { view: 'sms', hearingId: second ? decodeURIComponent(second) : '' };
  if (first === 'hearings' && second && third === 'room') return { view: 'room', id: decodeURIComponent(second) };
  if (first === 'hearings' && second && third === 'transcript') return { view: 'transcript', id: decodeURIComponent(second) };
  if (first === 'hearings' && second && third === 'evidence') return { view: 'evidence', id: decodeURIComponent(second) };
  if (first === 'hearings' && second) return { view: 'hearing', id: decodeURIComponent(second) };
  return { view: 'hearings' };
}

export class CcConsole extends HTMLElement {
  /** @type {Session | null} */
  #session = null;
  /** @type {User[]} */
  #staff = [];
  /** @type {Case[]} */
  #cases = [];
  /** A case the user chose to schedule from the case list. */
  #caseToSchedule = '';
  /** A hearing just created, shown without another round trip. */
  /** @type {HearingDetail | null} */
  #justCreated = null;

  #main = h('main', { class: 'main', attrs: { id: 'main', tabindex: '-1' } });
  /** @type {Record<'cases' | 'hearings' | 'sms', HTMLAnchorElement>} */
  #nav = {
    cases: h('a', { i18n: 'nav.cases', attrs: { href: '#/cases' } }),
    hearings: h('a', { i18n: 'nav.hearings', attrs: { href: '#/hearings' } }),
    sms: h('a', { i18n: 'nav.sms', attrs: { href: '#/sms' } }),
  };

  #onHash = () => this.#route();
  #onUnauthenticated = () => {
    if (this.#session) {
      this.#session = null;
      this.#showLogin();
    }
  };

  connectedCallback() {
    applyDocumentLang();
    window.addEventListener('hashchange', this.#onHash);
    window.addEventListener(UNAUTHENTICATED_EVENT, this.#onUnauthenticated);
    replaceChildren(this, h('p', { class: 'boot muted', i18n: 'app.loading' }));
    void this.#boot();
  }

  disconnectedCallback() {
    window.removeEventListener('hashchange', this.#onHash);
    window.removeEventListener(UNAUTHENTICATED_EVENT, this.#onUnauthenticated);
  }

  async #boot() {
    try {
      this.#session = await me();
    } catch {
      this.#session = null;
    }
    if (this.#session) await this.#enter();
    else this.#showLogin();
  }

  #showLogin() {
    const login = create('cc-login', CcLogin);
    login.addEventListener('cc-login', (event) => {
      this.#session = /** @type {CustomEvent<Session>} */ (event).detail;
      void this.#enter();
    });
    replaceChildren(
      this,
      h(
        'div',
        { class: 'login-page' },
        h(
          'div',
          { class: 'login-top' },
          h('div', { class: 'brand' }, h('img', { class: 'emblem', attrs: { src: '/favicon.svg', alt: '', width: 36, height: 36 } }), h('span', { class: 'brand-name', i18n: 'app.name' })),
          create('cc-lang-switch', CcLangSwitch),
        ),
        login,
      ),
    );
    relabel(this);
  }

  async #enter() {
    const session = this.#session;
    if (!session) return;
    this.#renderShell(session);
    try {
      this.#staff = await listStaff();
    } catch {
      this.#staff = [session.user];
    }
    this.#route();
  }

  /** @param {Session} session */
  #renderShell(session) {
    const logoutButton = h('button', {
      class: 'button small on-dark',
      i18n: 'header.logout',
      attrs: { type: 'button' },
      on: {
        click: async () => {
          logoutButton.disabled = true;
          try {
            await logout();
          } catch {
            // The session is dropped locally either way.
          }
          this.#session = null;
          this.#showLogin();
        },
      },
    });
    const header = h(
      'header',
      { class: 'site-header' },
      h(
        'div',
        { class: 'header-inner' },
        h(
          'div',
          { class: 'brand' },
          h('img', { class: 'emblem', attrs: { src: '/favicon.svg', alt: '', width: 36, height: 36 } }),
          h(
            'div',
            { class: 'brand-text' },
            h('span', { class: 'court-name', text: session.court.name, attrs: { 'data-testid': 'court-name' } }),
            h('span', { class: 'app-name', i18n: 'app.console' }),
          ),
        ),
        h(
          'div',
          { class: 'header-tools' },
          h(
            'p',
            { class: 'user', attrs: { 'data-testid': 'current-user' } },
            h('span', { class: 'user-name', text: session.user.display_name }),
            h('span', { class: 'user-role', i18n: /** @type {MessageKey} */ (`staffRole.${session.user.role}`) }),
          ),
          create('cc-lang-switch', CcLangSwitch),
          logoutButton,
        ),
      ),
      h('nav', { class: 'tabs', i18nAttrs: { 'aria-label': 'nav.label' } }, h('div', { class: 'tabs-inner' }, this.#nav.hearings, this.#nav.cases, this.#nav.sms)),
    );
    replaceChildren(this, header, this.#main);
    // The tabs were built before; bring them to the language chosen since.
    relabel(this);
  }

  #route() {
    if (!this.#session) return;
    const route = currentRoute();
    const tab = route.view === 'cases' || route.view === 'sms' ? route.view : 'hearings';
    for (const [name, link] of Object.entries(this.#nav)) {
      if (name === tab) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (route.view === 'cases') this.#showCases();
    else if (route.view === 'sms') this.#showSms(route.hearingId);
    else if (route.view === 'hearings') void this.#showHearings();
    else if (route.view === 'room') this.#showRoom(route.id);
    else if (route.view === 'transcript') this.#showTranscript(route.id);
    else if (route.view === 'evidence') this.#showEvidence(route.id);
    else this.#showHearing(route.id);
  }

  #showCases() {
    const session = /** @type {Session} */ (this.#session);
    const list = create('cc-case-list', CcCaseList);
    const form = create('cc-case-form', CcCaseForm);
    const load = async () => {
      try {
        this.#cases = await listCases();
        list.show(this.#cases, session.court.time_zone);
      } catch (error) {
        this.#showLoadError(list, error, load);
      }
    };
    form.addEventListener('cc-case-created', () => void load());
    list.addEventListener('cc-schedule-case', (event) => {
      this.#caseToSchedule = /** @type {CustomEvent<{caseId: string}>} */ (event).detail.caseId;
      location.hash = '#/hearings';
    });
    replaceChildren(this.#main, h('div', { class: 'split' }, list, form));
    void load();
  }

  async #showHearings() {
    const session = /** @type {Session} */ (this.#session);
    const list = create('cc-hearing-list', CcHearingList);
    const form = create('cc-hearing-form', CcHearingForm);
    const caseId = this.#caseToSchedule;
    this.#caseToSchedule = '';
    const loadList = async () => {
      try {
        list.show(await listHearings(), session.court.time_zone);
      } catch (error) {
        this.#showLoadError(list, error, loadList);
      }
    };
    list.addEventListener('cc-refresh-hearings', () => void loadList());
    form.addEventListener('cc-hearing-created', (event) => {
      const created = /** @type {CustomEvent<HearingDetail>} */ (event).detail;
      this.#justCreated = created;
      location.hash = `#/hearings/${encodeURIComponent(created.id)}`;
    });
    replaceChildren(this.#main, h('div', { class: 'split' }, list, form));
    void loadList();
    try {
      this.#cases = await listCases();
    } catch {
      // The form still opens; choosing a case needs the list, shown when it comes.
    }
    form.setData({ cases: this.#cases, staff: this.#staff, user: session.user, court: session.court, caseId });
    if (caseId) form.querySelector('select')?.focus();
  }

  /** @param {string} id */
  #showHearing(id) {
    const session = /** @type {Session} */ (this.#session);
    const detail = create('cc-hearing-detail', CcHearingDetail);
    const initial = this.#justCreated?.id === id ? this.#justCreated : undefined;
    this.#justCreated = null;
    replaceChildren(this.#main, detail);
    detail.setup(id, session.court, initial);
    window.scrollTo(0, 0);
  }

  /** @param {string} id the hearing whose room (庭审室) the staff member enters */
  #showRoom(id) {
    const session = /** @type {Session} */ (this.#session);
    const room = create('cc-staff-room', CcStaffRoom);
    replaceChildren(this.#main, room);
    room.setup(id, session);
    window.scrollTo(0, 0);
  }

  /** @param {string} id the hearing whose transcript (庭审笔录) the staff member edits or reads */
  #showTranscript(id) {
    const session = /** @type {Session} */ (this.#session);
    const editor = create('cc-transcript-editor', CcTranscriptEditor);
    replaceChildren(this.#main, editor);
    editor.setup(id, session);
    window.scrollTo(0, 0);
  }

  /** @param {string} id the hearing whose evidence (证据) the staff member reads, presents, admits or uploads */
  #showEvidence(id) {
    const session = /** @type {Session} */ (this.#session);
    const evidence = create('cc-evidence-console', CcEvidenceConsole);
    replaceChildren(this.#main, evidence);
    evidence.setup({ hearingId: id, session });
    window.scrollTo(0, 0);
  }

  /** @param {string} hearingId only this hearing's messages, or '' for all */
  #showSms(hearingId) {
    const session = /** @type {Session} */ (this.#session);
    const outbox = create('cc-sms-outbox', CcSmsOutbox);
    replaceChildren(this.#main, outbox);
    outbox.setup({ timeZone: session.court.time_zone, hearingId });
  }

  /**
   * @param {HTMLElement} where
   * @param {unknown} error
   * @param {() => Promise<void>} retry
   */
  #showLoadError(where, error, retry) {
    const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    setErrorText(message, error);
    replaceChildren(
      where,
      h(
        'section',
        { class: 'panel' },
        message,
        h('button', { class: 'button', i18n: 'common.retry', attrs: { type: 'button' }, on: { click: () => void retry() } }),
      ),
    );
  }
}

customElements.define('cc-console', CcConsole);
