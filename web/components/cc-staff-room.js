/**
 * <cc-staff-room>: the staff's view of the hearing room (`#/hearings/{id}/room`) — a tile per roster member labelled by
 * role and name (审判长 许1, 书记员 梁1, 原告 贾1 …; not connected ones dimmed, waiting ones marked 候庭中), one's own
 * tile with the local camera when there is one (else an avatar and a short note: the room never waits for a camera),
 * the live connection state, and beside the tiles the staff controls: the hearing state with a button per allowed
 * transition (as on the detail page, 闭庭 asks first), a link to the 庭审笔录 (`#/hearings/{id}/transcript`) and 证据
 * (a panel over the room with <cc-evidence-console> on the room's live channel: the list, 展示, upload; data-testid
 * `open-evidence`), the
 * 候庭 list of participants waiting to be admitted (connected, rules confirmed, not checked in) each with 准许入庭, and
 * 返回 to the hearing's detail. Each admitted participant's tile has 静音 / 取消静音 (the server stops forwarding their
 * audio; every tile marks 已静音 from the roster); a refused mute is said under the state controls.
 */

import { checkInParticipant, getHearing, muteParticipant, transitionHearing } from '../lib/api.js';
import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { LiveClient, sortMembers } from '../lib/live.js';
import { classifyMediaError, localMedia, openLocalMedia } from '../lib/media.js';
import { MediaSession } from '../lib/rtc.js';
import { CcConnectionStatus } from './cc-connection-status.js';
import { CcEvidenceConsole } from './cc-evidence-console.js';
import { openPanel } from './cc-room-panel.js';
import { CONFIRM, DANGER, ORDER, PRIMARY } from './cc-hearing-detail.js';
import { confirmDialog } from './cc-confirm-dialog.js';
import { bestColumns } from './cc-room.js';
import { CcTile } from './cc-tile.js';

/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/types.js').Session} Session */
/** @typedef {import('../lib/types.js').Transition} Transition */
/** @typedef {import('../lib/types.js').LiveMember} LiveMember */
/** @typedef {import('../lib/types.js').MemberRole} MemberRole */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {import('./cc-tile.js').MuteRequest} MuteRequest */

/** States in which a waiting participant may be admitted (the server refuses before 开放候庭). */
const ADMITTING = new Set(['open', 'in_session', 'recess']);

export class CcStaffRoom extends HTMLElement {
  #hearingId = '';
  /** @type {Session | null} */
  #session = null;
  /** @type {HearingDetail | null} */
  #hearing = null;
  /** @type {LiveClient | null} */
  #live = null;
  /** @type {Map<string, CcTile>} */
  #tiles = new Map();
  /** @type {MediaSession | null} */
  #media = null;
  /** Remote media by member id. @type {Map<string, MediaStream>} */
  #remote = new Map();
  /** Participants being admitted right now (their button stays busy until the roster says so). */
  /** @type {Set<string>} */
  #admitting = new Set();
  #closed = false;

  #connection = /** @type {CcConnectionStatus} */ (document.createElement('cc-connection-status'));
  #caseNumber = h('span', { class: 'room-title-text' });
  #cause = h('p', { class: 'room-cause' });
  #stateBadge = h('span', { class: 'badge', attrs: { 'data-testid': 'room-state' } });
  #grid = h('div', { class: 'room-tiles', attrs: { role: 'list', 'data-testid': 'tiles' } });
  #stage = h('div', { class: 'room-stage staff-stage' });
  #cameraNote = h('p', { class: 'staff-camera-note', attrs: { role: 'status', hidden: true, 'data-testid': 'camera-note' } });
  #sideState = h('span', { class: 'badge' });
  #transitions = h('div', { class: 'actions wrap' });
  #stateStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #stateError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #waitingCount = h('span', { class: 'badge state-recess', attrs: { hidden: true } });
  #waitingList = h('ul', { class: 'staff-waiting-list', attrs: { 'data-testid': 'waiting-list' } });
  #waitingStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #waitingError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  /** @type {ResizeObserver | null} */
  #resize = null;
  /** @type {() => void} */
  #unsubscribe = () => {};

  /**
   * @param {string} hearingId
   * @param {Session} session
   */
  setup(hearingId, session) {
    this.#hearingId = hearingId;
    this.#session = session;
    const detailHref = `#/hearings/${encodeURIComponent(hearingId)}`;
    const stateTitle = uid('staff-state');
    const waitingTitle = uid('staff-waiting');
    replaceChildren(this.#stage, this.#grid);
    bindText(this.#caseNumber, 'staffRoom.loading');
    replaceChildren(
      this,
      h(
        'div',
        { class: 'staff-room', attrs: { 'data-testid': 'staff-room' } },
        h(
          'header',
          { class: 'room-bar staff-room-bar' },
          h(
            'a',
            { class: 'button small on-dark', attrs: { href: detailHref, 'data-testid': 'room-back' } },
            h('span', { class: 'back-arrow', text: '‹', attrs: { 'aria-hidden': 'true' } }),
            h('span', { i18n: 'staffRoom.back' }),
          ),
          h(
            'div',
            { class: 'room-case' },
            h('h2', { class: 'room-title' }, h('span', { class: 'visually-hidden', i18n: 'staffRoom.title' }), this.#caseNumber),
            this.#cause,
          ),
          this.#stateBadge,
          this.#connection,
        ),
        h('section', { class: 'staff-room-main', i18nAttrs: { 'aria-label': 'staffRoom.tiles' } }, this.#stage, this.#cameraNote),
        h(
          'aside',
          { class: 'staff-room-side' },
          h(
            'section',
            { class: 'panel', attrs: { 'aria-labelledby': stateTitle, 'data-testid': 'room-controls' } },
            h('h3', { class: 'side-title' }, h('span', { i18n: 'staffRoom.state', attrs: { id: stateTitle } }), this.#sideState),
            this.#transitions,
            this.#stateError,
            this.#stateStatus,
            h(
              'p',
              { class: 'actions' },
              h('a', {
                class: 'button small',
                i18n: 'transcript.editor.open',
                attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}/transcript`, 'data-testid': 'open-transcript' },
              }),
              h('button', {
                class: 'button small',
                i18n: 'evidence.console.open',
                attrs: { type: 'button', 'data-testid': 'open-evidence', 'aria-haspopup': 'dialog' },
                on: { click: () => this.#openEvidence() },
              }),
            ),
          ),
          h(
            'section',
            { class: 'panel', attrs: { 'aria-labelledby': waitingTitle, 'data-testid': 'waiting' } },
            h('h3', { class: 'side-title' }, h('span', { i18n: 'staffRoom.waiting', attrs: { id: waitingTitle } }), this.#waitingCount),
            this.#waitingList,
            this.#waitingError,
            this.#waitingStatus,
          ),
        ),
      ),
    );
    this.#grid.addEventListener('cc-mute', (event) => void this.#mute(/** @type {CustomEvent<MuteRequest>} */ (event)));
    this.#resize = new ResizeObserver(() => this.#layout());
    this.#resize.observe(this.#stage);
    this.#unsubscribe = localMedia.subscribe(() => this.#render());

    const live = new LiveClient(hearingId);
    this.#live = live;
    live.on('status', (status) => this.#connection.show(status));
    live.on('welcome', () => this.#render());
    live.on('change', (store) => {
      if (live !== this.#live) return;
      // The state moved (here or elsewhere): the allowed transitions come with the hearing.
      if (this.#hearing && store.hearing && store.hearing.state !== this.#hearing.state) void this.#reload();
      this.#render();
    });
    live.connect();
    this.#render();
    void this.#reload();
    void this.#startCamera();
  }

  disconnectedCallback() {
    this.#closed = true;
    this.#media?.close();
    this.#media = null;
    this.#live?.close();
    this.#live = null;
    this.#resize?.disconnect();
    this.#unsubscribe();
    localMedia.release();
  }

  /** 证据 over the room, on the room's own live channel (the room and its camera stay). */
  #openEvidence() {
    const session = this.#session;
    if (!session) return;
    for (const open of this.querySelectorAll('cc-room-panel[data-panel="evidence"]')) open.remove();
    const evidence = create('cc-evidence-console', CcEvidenceConsole);
    openPanel(this, 'evidence.console.title', evidence, 'evidence');
    evidence.setup({ hearingId: this.#hearingId, session, live: this.#live });
  }

  /** Ask for the camera for one's own tile; without it, an avatar and a note (the room goes on). */
  async #startCamera() {
    /** @type {MessageKey | null} */
    let note = null;
    try {
      const media = await openLocalMedia({ facingMode: 'user' });
      if (this.#closed) {
        for (const track of media.stream.getTracks()) track.stop();
        return;
      }
      localMedia.keep(media.stream, media.audioOnly, 'user');
      if (media.audioOnly) note = 'staffRoom.camera.none';
    } catch (error) {
      const kind = classifyMediaError(error);
      note = kind === 'denied' ? 'staffRoom.camera.denied' : kind === 'notfound' ? 'staffRoom.camera.none' : 'staffRoom.camera.unavailable';
    }
    if (this.#closed) return;
    if (note) bindText(this.#cameraNote, note);
    this.#cameraNote.hidden = !note;
    this.#startMedia();
  }

  /** The hearing's audio and video through the SFU, once the camera was tried (without one, only receiving). */
  #startMedia() {
    const live = this.#live;
    if (!live || this.#media) return;
    this.#media = new MediaSession(live, {
      onRemote: (memberId, stream) => {
        if (stream) this.#remote.set(memberId, stream);
        else this.#remote.delete(memberId);
        this.#render();
      },
    });
    // Test hook: the page's media session, for getStats() in the browser tests.
    /** @type {{__ccMedia?: MediaSession}} */ (/** @type {unknown} */ (window)).__ccMedia = this.#media;
    this.#media.start(localMedia.stream);
  }

  async #reload() {
    try {
      const hearing = await getHearing(this.#hearingId);
      if (this.#closed) return;
      this.#showHearing(hearing);
    } catch (error) {
      setErrorText(this.#stateError, error);
      this.#stateError.hidden = false;
    }
  }

  /** @param {HearingDetail} hearing */
  #showHearing(hearing) {
    this.#hearing = hearing;
    delete this.#caseNumber.dataset.i18n;
    this.#caseNumber.textContent = hearing.case.case_number;
    this.#cause.textContent = hearing.case.cause;
    const allowed = ORDER.filter((tr) => hearing.allowed_transitions.includes(tr));
    replaceChildren(
      this.#transitions,
      allowed.length === 0
        ? h('p', { class: 'muted', i18n: 'detail.noActions' })
        : allowed.map((tr) =>
            h('button', {
              class: `button ${PRIMARY.has(tr) ? 'primary' : DANGER.has(tr) ? 'danger' : ''}`,
              i18n: /** @type {MessageKey} */ (`transition.${tr}`),
              attrs: { type: 'button', 'data-transition': tr },
              on: { click: (event) => void this.#transition(tr, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
            }),
          ),
    );
    this.#render();
  }

  /**
   * @param {Transition} transition
   * @param {HTMLButtonElement} button
   */
  async #transition(transition, button) {
    if (!this.#hearing) return;
    this.#stateError.hidden = true;
    this.#stateStatus.textContent = '';
    const question = CONFIRM[transition];
    if (question) {
      const ok = await confirmDialog(question, undefined, /** @type {MessageKey} */ (`transition.${transition}`), DANGER.has(transition));
      if (!ok) return;
    }
    const buttons = [...this.#transitions.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    button.setAttribute('aria-busy', 'true');
    try {
      this.#showHearing(await transitionHearing(this.#hearingId, transition));
      bindText(this.#stateStatus, /** @type {MessageKey} */ (`transition.done.${transition}`));
    } catch (error) {
      buttons.forEach((b) => (b.disabled = false));
      button.removeAttribute('aria-busy');
      setErrorText(this.#stateError, error);
      this.#stateError.hidden = false;
      void this.#reload();
    }
  }

  /**
   * 准许入庭: check the participant in; the roster then moves them from 候庭 into the room.
   * @param {LiveMember} member
   * @param {HTMLButtonElement} button
   */
  async #admit(member, button) {
    this.#waitingError.hidden = true;
    this.#admitting.add(member.id);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await checkInParticipant(this.#hearingId, member.id);
      bindText(this.#waitingStatus, 'admit.done', { name: member.name });
    } catch (error) {
      this.#admitting.delete(member.id);
      setErrorText(this.#waitingError, error);
      this.#waitingError.hidden = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  /**
   * 静音 / 取消静音 on a tile: the server applies it and says so in the roster, which redraws the tiles.
   * @param {CustomEvent<MuteRequest>} event
   */
  async #mute(event) {
    const { memberId, muted } = event.detail;
    const button = /** @type {Element} */ (event.target).querySelector('[data-testid="mute-toggle"]');
    button?.setAttribute('aria-busy', 'true');
    this.#stateError.hidden = true;
    try {
      await muteParticipant(this.#hearingId, memberId, muted);
    } catch (error) {
      setErrorText(this.#stateError, error);
      this.#stateError.hidden = false;
    } finally {
      button?.removeAttribute('aria-busy');
    }
  }

  /** The state of the hearing: the live channel's when it has spoken, else the one read. */
  #state() {
    return this.#live?.store.hearing?.state ?? this.#hearing?.state ?? null;
  }

  #render() {
    const state = this.#state();
    for (const badge of [this.#stateBadge, this.#sideState]) {
      if (state) {
        badge.className = `badge state-${state}`;
        bindText(badge, /** @type {MessageKey} */ (`state.${state}`));
      }
      badge.hidden = !state;
    }
    const members = [...(this.#live?.store.members ?? [])];
    const session = this.#session;
    const selfId = this.#live?.store.you?.id ?? session?.user.id ?? '';
    const selfRole = session?.user.role;
    if (session && !members.some((m) => m.id === selfId) && (selfRole === 'clerk' || selfRole === 'judge')) {
      members.push({ kind: 'staff', id: selfId, name: session.user.display_name, role: selfRole, connected: true, rules_confirmed: true, checked_in: true });
    }
    this.#renderTiles(sortMembers(members), selfId);
    this.#renderWaiting(members, state);
  }

  /**
   * @param {LiveMember[]} members sorted
   * @param {string} selfId
   */
  #renderTiles(members, selfId) {
    const seen = new Set();
    members.forEach((member, index) => {
      seen.add(member.id);
      let tile = this.#tiles.get(member.id);
      if (!tile) {
        tile = /** @type {CcTile} */ (document.createElement('cc-tile'));
        tile.setAttribute('role', 'listitem');
        this.#tiles.set(member.id, tile);
      }
      if (this.#grid.children[index] !== tile) this.#grid.insertBefore(tile, this.#grid.children[index] ?? null);
      const self = member.id === selfId;
      const stream = self ? localMedia.stream : (this.#remote.get(member.id) ?? null);
      const canMute = member.kind === 'participant' && member.checked_in;
      tile.show(member, { self, stream, mirror: self, canMute });
    });
    for (const [id, tile] of this.#tiles) {
      if (!seen.has(id)) {
        tile.remove();
        this.#tiles.delete(id);
      }
    }
    this.#layout();
  }

  /**
   * The 候庭 list: connected participants who confirmed the rules and wait to be admitted.
   * @param {LiveMember[]} members
   * @param {string | null} state
   */
  #renderWaiting(members, state) {
    const waiting = sortMembers(members.filter((m) => m.kind === 'participant' && m.connected && m.rules_confirmed && !m.checked_in));
    for (const id of [...this.#admitting]) if (!waiting.some((m) => m.id === id)) this.#admitting.delete(id);
    const canAdmit = state !== null && ADMITTING.has(state);
    const key = JSON.stringify([waiting, canAdmit, [...this.#admitting]]);
    if (this.#waitingList.dataset.drawn === key) return;
    this.#waitingList.dataset.drawn = key;
    this.#waitingCount.hidden = waiting.length === 0;
    bindText(this.#waitingCount, 'staffRoom.waitingCount', { count: waiting.length });
    if (waiting.length === 0) {
      replaceChildren(this.#waitingList, h('li', { class: 'muted', i18n: 'staffRoom.noneWaiting' }));
      return;
    }
    replaceChildren(
      this.#waitingList,
      waiting.map((member) => {
        const busy = this.#admitting.has(member.id);
        return h(
          'li',
          { class: 'staff-waiting-item', attrs: { 'data-participant-id': member.id } },
          h(
            'span',
            { class: 'staff-waiting-who' },
            h('span', { class: 'tile-role-label', i18n: /** @type {MessageKey} */ (`role.${member.role}`) }),
            ' ',
            h('strong', { text: member.name }),
          ),
          canAdmit
            ? h('button', {
                class: 'button small primary',
                i18n: 'admit.do',
                i18nAttrs: { 'aria-label': ['admit.doLabel', { name: member.name }] },
                attrs: { type: 'button', 'data-action': 'admit', disabled: busy, 'aria-busy': busy ? 'true' : null },
                on: { click: (event) => void this.#admit(member, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
              })
            : h('span', { class: 'muted', i18n: 'staffRoom.openFirst' }),
        );
      }),
    );
  }

  /** Columns for the current size and number of tiles. */
  #layout() {
    const count = this.#tiles.size || 1;
    const width = this.#stage.clientWidth;
    const height = this.#stage.clientHeight;
    if (!width || !height) return;
    const cols = bestColumns(count, width, height);
    this.#grid.style.setProperty('--cols', String(cols));
    this.#grid.style.setProperty('--rows', String(Math.ceil(count / cols)));
  }
}

customElements.define('cc-staff-room', CcStaffRoom);
