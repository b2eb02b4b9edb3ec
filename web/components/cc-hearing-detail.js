/**
 * <cc-hearing-detail>: one hearing — case, time, 会议号, state, bench, participants (add/edit/delete, 通知状态, 重发),
 * transitions, 修改开庭时间 and 开庭通知. While an invitation waits to be sent (or to be retried) it re-reads the hearing.
 * The live channel shows each participant's presence (在线/离线, 等待入庭, 已签到) with 准许入庭 (check-in); 进入庭审室
 * opens the staff's hearing room (`#/hearings/{id}/room`), 庭审笔录 the transcript editor (`#/hearings/{id}/transcript`),
 * 证据 the hearing's evidence (`#/hearings/{id}/evidence`, data-testid `open-evidence`). Beside them, 庭审录像: the
 * recording's segments and files (<cc-recordings>).
 */

import { checkInParticipant, deleteParticipant, getHearing, resendInvitation, transitionHearing } from '../lib/api.js';
import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { LiveClient } from '../lib/live.js';
import { confirmDialog } from './cc-confirm-dialog.js';
import { CcInvitationPanel, SENDABLE } from './cc-invitation-panel.js';
import { CcParticipantForm } from './cc-participant-form.js';
import { CcRecordings } from './cc-recordings.js';
import { CcRescheduleForm } from './cc-reschedule-form.js';
import { CcSmsStatus } from './cc-sms-status.js';

/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/types.js').Participant} Participant */
/** @typedef {import('../lib/types.js').Transition} Transition */
/** @typedef {import('../lib/types.js').HearingState} HearingState */
/** @typedef {import('../lib/types.js').Court} Court */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {import('../lib/types.js').LiveMember} LiveMember */

/** Transitions that ask before they happen. */
export const CONFIRM = /** @type {Partial<Record<Transition, MessageKey>>} */ ({
  cancel: 'confirm.cancel',
  close: 'confirm.close',
  archive: 'confirm.archive',
});

/** Transitions shown as the main (primary) action. */
export const PRIMARY = new Set(['open', 'start', 'resume']);
/** Transitions shown as destructive. */
export const DANGER = new Set(['cancel', 'close']);
/** States in which the participants may still be changed. */
const EDITABLE = new Set(['scheduled', 'open', 'in_session', 'recess']);
/** States in which the time may be changed. */
const RESCHEDULABLE = new Set(['scheduled', 'open']);
/** Transition buttons in a stable order. */
export const ORDER = /** @type {Transition[]} */ (['open', 'start', 'recess', 'resume', 'close', 'archive', 'cancel']);
/** How often to re-read the hearing while an invitation is queued. */
const POLL_MS = 2000;
/** Retries further ahead than this are not waited for (刷新 or the next visit shows them). */
const POLL_HORIZON_MS = 10 * 60 * 1000;

export class CcHearingDetail extends HTMLElement {
  #hearingId = '';
  /** @type {Court | null} */
  #court = null;
  /** @type {HearingDetail | null} */
  #hearing = null;

  #head = h('section', { class: 'panel hearing-head area-head' });
  #side = h('div', { class: 'detail-side area-side' });
  #actions = h('section', { class: 'panel' });
  #actionStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #actionError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #actionButtons = h('div', { class: 'actions wrap' });
  #reschedule = h('div', { class: 'reschedule' });
  #bench = h('section', { class: 'panel' });
  #parts = h('section', { class: 'panel area-parts' });
  #partsTable = h('div', { class: 'table-wrap' });
  #partsStatus = h('p', { class: 'status', attrs: { role: 'status' } });
  #partsError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #addForm = /** @type {CcParticipantForm} */ (document.createElement('cc-participant-form'));
  #addBox = h('div', { class: 'add-participant' });
  #invitations = create('cc-invitation-panel', CcInvitationPanel);
  #recordings = create('cc-recordings', CcRecordings);
  /** What each part was last drawn from, so a re-read that changed nothing leaves forms and focus alone. */
  /** @type {Map<string, string>} */
  #drawn = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #pollTimer;
  /** The live channel: presence and admission of the participants. */
  /** @type {LiveClient | null} */
  #live = null;
  /** @type {Map<string, LiveMember>} */
  #roster = new Map();

  /**
   * Show the hearing `hearingId`, from `initial` when given, else loaded from the server.
   * @param {string} hearingId
   * @param {Court} court
   * @param {HearingDetail} [initial]
   */
  setup(hearingId, court, initial) {
    this.#hearingId = hearingId;
    this.#startLive(hearingId);
    this.#court = court;
    this.#hearing = null;
    this.#drawn.clear();
    this.#addForm.setup(hearingId);
    this.#invitations.setup(hearingId, court.time_zone);
    this.#recordings.setup(hearingId, court.time_zone);
    this.#addBox.append(this.#addForm);
    const actionsTitle = uid('actions-title');
    replaceChildren(
      this.#actions,
      h('h3', { i18n: 'detail.actions', attrs: { id: actionsTitle } }),
      h(
        'p',
        { class: 'actions' },
        h('a', {
          class: 'button primary',
          i18n: 'staffRoom.enter',
          attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}/room`, 'data-testid': 'enter-room' },
        }),
        h('a', {
          class: 'button',
          i18n: 'transcript.editor.open',
          attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}/transcript`, 'data-testid': 'open-transcript' },
        }),
        h('a', {
          class: 'button',
          i18n: 'evidence.console.open',
          attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}/evidence`, 'data-testid': 'open-evidence' },
        }),
      ),
      this.#actionButtons,
      this.#actionError,
      this.#actionStatus,
      this.#reschedule,
    );
    this.#actions.setAttribute('aria-labelledby', actionsTitle);
    const partsTitle = uid('parts-title');
    this.#parts.setAttribute('aria-labelledby', partsTitle);
    replaceChildren(
      this.#parts,
      h('h3', { i18n: 'detail.participants', attrs: { id: partsTitle } }),
      this.#partsTable,
      this.#partsError,
      this.#partsStatus,
      this.#addBox,
    );
    replaceChildren(this.#side, this.#actions, this.#invitations, this.#recordings, this.#bench);
    replaceChildren(
      this,
      h('p', { class: 'back' }, h('a', { class: 'back-link', i18n: 'detail.back', attrs: { href: '#/hearings' } })),
      h('div', { class: 'detail-grid' }, this.#head, this.#side, this.#parts),
    );
    this.addEventListener('cc-participant-saved', this.#onParticipantSaved);
    this.addEventListener('cc-hearing-updated', this.#onHearingUpdated);
    this.addEventListener('cc-invitations-sent', () => void this.reload());
    this.addEventListener('cc-edit-participant', (event) => {
      const { participantId } = /** @type {CustomEvent<{participantId: string}>} */ (event).detail;
      const participant = this.#hearing?.participants.find((p) => p.id === participantId);
      if (participant) this.#edit(participant);
    });
    if (initial) this.#show(initial);
    else {
      replaceChildren(this.#head, h('p', { class: 'muted', i18n: 'detail.loading' }));
      void this.reload();
    }
  }

  disconnectedCallback() {
    clearTimeout(this.#pollTimer);
    this.#live?.close();
    this.#live = null;
  }

  /**
   * Re-read the hearing from the server.
   * @param {{quiet?: boolean}} [options] `quiet`: a background re-read, whose failure is not shown
   */
  async reload(options = {}) {
    const id = this.#hearingId;
    try {
      const hearing = await getHearing(id);
      if (id === this.#hearingId) this.#show(hearing);
    } catch (error) {
      if (id !== this.#hearingId) return;
      if (options.quiet) {
        this.#schedulePoll();
        return;
      }
      const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
      setErrorText(message, error);
      this.#drawn.delete('head');
      replaceChildren(
        this.#head,
        message,
        h('button', { class: 'button', i18n: 'common.retry', attrs: { type: 'button' }, on: { click: () => void this.reload() } }),
      );
    }
  }

  /** @type {(event: Event) => void} */
  #onParticipantSaved = (event) => {
    const detail = /** @type {CustomEvent<{participant: Participant, edited: boolean}>} */ (event).detail;
    bindText(this.#partsStatus, detail.edited ? 'participant.saved' : 'participant.added', { name: detail.participant.name });
    void this.reload().then(() => {
      if (!detail.edited) this.#addForm.focus();
    });
  };

  /** @type {(event: Event) => void} */
  #onHearingUpdated = (event) => {
    const detail = /** @type {CustomEvent<{hearing: HearingDetail}>} */ (event).detail;
    this.#show(detail.hearing);
    bindText(this.#actionStatus, 'reschedule.done', { time: detail.hearing.scheduled_local });
  };

  /** @param {HearingDetail} hearing */
  #show(hearing) {
    this.#hearing = hearing;
    const tz = this.#court?.time_zone ?? '';
    const { participants, bench, allowed_transitions: allowed, updated_at: _updated, notices_sent_at: _sent, ...head } = hearing;
    this.#draw('head', [head, tz], () => this.#renderHead(hearing, tz));
    this.#draw('actions', [hearing.state, hearing.scheduled_at, hearing.scheduled_local, allowed, tz], () => this.#renderActions(hearing, tz));
    this.#draw('bench', bench, () => this.#renderBench(hearing));
    this.#draw('parts', [hearing.state, participants, tz], () => this.#renderParticipants(hearing));
    this.#invitations.show(hearing);
    this.#schedulePoll();
  }

  /**
   * Draw a part unless it was last drawn from the same data.
   * @param {string} part
   * @param {unknown} data
   * @param {() => void} render
   */
  #draw(part, data, render) {
    const key = JSON.stringify(data);
    if (this.#drawn.get(part) === key) return;
    this.#drawn.set(part, key);
    render();
  }

  /** Re-read soon while an invitation is queued, or when a failed one is due to be retried. */
  #schedulePoll() {
    clearTimeout(this.#pollTimer);
    const hearing = this.#hearing;
    if (!hearing || !this.isConnected) return;
    const now = Date.now();
    let wait = Infinity;
    for (const p of hearing.participants) {
      const inv = p.invitation;
      if (!inv) continue;
      if (inv.status === 'queued' || inv.status === 'sending') wait = Math.min(wait, POLL_MS);
      if (inv.status === 'failed' && inv.next_attempt_at) {
        const due = Date.parse(inv.next_attempt_at) - now + 1500;
        if (Number.isFinite(due)) wait = Math.min(wait, Math.max(POLL_MS, due));
      }
    }
    if (wait > POLL_HORIZON_MS) return;
    this.#pollTimer = setTimeout(() => {
      if (this.isConnected) void this.reload({ quiet: true });
    }, wait);
  }

  /**
   * @param {HearingDetail} hearing
   * @param {string} tz
   */
  #renderHead(hearing, tz) {
    const stateBadge = () =>
      h('span', {
        class: `badge state-${hearing.state}`,
        i18n: /** @type {MessageKey} */ (`state.${hearing.state}`),
      });
    const badge = stateBadge();
    badge.dataset.testid = 'hearing-state';
    replaceChildren(
      this.#head,
      h(
        'div',
        { class: 'head-top' },
        h('h2', { class: 'case-number', text: hearing.case.case_number }),
        badge,
      ),
      h('p', { class: 'cause', text: hearing.case.cause }),
      h(
        'div',
        { class: 'meeting-box' },
        h('span', { class: 'meeting-label', i18n: 'hearing.meetingNumber' }),
        h('span', { class: 'meeting-number big', text: hearing.meeting_number, attrs: { 'data-testid': 'meeting-number' } }),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('div', {}, h('dt', { i18n: 'case.number' }), h('dd', { text: hearing.case.case_number })),
        h('div', {}, h('dt', { i18n: 'case.cause' }), h('dd', { text: hearing.case.cause })),
        h(
          'div',
          {},
          h('dt', { i18n: 'hearing.scheduledAt' }),
          h(
            'dd',
            {},
            h('span', { text: hearing.scheduled_local, attrs: { 'data-testid': 'scheduled-local' } }),
            ' ',
            h('span', { class: 'muted', i18n: 'detail.timeZone', params: { tz } }),
          ),
        ),
        h('div', {}, h('dt', { i18n: 'hearing.state' }), h('dd', {}, stateBadge())),
      ),
    );
  }

  /**
   * @param {HearingDetail} hearing
   * @param {string} tz
   */
  #renderActions(hearing, tz) {
    const allowed = ORDER.filter((tr) => hearing.allowed_transitions.includes(tr));
    replaceChildren(
      this.#actionButtons,
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
    if (RESCHEDULABLE.has(hearing.state)) {
      const form = /** @type {CcRescheduleForm} */ (document.createElement('cc-reschedule-form'));
      replaceChildren(this.#reschedule, form);
      form.setup(hearing, tz);
    } else {
      replaceChildren(this.#reschedule);
    }
  }

  /**
   * @param {Transition} transition
   * @param {HTMLButtonElement} button
   */
  async #transition(transition, button) {
    const hearing = this.#hearing;
    if (!hearing) return;
    this.#actionError.hidden = true;
    this.#actionStatus.textContent = '';
    const question = CONFIRM[transition];
    if (question) {
      const ok = await confirmDialog(question, undefined, /** @type {MessageKey} */ (`transition.${transition}`), DANGER.has(transition));
      if (!ok) return;
    }
    const buttons = [...this.#actionButtons.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    button.setAttribute('aria-busy', 'true');
    try {
      const updated = await transitionHearing(hearing.id, transition);
      this.#show(updated);
      bindText(this.#actionStatus, /** @type {MessageKey} */ (`transition.done.${transition}`));
    } catch (error) {
      buttons.forEach((b) => (b.disabled = false));
      button.removeAttribute('aria-busy');
      setErrorText(this.#actionError, error);
      this.#actionError.hidden = false;
      void this.reload();
    }
  }

  /** @param {HearingDetail} hearing */
  #renderBench(hearing) {
    const titleId = uid('bench-title');
    this.#bench.setAttribute('aria-labelledby', titleId);
    const order = { presiding_judge: 0, judge: 1, clerk: 2 };
    const members = [...hearing.bench].sort((a, b) => (order[a.role] ?? 9) - (order[b.role] ?? 9));
    replaceChildren(
      this.#bench,
      h('h3', { i18n: 'detail.bench', attrs: { id: titleId } }),
      members.length === 0
        ? h('p', { class: 'muted', i18n: 'detail.noBench' })
        : h(
            'dl',
            { class: 'bench' },
            members.map((m) =>
              h(
                'div',
                { attrs: { 'data-role': m.role } },
                h('dt', { i18n: /** @type {MessageKey} */ (`role.${m.role}`) }),
                h('dd', { text: m.display_name }),
              ),
            ),
          ),
    );
  }

  /** @param {HearingDetail} hearing */
  #renderParticipants(hearing) {
    const editable = EDITABLE.has(hearing.state);
    const sendable = SENDABLE.has(hearing.state);
    const tz = this.#court?.time_zone ?? '';
    this.#addBox.hidden = !editable;
    if (hearing.participants.length === 0) {
      replaceChildren(this.#partsTable, h('p', { class: 'empty', i18n: 'detail.noParticipants' }));
      return;
    }
    const none = () => h('span', { class: 'muted', i18n: 'common.none' });
    const table = h(
      'table',
      { class: 'data-table participants' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { i18n: 'participant.name', attrs: { scope: 'col' } }),
          h('th', { i18n: 'participant.role', attrs: { scope: 'col' } }),
          h('th', { i18n: 'participant.phone', attrs: { scope: 'col' } }),
          h('th', { i18n: 'participant.idNumber', attrs: { scope: 'col' } }),
          h('th', { i18n: 'invite.status', attrs: { scope: 'col' } }),
          h('th', { i18n: 'admit.column', attrs: { scope: 'col' } }),
          editable ? h('th', { i18n: 'participant.actions', attrs: { scope: 'col' } }) : null,
        ),
      ),
      h(
        'tbody',
        {},
        hearing.participants.map((p) =>
          h(
            'tr',
            { attrs: { 'data-participant-id': p.id } },
            h('td', { class: 'strong', text: p.name, i18nAttrs: { 'data-label': 'participant.name' } }),
            h('td', { class: 'nowrap', i18n: /** @type {MessageKey} */ (`role.${p.role}`), i18nAttrs: { 'data-label': 'participant.role' } }),
            h(
              'td',
              { class: 'mono', i18nAttrs: { 'data-label': 'participant.phone' } },
              p.phone ?? p.phone_masked ?? none(),
            ),
            h('td', { class: 'mono', i18nAttrs: { 'data-label': 'participant.idNumber' } }, p.id_number || none()),
            h('td', { class: 'cell-invitation', i18nAttrs: { 'data-label': 'invite.status' }, attrs: { 'data-testid': 'invitation-status' } }, this.#invitationCell(p, tz)),
            h('td', { class: 'cell-live', i18nAttrs: { 'data-label': 'admit.column' }, attrs: { 'data-testid': 'live-status' } }),
            editable
              ? h(
                  'td',
                  { class: 'cell-actions grouped', i18nAttrs: { 'data-label': 'participant.actions' } },
                  h(
                    'div',
                    { class: 'cell-buttons' },
                    sendable && (p.phone || p.phone_masked)
                      ? h('button', {
                          class: 'button small',
                          i18n: p.invitation ? 'invite.resend' : 'invite.sendOne',
                          i18nAttrs: { 'aria-label': [p.invitation ? 'invite.resendLabel' : 'invite.sendOneLabel', { name: p.name }] },
                          attrs: { type: 'button', 'data-action': 'resend' },
                          on: { click: (event) => void this.#resend(p, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
                        })
                      : null,
                    h('button', {
                      class: 'button small',
                      i18n: 'participant.edit',
                      i18nAttrs: { 'aria-label': ['participant.editLabel', { name: p.name }] },
                      attrs: { type: 'button' },
                      on: { click: () => this.#edit(p) },
                    }),
                    h('button', {
                      class: 'button small danger-ghost',
                      i18n: 'participant.delete',
                      i18nAttrs: { 'aria-label': ['participant.deleteLabel', { name: p.name }] },
                      attrs: { type: 'button' },
                      on: { click: (event) => void this.#delete(p, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
                    }),
                  ),
                )
              : null,
          ),
        ),
      ),
    );
    replaceChildren(this.#partsTable, table);
    this.#applyLive();
  }

  /**
   * 通知状态 of one participant.
   * @param {Participant} participant
   * @param {string} tz
   * @returns {HTMLElement}
   */
  #invitationCell(participant, tz) {
    const invitation = participant.invitation;
    if (invitation) {
      const status = create('cc-sms-status', CcSmsStatus);
      status.show(invitation, tz);
      if (invitation.kind && invitation.kind !== 'invitation') {
        status.prepend(h('span', { class: 'sms-kind', i18n: /** @type {MessageKey} */ (`sms.kind.${invitation.kind}`) }));
      }
      return status;
    }
    if (!participant.phone && !participant.phone_masked) return h('span', { class: 'badge sms-none warn', i18n: 'invite.noPhone' });
    return h('span', { class: 'badge sms-none', i18n: 'invite.none' });
  }

  /**
   * Send one participant's invitation (again).
   * @param {Participant} participant
   * @param {HTMLButtonElement} button
   */
  async #resend(participant, button) {
    this.#partsError.hidden = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await resendInvitation(this.#hearingId, participant.id);
      bindText(this.#partsStatus, participant.invitation ? 'invite.resent' : 'invite.sentOne', { name: participant.name });
    } catch (error) {
      setErrorText(this.#partsError, error);
      this.#partsError.hidden = false;
    }
    button.disabled = false;
    button.removeAttribute('aria-busy');
    await this.reload();
  }

  // ---------- live presence and admission (准许入庭) ----------

  /** @param {string} hearingId */
  #startLive(hearingId) {
    this.#live?.close();
    this.#roster = new Map();
    const live = new LiveClient(hearingId);
    this.#live = live;
    live.on('change', (store) => {
      if (live !== this.#live) return;
      // Witnesses waiting outside (until called in) are listed apart from the room's members.
      const people = [...store.members, ...store.witnesses];
      this.#roster = new Map(people.filter((m) => m.kind === 'participant').map((m) => [m.id, m]));
      this.#applyLive();
      // Someone added a participant elsewhere: read the hearing again to show them.
      const known = new Set(this.#hearing?.participants.map((p) => p.id) ?? []);
      if (this.#hearing && [...this.#roster.keys()].some((id) => !known.has(id))) void this.reload({ quiet: true });
    });
    live.connect();
  }

  /** Fill each participant's presence cell from the roster. */
  #applyLive() {
    const hearing = this.#hearing;
    if (!hearing) return;
    const admitting = EDITABLE.has(hearing.state);
    for (const row of this.#partsTable.querySelectorAll('tr[data-participant-id]')) {
      const id = /** @type {HTMLElement} */ (row).dataset.participantId ?? '';
      const cell = /** @type {HTMLElement | null} */ (row.querySelector('td.cell-live'));
      const member = this.#roster.get(id);
      if (!cell) continue;
      const participant = hearing.participants.find((p) => p.id === id);
      const key = JSON.stringify([member ?? null, admitting]);
      if (cell.dataset.drawn === key) continue;
      cell.dataset.drawn = key;
      if (!member) {
        replaceChildren(cell, h('span', { class: 'muted', i18n: 'common.none' }));
        continue;
      }
      /** @type {MessageKey | null} */
      let status = null;
      if (member.checked_in) status = 'admit.checkedIn';
      else if (member.connected && member.rules_confirmed) status = 'admit.waiting';
      else if (member.connected) status = 'admit.rulesPending';
      const admit =
        admitting && !member.checked_in && member.rules_confirmed && participant
          ? h('button', {
              class: 'button small primary',
              i18n: 'admit.do',
              i18nAttrs: { 'aria-label': ['admit.doLabel', { name: member.name }] },
              attrs: { type: 'button', 'data-action': 'admit' },
              on: { click: (event) => void this.#admit(participant, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
            })
          : null;
      replaceChildren(
        cell,
        h(
          'div',
          // Styles of court.css: green for online and checked in, amber for waiting, grey for offline.
          { class: 'cell-buttons live-cell' },
          h('span', {
            class: `badge ${member.connected ? 'state-in_session' : ''}`,
            i18n: member.connected ? 'admit.online' : 'admit.offline',
          }),
          status
            ? h('span', { class: `badge ${member.checked_in ? 'state-in_session' : member.rules_confirmed ? 'state-recess' : ''}`, i18n: status })
            : null,
          admit,
        ),
      );
    }
  }

  /**
   * 准许入庭: check the participant in; the roster then says 已签到.
   * @param {Participant} participant
   * @param {HTMLButtonElement} button
   */
  async #admit(participant, button) {
    this.#partsError.hidden = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await checkInParticipant(this.#hearingId, participant.id);
      bindText(this.#partsStatus, 'admit.done', { name: participant.name });
    } catch (error) {
      setErrorText(this.#partsError, error);
      this.#partsError.hidden = false;
      button.disabled = false;
    }
    button.removeAttribute('aria-busy');
  }

  /** @param {Participant} participant */
  #edit(participant) {
    const form = /** @type {CcParticipantForm} */ (document.createElement('cc-participant-form'));
    const close = h('button', {
      class: 'button small ghost dialog-close',
      i18n: 'dialog.close',
      attrs: { type: 'button' },
    });
    const dialog = h('dialog', { class: 'dialog wide' }, close, form);
    form.setup(this.#hearingId, participant);
    const titleId = form.querySelector('h3')?.id;
    if (titleId) dialog.setAttribute('aria-labelledby', titleId);
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    form.addEventListener('cc-participant-saved', () => dialog.close());
    this.append(dialog);
    dialog.showModal();
    form.focus();
  }

  /**
   * @param {Participant} participant
   * @param {HTMLButtonElement} button
   */
  async #delete(participant, button) {
    this.#partsError.hidden = true;
    const ok = await confirmDialog('confirm.deleteParticipant', { name: participant.name }, 'participant.delete', true);
    if (!ok) return;
    button.disabled = true;
    try {
      await deleteParticipant(this.#hearingId, participant.id);
      bindText(this.#partsStatus, 'participant.deleted', { name: participant.name });
    } catch (error) {
      setErrorText(this.#partsError, error);
      this.#partsError.hidden = false;
    }
    await this.reload();
  }
}

customElements.define('cc-hearing-detail', CcHearingDetail);
