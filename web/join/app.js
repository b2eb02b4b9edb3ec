/**
 * Participant client root <cc-join-app> (served at /join, /join/ and /join/{会议号}): from the meeting number to the
 * hearing room. Steps: 进入庭审 (会议号, 手机号码, 验证码; skipped with a session) → camera and microphone (permission,
 * self-test) → 法庭纪律 (once) → 功能介绍 (once per device) → 候庭 (until open and admitted) → the hearing room.
 * One live WebSocket (lib/live.js) feeds the waiting room and the room from the moment the participant is signed in,
 * and the room's 查看笔录 / 确认笔录 panels (cc-transcript-view), which follow its transcript messages, and 上传证据
 * (cc-evidence-panel: 本地上传 and the live 证据列表; one panel per room, so files go on while it is closed). When the
 * judge or the clerk presents an item (a `presentation` message, or one under way on entering the room) it opens over
 * the room (cc-evidence-viewer) at its page or time; the person may close it, and the end of the presentation does.
 * When the court takes the participant out of the room — removed (a `removed` message: 您已被审判人员移出庭审, with the
 * reason if given) or, a witness, sent out after testifying (退庭: the roster shows them outside again) — the page
 * goes back to the waiting room and says why, and enters again when the court admits (or calls) them anew. A witness
 * waits for the court's call (请等待审判人员传唤) and is shown nothing of the hearing until then.
 */

import { confirmDialog } from '../components/cc-confirm-dialog.js';
import { CcDeviceCheck } from '../components/cc-device-check.js';
import { CcEvidencePanel } from '../components/cc-evidence-panel.js';
import { CcEvidenceViewer } from '../components/cc-evidence-viewer.js';
import { CcJoinForm } from '../components/cc-join-form.js';
import { CcLangSwitch } from '../components/cc-lang-switch.js';
import { CcRoom } from '../components/cc-room.js';
import { openPanel } from '../components/cc-room-panel.js';
import { CcRules } from '../components/cc-rules.js';
import { CcTour, tourSeen } from '../components/cc-tour.js';
import { CcTranscriptView } from '../components/cc-transcript-view.js';
import { ADMITTING, CcWaitingRoom } from '../components/cc-waiting-room.js';
import { ApiError, UNAUTHENTICATED_EVENT, leaveHearing, participantMe } from '../lib/api.js';
import { create, h, replaceChildren } from '../lib/dom.js';
import { getPresentation, listEvidence } from '../lib/evidence.js';
import { problemOf, setErrorText } from '../lib/forms.js';
import { bindLocalized, relabel, setTitleKey } from '../lib/i18n.js';
import { LiveClient } from '../lib/live.js';
import { localMedia } from '../lib/media.js';
import { meetingFromPath, rememberMeeting, rememberedMeeting } from '../lib/meeting.js';

/** @typedef {import('../lib/types.js').ParticipantMe} ParticipantMe */
/** @typedef {import('../lib/types.js').Problem} Problem */
/** @typedef {import('../lib/types.js').Presentation} Presentation */
/** @typedef {import('../lib/types.js').LiveMessage} LiveMessage */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {import('../components/cc-room.js').RoomAction} RoomAction */
/** @typedef {'boot' | 'join' | 'devices' | 'rules' | 'tour' | 'waiting' | 'room' | 'ended' | 'left' | 'finished' | 'replaced' | 'error'} Screen */

export class CcJoinApp extends HTMLElement {
  /** @type {ParticipantMe | null} */
  #me = null;
  /** @type {LiveClient | null} */
  #live = null;
  /** @type {Screen} */
  #screen = 'boot';
  /** The self-test was passed in this page (needed once per page: the room keeps its camera). */
  #devicesDone = false;
  #checkingSession = false;
  #leaving = false;
  #main = h('main', { class: 'join-main', attrs: { id: 'main', tabindex: '-1' } });
  #header = h(
    'header',
    { class: 'site-header join-header' },
    h(
      'div',
      { class: 'header-inner' },
      h(
        'div',
        { class: 'brand' },
        h('img', { class: 'emblem', attrs: { src: '/icons/icon-192.png', alt: '', width: 36, height: 36 } }),
        h('div', { class: 'brand-text' }, h('span', { class: 'court-name', i18n: 'app.name' }), h('span', { class: 'app-name', i18n: 'join.tagline' })),
      ),
      create('cc-lang-switch', CcLangSwitch),
    ),
  );
  /** @type {CcWaitingRoom | null} */
  #waiting = null;
  /** @type {CcRoom | null} */
  #room = null;
  /** 上传证据: kept while the room is shown (files go on uploading while the panel is closed). */
  /** @type {CcEvidencePanel | null} */
  #evidence = null;
  /** @type {CcEvidenceViewer | null} */
  #viewer = null;
  /** Why the participant is back in the waiting room, to say so there (cleared on entering the room). */
  /** @type {{why: 'removed' | 'sentOut', reason: string | null} | null} */
  #backOut = null;
  /** The presentation being opened or shown, and one the person closed (not opened again until another comes). */
  #presentationKey = '';
  #dismissed = '';

  #onUnauthenticated = () => {
    if (this.#me && !this.#leaving && !['join', 'left', 'finished', 'boot'].includes(this.#screen)) this.#sessionLost();
  };

  connectedCallback() {
    setTitleKey('join.pageTitle');
    replaceChildren(this, this.#header, this.#main);
    replaceChildren(this.#main, h('p', { class: 'boot muted', i18n: 'app.loading' }));
    this.addEventListener('cc-room-action', (event) => {
      const { action } = /** @type {CustomEvent<{action: RoomAction}>} */ (event).detail;
      void this.#act(action);
    });
    window.addEventListener(UNAUTHENTICATED_EVENT, this.#onUnauthenticated);
    relabel(this);
    void this.#boot();
  }

  disconnectedCallback() {
    window.removeEventListener(UNAUTHENTICATED_EVENT, this.#onUnauthenticated);
    this.#live?.close();
  }

  async #boot() {
    const fromPath = meetingFromPath('/join', location.pathname);
    if (fromPath) rememberMeeting(fromPath);
    try {
      const me = await participantMe();
      // A session for another hearing than the link's: sign in to the link's hearing.
      if (fromPath && fromPath !== me.meeting_number) this.#showJoin(fromPath);
      else this.#start(me);
    } catch (error) {
      const problem = problemOf(error);
      if (problem.status === 401) this.#showJoin(fromPath || rememberedMeeting());
      else if (problem.status === 410) this.#showFinished(problem);
      else this.#showError(error, () => void this.#boot());
    }
  }

  /**
   * @param {Screen} screen
   * @param {...(Node | null)} content
   */
  #show(screen, ...content) {
    this.#screen = screen;
    this.dataset.screen = screen;
    const full = screen === 'room';
    this.#header.hidden = full;
    this.#main.classList.toggle('full', full);
    this.#waiting = null;
    this.#room = null;
    this.#evidence?.dispose();
    this.#evidence = null;
    this.#presentationKey = '';
    this.#viewer = null;
    for (const panel of this.querySelectorAll('cc-room-panel, cc-evidence-viewer')) panel.remove();
    replaceChildren(this.#main, ...content);
    window.scrollTo(0, 0);
  }

  /**
   * @param {string} meetingNumber
   * @param {MessageKey} [notice]
   */
  #showJoin(meetingNumber, notice) {
    const form = create('cc-join-form', CcJoinForm);
    form.setup({ meetingNumber, notice });
    form.addEventListener('cc-joined', (event) => {
      this.#devicesDone = false;
      this.#start(/** @type {CustomEvent<ParticipantMe>} */ (event).detail);
    });
    this.#show('join', form);
    form.focus();
  }

  /**
   * Signed in: open the live channel, then go through the steps.
   * @param {ParticipantMe} me
   */
  #start(me) {
    this.#me = me;
    rememberMeeting(me.meeting_number);
    this.#live?.close();
    const live = new LiveClient(me.hearing_id);
    this.#live = live;
    live.on('status', (status) => {
      this.#waiting?.connection(status);
      this.#room?.connection(status);
    });
    live.on('change', () => this.#onLive());
    live.on('message', (message) => this.#onMessage(message));
    live.on('replaced', () => this.#showReplaced());
    live.on('failure', (failures) => {
      // The session may have ended (left on another device, expired) or the hearing be over: ask once in a while.
      if (failures === 2 || failures % 5 === 0) void this.#checkSession();
    });
    live.connect();
    this.#next();
  }

  /** The next step for the signed-in participant. */
  #next() {
    const me = this.#me;
    if (!me) return;
    if (!this.#devicesDone) this.#showDevices();
    else if (!me.rules_confirmed_at) this.#showRules();
    else if (!tourSeen()) this.#showTour();
    else if (this.#admitted()) this.#showRoom();
    else this.#showWaiting();
  }

  /** @returns {boolean} the hearing admits people and the clerk admitted this participant */
  #admitted() {
    const me = this.#me;
    if (!me) return false;
    const store = this.#live?.store;
    const state = store?.hearing?.state ?? me.state;
    const self = store?.member(me.participant_id);
    const checkedIn = self ? self.checked_in : Boolean(me.checked_in_at);
    return ADMITTING.has(state) && checkedIn;
  }

  /** The hearing or roster changed. */
  #onLive() {
    const store = this.#live?.store;
    if (!store) return;
    const state = store.hearing?.state;
    if (state === 'archived' || state === 'cancelled') {
      this.#showFinished({ status: 410, code: 'hearing_finished' }, state);
      return;
    }
    if (state === 'closed' && (this.#screen === 'waiting' || this.#screen === 'room')) {
      this.#showEnded();
      return;
    }
    if (this.#screen === 'waiting') {
      if (this.#admitted()) this.#showRoom();
      else this.#waiting?.update(store);
    } else if (this.#screen === 'room') {
      if (this.#admitted()) {
        this.#room?.update(store);
        return;
      }
      // Out of the room again: a witness sent out after testifying (a removal says so itself, first).
      if (!this.#backOut && this.#me?.role === 'witness') this.#backOut = { why: 'sentOut', reason: null };
      this.#showWaiting();
    }
  }

  /**
   * The court removed this participant from the hearing (移出庭审): back to the waiting room, saying so.
   * @param {string | null} reason
   */
  #onRemoved(reason) {
    const me = this.#me;
    if (!me) return;
    // The roster that follows says so too; until it comes, nothing may take the page back into the room.
    const self = this.#live?.store.member(me.participant_id);
    if (self) self.checked_in = false;
    me.checked_in_at = null;
    this.#backOut = { why: 'removed', reason };
    if (this.#screen === 'room') this.#showWaiting();
    else if (this.#screen === 'waiting') this.#waiting?.notice('removed', reason);
  }

  #showDevices() {
    const check = create('cc-device-check', CcDeviceCheck);
    check.addEventListener('cc-device-done', () => {
      this.#devicesDone = true;
      this.#next();
    });
    this.#show('devices', check);
    check.setup({ mode: 'entry' });
  }

  #showRules() {
    const rules = create('cc-rules', CcRules);
    rules.setup();
    rules.addEventListener('cc-rules-confirmed', (event) => {
      this.#me = /** @type {CustomEvent<ParticipantMe>} */ (event).detail;
      this.#next();
    });
    this.#show('rules', rules);
  }

  #showTour() {
    const tour = create('cc-tour', CcTour);
    tour.setup();
    tour.addEventListener('cc-tour-done', () => this.#next());
    this.#show('tour', h('div', { class: 'panel tour-page' }, tour));
    tour.focus();
  }

  #showWaiting() {
    const me = /** @type {ParticipantMe} */ (this.#me);
    const waiting = create('cc-waiting-room', CcWaitingRoom);
    this.#show('waiting', waiting);
    waiting.setup(me);
    this.#waiting = waiting;
    if (this.#backOut) waiting.notice(this.#backOut.why, this.#backOut.reason);
    waiting.connection(this.#live?.status ?? 'connecting');
    if (this.#live) waiting.update(this.#live.store);
  }

  #showRoom() {
    const me = /** @type {ParticipantMe} */ (this.#me);
    const room = create('cc-room', CcRoom);
    this.#backOut = null;
    this.#show('room', room);
    room.setup(me);
    if (this.#live) room.startMedia(this.#live);
    this.#room = room;
    room.connection(this.#live?.status ?? 'connecting');
    if (this.#live) room.update(this.#live.store);
    void this.#checkPresentation();
  }

  /** @param {LiveMessage} message */
  #onMessage(message) {
    if (message.type === 'removed') {
      if (message.to === this.#me?.participant_id) this.#onRemoved(message.reason);
    } else if (message.type === 'presentation') void this.#present(message.presentation);
    // Connected again: a presentation may have started or ended meanwhile.
    else if (message.type === 'snapshot' && this.#screen === 'room') void this.#checkPresentation();
  }

  /** Entering the room (or back after a cut): is an item being presented? */
  async #checkPresentation() {
    const me = this.#me;
    if (!me) return;
    try {
      await this.#present(await getPresentation(me.hearing_id));
    } catch {
      // The next presentation message opens it.
    }
  }

  /**
   * Open the presented item over the room (or move it to its new page or time); null closes it.
   * @param {Presentation | null} presentation
   */
  async #present(presentation) {
    const me = this.#me;
    if (!presentation) {
      this.#presentationKey = '';
      this.#dismissed = '';
      this.#viewer?.close();
      return;
    }
    if (this.#screen !== 'room' || !me) return;
    const key = [presentation.evidence_id, presentation.page ?? '', presentation.time ?? '', presentation.at].join('|');
    if (key === this.#dismissed) return;
    this.#presentationKey = key;
    /** @type {import('../lib/types.js').Evidence[]} */
    let items;
    try {
      items = await listEvidence(me.hearing_id);
    } catch {
      return;
    }
    // Another presentation (or its end) came meanwhile.
    if (this.#presentationKey !== key || this.#screen !== 'room') return;
    const evidence = items.find((item) => item.id === presentation.evidence_id);
    if (!evidence) return;
    let viewer = this.#viewer;
    if (!viewer || !viewer.isConnected) {
      const created = create('cc-evidence-viewer', CcEvidenceViewer);
      created.setup({ timeZone: me.time_zone });
      created.addEventListener('cc-viewer-closed', (event) => {
        if (/** @type {CustomEvent<{byUser: boolean}>} */ (event).detail.byUser) this.#dismissed = this.#presentationKey;
        if (this.#viewer === created) this.#viewer = null;
      });
      this.append(created);
      this.#viewer = created;
      viewer = created;
    }
    const presenter = this.#live?.store.members.find((m) => m.kind === 'staff' && m.name === presentation.by);
    viewer.show(evidence, presentation, { name: presentation.by, role: presenter?.role });
  }

  #showEnded() {
    this.#show(
      'ended',
      h(
        'section',
        { class: 'panel join-message', attrs: { 'data-testid': 'ended' } },
        h('h1', { i18n: 'ended.title' }),
        h('p', { i18n: 'ended.text' }),
        h('button', { class: 'button primary', i18n: 'room.menu.leave', attrs: { type: 'button' }, on: { click: () => void this.#leave() } }),
      ),
    );
  }

  /**
   * The hearing is archived or cancelled: nothing more to do here.
   * @param {Problem} problem
   * @param {string} [state]
   */
  #showFinished(problem, state) {
    this.#live?.close();
    localMedia.release();
    const text = h('p', { attrs: { role: 'status' } });
    if (problem.message) bindLocalized(text, problem.message);
    else text.append(h('span', { i18n: state === 'cancelled' ? 'finished.cancelled' : 'finished.text' }));
    this.#show(
      'finished',
      h('section', { class: 'panel join-message', attrs: { 'data-testid': 'finished' } }, h('h1', { i18n: 'finished.title' }), text, h('p', { class: 'hint', i18n: 'client.help' })),
    );
  }

  #showReplaced() {
    localMedia.release();
    const again = h('button', {
      class: 'button primary',
      i18n: 'replaced.again',
      attrs: { type: 'button' },
      on: {
        click: () => {
          this.#devicesDone = false;
          this.#live?.connect();
          this.#next();
        },
      },
    });
    this.#show(
      'replaced',
      h(
        'section',
        { class: 'panel join-message', attrs: { 'data-testid': 'replaced', role: 'alert' } },
        h('h1', { i18n: 'replaced.title' }),
        h('p', { i18n: 'replaced.text' }),
        again,
      ),
    );
  }

  #showLeft() {
    const number = this.#me?.meeting_number ?? rememberedMeeting();
    this.#me = null;
    this.#show(
      'left',
      h(
        'section',
        { class: 'panel join-message', attrs: { 'data-testid': 'left' } },
        h('h1', { i18n: 'left.title' }),
        h('p', { i18n: 'left.text' }),
        h('button', {
          class: 'button primary',
          i18n: 'left.again',
          attrs: { type: 'button' },
          on: { click: () => this.#showJoin(number) },
        }),
      ),
    );
  }

  /**
   * @param {unknown} error
   * @param {() => void} retry
   */
  #showError(error, retry) {
    const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    setErrorText(message, error);
    this.#show(
      'error',
      h(
        'section',
        { class: 'panel join-message' },
        message,
        h('button', { class: 'button primary', i18n: 'common.retry', attrs: { type: 'button' }, on: { click: retry } }),
      ),
    );
  }

  /** The session ended (401): back to the sign-in, saying why. */
  #sessionLost() {
    if (this.#screen === 'join') return;
    const number = this.#me?.meeting_number ?? rememberedMeeting();
    this.#live?.close();
    this.#live = null;
    localMedia.release();
    this.#me = null;
    this.#showJoin(number, 'join.sessionEnded');
  }

  /** The live channel keeps failing: is the session still valid and the hearing still on? */
  async #checkSession() {
    if (this.#checkingSession || !this.#me) return;
    this.#checkingSession = true;
    try {
      this.#me = await participantMe();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#sessionLost();
      else if (error instanceof ApiError && error.status === 410) this.#showFinished(error.problem);
      // Otherwise (offline): the live client keeps trying.
    } finally {
      this.#checkingSession = false;
    }
  }

  /** @param {RoomAction} action */
  async #act(action) {
    if (action === 'upload') {
      this.#openEvidence();
    } else if (action === 'transcript' || action === 'confirm') {
      this.#openTranscript(action);
    } else if (action === 'devices') {
      const check = create('cc-device-check', CcDeviceCheck);
      const panel = openPanel(this, 'room.menu.devices', check, 'devices');
      check.setup({ mode: 'room' });
      check.addEventListener('cc-device-done', () => panel.close());
    } else if (action === 'tour') {
      const tour = create('cc-tour', CcTour);
      tour.setup();
      const panel = openPanel(this, 'room.menu.tour', tour, 'tour');
      tour.addEventListener('cc-tour-done', () => panel.close());
      tour.focus();
    } else if (action === 'leave') {
      const ok = await confirmDialog('leave.confirm', undefined, 'leave.do', true);
      if (ok) await this.#leave();
    }
  }

  /**
   * 查看笔录 (`transcript`) or 确认笔录 (`confirm`): the transcript in a panel, following the live channel. 确认笔录 in the
   * transcript's panel opens the confirmation in its place.
   * @param {'transcript' | 'confirm'} action
   */
  #openTranscript(action) {
    const me = this.#me;
    if (!me) return;
    for (const open of this.querySelectorAll('cc-room-panel[data-panel="transcript"], cc-room-panel[data-panel="confirm"]')) {
      /** @type {import('../components/cc-room-panel.js').CcRoomPanel} */ (open).close();
    }
    const view = create('cc-transcript-view', CcTranscriptView);
    const panel = openPanel(this, action === 'confirm' ? 'room.menu.confirm' : 'room.menu.transcript', view, action);
    view.setup({
      hearingId: me.hearing_id,
      participantId: me.participant_id,
      mode: action === 'confirm' ? 'confirm' : 'read',
      live: this.#live,
      timeZone: me.time_zone,
    });
    view.addEventListener('cc-confirm-transcript', () => {
      panel.close();
      this.#openTranscript('confirm');
    });
  }

  /** 上传证据: the room's evidence panel (本地上传, the live 证据列表), the same one each time. */
  #openEvidence() {
    const me = this.#me;
    if (!me) return;
    for (const open of this.querySelectorAll('cc-room-panel[data-panel="upload"]')) {
      /** @type {import('../components/cc-room-panel.js').CcRoomPanel} */ (open).close();
    }
    if (!this.#evidence) {
      this.#evidence = create('cc-evidence-panel', CcEvidencePanel);
      this.#evidence.setup({ me, live: this.#live });
    }
    openPanel(this, 'room.menu.upload', this.#evidence, 'upload');
  }

  /** Leave the hearing: end the session (DELETE /participant/me), close the channel, stop the camera. */
  async #leave() {
    this.#leaving = true;
    try {
      await leaveHearing();
    } catch (error) {
      // Already signed out (401) counts as left; anything else is shown and nothing changes.
      if (!(error instanceof ApiError && (error.status === 401 || error.status === 410))) {
        this.#showError(error, () => void this.#leave());
        return;
      }
    } finally {
      this.#leaving = false;
    }
    this.#live?.close();
    this.#live = null;
    localMedia.release();
    this.#showLeft();
  }
}

customElements.define('cc-join-app', CcJoinApp);
