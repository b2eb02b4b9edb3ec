/**
 * <cc-waiting-room>: 候庭 — until the hearing is open and the clerk has admitted the participant: what is being waited
 * for (等待书记员核验身份后进入庭审), the case (案号, 案由), court, time and state, who is already there, one's own
 * status and camera, and 设备检测 / 功能介绍 / 离开 (fired as `cc-room-action` with `{action}`).
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';
import { sortMembers } from '../lib/live.js';
import { localMedia } from '../lib/media.js';
import { CcConnectionStatus } from './cc-connection-status.js';

/** @typedef {import('../lib/types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/types.js').HearingState} HearingState */
/** @typedef {import('../lib/live.js').LiveStore} LiveStore */
/** @typedef {import('../lib/live.js').LiveStatus} LiveStatus */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** States in which the clerk admits participants. */
export const ADMITTING = new Set(['open', 'in_session', 'recess']);

export class CcWaitingRoom extends HTMLElement {
  /** @type {ParticipantMe | null} */
  #me = null;
  #connection = /** @type {CcConnectionStatus} */ (document.createElement('cc-connection-status'));
  #status = h('p', { class: 'waiting-status', attrs: { role: 'status', 'data-testid': 'waiting-status' } });
  #stateBadge = h('span', { class: 'badge', attrs: { 'data-testid': 'waiting-state' } });
  #time = h('dd', { attrs: { 'data-testid': 'waiting-time' } });
  #youState = h('span', { class: 'badge', attrs: { 'data-testid': 'your-status' } });
  #present = h('ul', { class: 'present-list', attrs: { 'data-testid': 'present' } });
  #video = h('video', { class: 'waiting-video mirror', attrs: { muted: true, playsinline: true, autoplay: true } });
  #preview = h('div', { class: 'waiting-preview' }, this.#video);
  /** @type {() => void} */
  #unsubscribe = () => {};

  /** @param {ParticipantMe} me */
  setup(me) {
    this.#me = me;
    this.#video.muted = true;
    const titleId = uid('waiting-title');
    const presentId = uid('present-title');
    const action = (/** @type {string} */ name, /** @type {MessageKey} */ label, /** @type {string} */ cls = '') =>
      h('button', {
        class: `button ${cls}`,
        i18n: label,
        attrs: { type: 'button', 'data-action': name },
        on: { click: () => this.dispatchEvent(new CustomEvent('cc-room-action', { bubbles: true, detail: { action: name } })) },
      });
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel waiting', attrs: { 'aria-labelledby': titleId, 'data-testid': 'waiting-room' } },
        h('div', { class: 'waiting-head' }, h('h1', { i18n: 'waiting.title', attrs: { id: titleId } }), this.#connection),
        h('div', { class: 'waiting-banner' }, h('span', { class: 'waiting-spinner', attrs: { 'aria-hidden': 'true' } }), this.#status),
        h(
          'div',
          { class: 'waiting-grid' },
          h(
            'div',
            { class: 'waiting-info' },
            h(
              'p',
              { class: 'waiting-you' },
              h('span', { class: 'muted', i18n: 'waiting.you' }),
              ' ',
              h('strong', { i18n: /** @type {MessageKey} */ (`role.${me.role}`) }),
              ' ',
              h('strong', { text: me.name }),
              ' ',
              this.#youState,
            ),
            h(
              'dl',
              { class: 'facts waiting-facts' },
              h('div', {}, h('dt', { i18n: 'waiting.caseNumber' }), h('dd', { text: me.case_number })),
              h('div', {}, h('dt', { i18n: 'waiting.cause' }), h('dd', { text: me.cause })),
              h('div', {}, h('dt', { i18n: 'waiting.court' }), h('dd', { text: me.court_name })),
              h('div', {}, h('dt', { i18n: 'waiting.time' }), this.#time),
              h('div', {}, h('dt', { i18n: 'waiting.state' }), h('dd', {}, this.#stateBadge)),
            ),
          ),
          h(
            'div',
            { class: 'waiting-side' },
            this.#preview,
            h('h2', { class: 'present-title', i18n: 'waiting.present', attrs: { id: presentId } }),
            this.#present,
          ),
        ),
        h(
          'div',
          { class: 'actions waiting-actions' },
          action('devices', 'room.menu.devices'),
          action('tour', 'room.menu.tour'),
          action('leave', 'room.menu.leave', 'danger-ghost'),
        ),
      ),
    );
    this.#present.setAttribute('aria-labelledby', presentId);
    this.#unsubscribe = localMedia.subscribe(() => this.#showPreview());
    this.#showPreview();
  }

  disconnectedCallback() {
    this.#unsubscribe();
    this.#video.srcObject = null;
  }

  /** @param {LiveStatus} status */
  connection(status) {
    this.#connection.show(status);
  }

  #showPreview() {
    const stream = localMedia.stream;
    this.#preview.hidden = !stream;
    if (this.#video.srcObject !== stream) {
      this.#video.srcObject = stream;
      if (stream) void this.#video.play().catch(() => {});
    }
    this.#video.classList.toggle('mirror', localMedia.facingMode === 'user');
  }

  /**
   * Show the hearing and roster as they are now.
   * @param {LiveStore} store
   */
  update(store) {
    const me = /** @type {ParticipantMe} */ (this.#me);
    /** @type {HearingState} */
    const state = store.hearing?.state ?? me.state;
    const self = store.member(me.participant_id);
    const checkedIn = self ? self.checked_in : Boolean(me.checked_in_at);
    this.#stateBadge.className = `badge state-${state}`;
    bindText(this.#stateBadge, /** @type {MessageKey} */ (`state.${state}`));
    this.#time.textContent = store.hearing?.scheduled_local ?? me.scheduled_local;

    /** @type {MessageKey} */
    let status = 'waiting.verify';
    if (state === 'scheduled') status = 'waiting.notOpen';
    else if (!ADMITTING.has(state)) status = 'waiting.ended';
    else if (checkedIn) status = 'waiting.entering';
    bindText(this.#status, status, { time: store.hearing?.scheduled_local ?? me.scheduled_local });

    this.#youState.className = `badge ${checkedIn ? 'you-admitted' : 'you-waiting'}`;
    bindText(this.#youState, checkedIn ? 'waiting.youAdmitted' : 'waiting.youWaiting');

    const present = sortMembers(store.members.filter((m) => m.connected && m.id !== me.participant_id));
    replaceChildren(
      this.#present,
      present.length === 0
        ? h('li', { class: 'muted', i18n: 'waiting.nobody' })
        : present.map((m) =>
            h(
              'li',
              { class: 'present-item', attrs: { 'data-member-id': m.id } },
              h('span', { class: 'present-dot', attrs: { 'aria-hidden': 'true' } }),
              h('span', { class: 'present-role', i18n: /** @type {MessageKey} */ (`role.${m.role}`) }),
              ' ',
              h('span', { class: 'present-name', text: m.name }),
            ),
          ),
    );
  }
}

customElements.define('cc-waiting-room', CcWaitingRoom);
