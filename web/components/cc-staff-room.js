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
 * Witnesses are apart: they have no tile until called in (the server lists those waiting outside only to staff), and
 * the 候庭证人 list (data-testid `witnesses`, shown when the hearing has any) gives each waiting witness 传唤入庭 and each
 * witness in the room 退庭 (sent out after testifying; their tile goes). The 在庭参与人 list (data-testid `in-room`)
 * gives each admitted participant 移出庭审: an optional reason, then a confirmation (cc-confirm-dialog); the participant
 * goes back to the waiting room and their media ends, until 准许入庭 again.
 */

import { callInWitness, checkInParticipant, getHearing, muteParticipant, removeFromHearing, transitionHearing } from '../lib/api.js';
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
  /** Witnesses being called in or sent out right now (their button stays busy until the roster says so). */
  /** @type {Set<string>} */
  #calling = new Set();
  /** The participant whose 移出庭审 form is open, and the reason typed so far (kept across redraws). */
  #removing = '';
  #reasonDraft = '';
  #removalBusy = false;
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
  #witnessPanel = h('section', { class: 'panel', attrs: { 'data-testid': 'witnesses', hidden: true } });
  #witnessCount = h('span', { class: 'badge state-recess', attrs: { hidden: true } });
  #witnessList = h('ul', { class: 'staff-waiting-list', attrs: { 'data-testid': 'witness-list' } });
  #witnessStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #witnessError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #inRoomList = h('ul', { class: 'staff-waiting-list', attrs: { 'data-testid': 'in-room-list' } });
  #inRoomStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #inRoomError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
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
    const witnessTitle = uid('staff-witnesses');
    const inRoomTitle = uid('staff-in-room');
    this.#witnessPanel.setAttribute('aria-labelledby', witnessTitle);
    replaceChildren(
      this.#witnessPanel,
      h('h3', { class: 'side-title' }, h('span', { i18n: 'witness.title', attrs: { id: witnessTitle } }), this.#witnessCount),
      this.#witnessList,
      this.#witnessError,
      this.#witnessStatus,
    );
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
          this.#witnessPanel,
          h(
            'section',
            { class: 'panel', attrs: { 'aria-labelledby': inRoomTitle, 'data-testid': 'in-room' } },
            h('h3', { class: 'side-title' }, h('span', { i18n: 'removal.title', attrs: { id: inRoomTitle } })),
            this.#inRoomList,
            this.#inRoomError,
            this.#inRoomStatus,
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
    this.#renderWitnesses(members, this.#live?.store.witnesses ?? [], state);
    this.#renderInRoom(members, state);
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

  /**
   * The 候庭证人 list: witnesses outside (传唤入庭 once they confirmed the rules) and those in the room (退庭).
   * @param {LiveMember[]} members who is in the hearing
   * @param {LiveMember[]} outside witnesses waiting outside
   * @param {string | null} state
   */
  #renderWitnesses(members, outside, state) {
    const inside = sortMembers(members.filter((m) => m.kind === 'participant' && m.role === 'witness'));
    const waiting = sortMembers(outside);
    const ids = new Set([...inside, ...waiting].map((m) => m.id));
    // Done when the roster shows the witness where they were sent (or gone).
    for (const id of [...this.#calling]) if (!ids.has(id) || inside.some((m) => m.id === id) === this.#callingIn(id)) this.#calling.delete(id);
    const canCall = state !== null && ADMITTING.has(state);
    const key = JSON.stringify([inside, waiting, canCall, [...this.#calling]]);
    if (this.#witnessList.dataset.drawn === key) return;
    this.#witnessList.dataset.drawn = key;
    this.#witnessPanel.hidden = ids.size === 0;
    this.#witnessCount.hidden = waiting.length === 0;
    bindText(this.#witnessCount, 'witness.count', { count: waiting.length });
    /**
     * @param {LiveMember} member
     * @param {boolean} calledIn the witness is in the room
     */
    const item = (member, calledIn) => {
      const busy = this.#calling.has(member.id);
      /** @type {MessageKey} */
      const status = calledIn ? 'witness.inRoom' : !member.connected ? 'witness.offline' : !member.rules_confirmed ? 'witness.rulesPending' : 'witness.outside';
      const button = (/** @type {MessageKey} */ label, /** @type {MessageKey} */ aria, /** @type {string} */ action, /** @type {boolean} */ primary) =>
        h('button', {
          class: `button small ${primary ? 'primary' : ''}`,
          i18n: label,
          i18nAttrs: { 'aria-label': [aria, { name: member.name }] },
          attrs: { type: 'button', 'data-action': action, disabled: busy, 'aria-busy': busy ? 'true' : null },
          on: { click: (event) => void this.#callIn(member, !calledIn, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
        });
      let control = null;
      if (calledIn) control = button('witness.sendOut', 'witness.sendOutLabel', 'send-out', false);
      else if (!canCall) control = h('span', { class: 'muted', i18n: 'witness.openFirst' });
      else if (member.rules_confirmed) control = button('witness.callIn', 'witness.callInLabel', 'call-in', true);
      return h(
        'li',
        { class: 'staff-waiting-item', attrs: { 'data-participant-id': member.id, 'data-called-in': calledIn ? 'true' : 'false' } },
        h(
          'span',
          { class: 'staff-waiting-who' },
          h('span', { class: 'tile-role-label', i18n: 'role.witness' }),
          ' ',
          h('strong', { text: member.name }),
          ' ',
          h('span', { class: 'muted', i18n: status, attrs: { 'data-testid': 'witness-status' } }),
        ),
        control,
      );
    };
    replaceChildren(this.#witnessList, waiting.map((m) => item(m, false)), inside.map((m) => item(m, true)));
  }

  /** Whether the pending request for witness `id` calls them in (else sends them out). @type {Map<string, boolean>} */
  #callTarget = new Map();

  /** @param {string} id */
  #callingIn(id) {
    return this.#callTarget.get(id) ?? false;
  }

  /**
   * 传唤入庭 / 退庭: the roster then moves the witness into the room (their tile appears) or out of it.
   * @param {LiveMember} member
   * @param {boolean} calledIn
   * @param {HTMLButtonElement} button
   */
  async #callIn(member, calledIn, button) {
    this.#witnessError.hidden = true;
    this.#witnessStatus.textContent = '';
    this.#calling.add(member.id);
    this.#callTarget.set(member.id, calledIn);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await callInWitness(this.#hearingId, member.id, calledIn);
      bindText(this.#witnessStatus, calledIn ? 'witness.calledIn' : 'witness.sentOut', { name: member.name });
    } catch (error) {
      this.#calling.delete(member.id);
      setErrorText(this.#witnessError, error);
      this.#witnessError.hidden = false;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  /**
   * The 在庭参与人 list: each admitted participant with 移出庭审 (while the hearing admits people).
   * @param {LiveMember[]} members
   * @param {string | null} state
   */
  #renderInRoom(members, state) {
    const inside = sortMembers(members.filter((m) => m.kind === 'participant' && m.checked_in));
    if (this.#removing && !inside.some((m) => m.id === this.#removing)) {
      this.#removing = '';
      this.#reasonDraft = '';
    }
    const canRemove = state !== null && ADMITTING.has(state);
    const key = JSON.stringify([inside.map((m) => [m.id, m.name, m.role, m.connected]), canRemove, this.#removing, this.#removalBusy]);
    if (this.#inRoomList.dataset.drawn === key) return;
    this.#inRoomList.dataset.drawn = key;
    if (inside.length === 0) {
      replaceChildren(this.#inRoomList, h('li', { class: 'muted', i18n: 'removal.none' }));
      return;
    }
    replaceChildren(
      this.#inRoomList,
      inside.map((member) => {
        const open = this.#removing === member.id;
        const who = h(
          'span',
          { class: 'staff-waiting-who' },
          h('span', { class: 'tile-role-label', i18n: /** @type {MessageKey} */ (`role.${member.role}`) }),
          ' ',
          h('strong', { text: member.name }),
          member.connected ? null : h('span', { class: 'muted', i18n: 'room.offline' }),
        );
        const start = canRemove && !open
          ? h('button', {
              class: 'button small danger-ghost',
              i18n: 'removal.do',
              i18nAttrs: { 'aria-label': ['removal.doLabel', { name: member.name }] },
              attrs: { type: 'button', 'data-action': 'remove', disabled: this.#removalBusy },
              on: {
                click: () => {
                  this.#removing = member.id;
                  this.#reasonDraft = '';
                  this.#inRoomError.hidden = true;
                  this.#render();
                  this.#inRoomList.querySelector('input')?.focus();
                },
              },
            })
          : null;
        return h(
          'li',
          { class: 'staff-waiting-item', attrs: { 'data-participant-id': member.id } },
          who,
          start,
          open && canRemove ? this.#removalForm(member) : null,
        );
      }),
    );
  }

  /**
   * The 移出庭审 form of one participant: the optional reason, 确认移出 (asks once more) and 取消.
   * @param {LiveMember} member
   */
  #removalForm(member) {
    const inputId = uid('removal-reason');
    const input = h('input', { attrs: { id: inputId, type: 'text', maxlength: 200, autocomplete: 'off', 'data-testid': 'removal-reason' } });
    input.value = this.#reasonDraft;
    input.addEventListener('input', () => {
      this.#reasonDraft = input.value;
    });
    const form = h(
      'form',
      { class: 'field', attrs: { 'data-testid': 'removal-form' } },
      h('label', { i18n: 'removal.reason', attrs: { for: inputId } }),
      input,
      h(
        'div',
        { class: 'actions' },
        h('button', {
          class: 'button small danger',
          i18n: 'removal.submit',
          attrs: { type: 'submit', disabled: this.#removalBusy, 'aria-busy': this.#removalBusy ? 'true' : null },
        }),
        h('button', {
          class: 'button small ghost',
          i18n: 'removal.cancel',
          attrs: { type: 'button', disabled: this.#removalBusy },
          on: {
            click: () => {
              this.#removing = '';
              this.#reasonDraft = '';
              this.#render();
            },
          },
        }),
      ),
    );
    form.style.flexBasis = '100%';
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#remove(member);
    });
    return form;
  }

  /**
   * 移出庭审, once confirmed: the server takes the admission back, ends the media and tells the participant.
   * @param {LiveMember} member
   */
  async #remove(member) {
    const ok = await confirmDialog('removal.confirm', { name: member.name }, 'removal.do', true);
    if (!ok || this.#removalBusy) return;
    this.#inRoomError.hidden = true;
    this.#inRoomStatus.textContent = '';
    this.#removalBusy = true;
    this.#render();
    try {
      await removeFromHearing(this.#hearingId, member.id, this.#reasonDraft.trim() || undefined);
      this.#removing = '';
      this.#reasonDraft = '';
      bindText(this.#inRoomStatus, 'removal.done', { name: member.name });
    } catch (error) {
      setErrorText(this.#inRoomError, error);
      this.#inRoomError.hidden = false;
    } finally {
      this.#removalBusy = false;
      this.#render();
    }
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
