/**
 * <cc-waiting-room>: 候庭 — until the hearing is open and the clerk has admitted the participant: what is being waited
 * for (等待书记员核验身份后进入庭审), the case (案号, 案由), court, time and state, who is already there, one's own
 * status and camera, and 设备检测 / 功能介绍 / 离开 (fired as `cc-room-action` with `{action}`). A witness waits for
 * the court's call instead (请等待审判人员传唤, 等待传唤) and sees nobody else: the server tells a witness outside
 * nothing of the hearing. `notice()` says why one is back here: removed by the court (您已被审判人员移出庭审, with the
 * reason if given), or a witness sent out after testifying (退庭).
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
  #presentTitle = h('h2', { class: 'present-title', i18n: 'waiting.present' });
  /** Why one is back in the waiting room (removed, or sent out). */
  #notice = h('div', { class: 'notice waiting-notice', attrs: { role: 'alert', hidden: true, 'data-testid': 'waiting-notice' } });
  #video = h('video', { class: 'waiting-video mirror', attrs: { muted: true, playsinline: true, autoplay: true } });
  #preview = h('div', { class: 'waiting-preview' }, this.#video);
  /** @type {() => void} */
  #unsubscribe = () => {};

  /** A witness waits for the court's call and sees nobody else. */
  #witness = false;

  /** @param {ParticipantMe} me */
  setup(me) {
    this.#me = me;
    this.#witness = me.role === 'witness';
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
        this.#notice,
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
            this.#presentTitle,
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
    this.#presentTitle.id = presentId;
    this.#present.setAttribute('aria-labelledby', presentId);
    // Apart from the banner below it (the shared styles give a notice no margin of its own).
    this.#notice.style.marginBottom = '12px';
    this.#presentTitle.hidden = this.#witness;
    this.#present.hidden = this.#witness;
    this.#unsubscribe = localMedia.subscribe(() => this.#showPreview());
    this.#showPreview();
  }

  disconnectedCallback() {
    this.#unsubscribe();
    this.#video.srcObject = null;
  }

  /**
   * Say why the participant is back in the waiting room.
   * @param {'removed' | 'sentOut'} why removed by the court (移出庭审), or a witness sent out (退庭)
   * @param {string | null} [reason] the court's reason for a removal, if it gave one
   */
  notice(why, reason = null) {
    const lines =
      why === 'removed'
        ? [h('strong', { i18n: 'removal.notice' }), reason ? h('p', { i18n: 'removal.noticeReason', params: { reason } }) : null]
        : [h('strong', { i18n: 'witness.youSentOut' })];
    replaceChildren(this.#notice, ...lines);
    this.#notice.dataset.why = why;
    this.#notice.hidden = false;
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
    let status = this.#witness ? 'witness.waiting' : 'waiting.verify';
    if (state === 'scheduled') status = 'waiting.notOpen';
    else if (!ADMITTING.has(state)) status = 'waiting.ended';
    else if (checkedIn) status = 'waiting.entering';
    bindText(this.#status, status, { time: store.hearing?.scheduled_local ?? me.scheduled_local });

    this.#youState.className = `badge ${checkedIn ? 'you-admitted' : 'you-waiting'}`;
    bindText(this.#youState, checkedIn ? 'waiting.youAdmitted' : this.#witness ? 'witness.youWaiting' : 'waiting.youWaiting');
    if (this.#witness) return;

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
