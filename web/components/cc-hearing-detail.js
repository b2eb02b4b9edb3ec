/** <cc-hearing-detail>: one hearing — case, time, 会议号, state, bench, participants (add/edit/delete), transitions and 修改开庭时间. */

import { deleteParticipant, getHearing, transitionHearing } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { confirmDialog } from './cc-confirm-dialog.js';
import { CcParticipantForm } from './cc-participant-form.js';
import { CcRescheduleForm } from './cc-reschedule-form.js';

/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/types.js').Participant} Participant */
/** @typedef {import('../lib/types.js').Transition} Transition */
/** @typedef {import('../lib/types.js').HearingState} HearingState */
/** @typedef {import('../lib/types.js').Court} Court */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** Transitions that ask before they happen. */
const CONFIRM = /** @type {Partial<Record<Transition, MessageKey>>} */ ({
  cancel: 'confirm.cancel',
  close: 'confirm.close',
  archive: 'confirm.archive',
});

/** Transitions shown as the main (primary) action. */
const PRIMARY = new Set(['open', 'start', 'resume']);
/** Transitions shown as destructive. */
const DANGER = new Set(['cancel', 'close']);
/** States in which the participants may still be changed. */
const EDITABLE = new Set(['scheduled', 'open', 'in_session', 'recess']);
/** States in which the time may be changed. */
const RESCHEDULABLE = new Set(['scheduled', 'open']);
/** Transition buttons in a stable order. */
const ORDER = /** @type {Transition[]} */ (['open', 'start', 'recess', 'resume', 'close', 'archive', 'cancel']);

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

  /**
   * Show the hearing `hearingId`, from `initial` when given, else loaded from the server.
   * @param {string} hearingId
   * @param {Court} court
   * @param {HearingDetail} [initial]
   */
  setup(hearingId, court, initial) {
    this.#hearingId = hearingId;
    this.#court = court;
    this.#hearing = null;
    this.#addForm.setup(hearingId);
    this.#addBox.append(this.#addForm);
    const actionsTitle = uid('actions-title');
    replaceChildren(
      this.#actions,
      h('h3', { i18n: 'detail.actions', attrs: { id: actionsTitle } }),
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
    replaceChildren(this.#side, this.#actions, this.#bench);
    replaceChildren(
      this,
      h('p', { class: 'back' }, h('a', { class: 'back-link', i18n: 'detail.back', attrs: { href: '#/hearings' } })),
      h('div', { class: 'detail-grid' }, this.#head, this.#side, this.#parts),
    );
    this.addEventListener('cc-participant-saved', this.#onParticipantSaved);
    this.addEventListener('cc-hearing-updated', this.#onHearingUpdated);
    if (initial) this.#show(initial);
    else {
      replaceChildren(this.#head, h('p', { class: 'muted', i18n: 'detail.loading' }));
      void this.reload();
    }
  }

  /** Re-read the hearing from the server. */
  async reload() {
    const id = this.#hearingId;
    try {
      const hearing = await getHearing(id);
      if (id === this.#hearingId) this.#show(hearing);
    } catch (error) {
      if (id !== this.#hearingId) return;
      const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
      setErrorText(message, error);
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
    this.#renderHead(hearing, tz);
    this.#renderActions(hearing, tz);
    this.#renderBench(hearing);
    this.#renderParticipants(hearing);
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
            h('td', { i18n: /** @type {MessageKey} */ (`role.${p.role}`), i18nAttrs: { 'data-label': 'participant.role' } }),
            h(
              'td',
              { class: 'mono', i18nAttrs: { 'data-label': 'participant.phone' } },
              p.phone ?? p.phone_masked ?? none(),
            ),
            h('td', { class: 'mono', i18nAttrs: { 'data-label': 'participant.idNumber' } }, p.id_number || none()),
            editable
              ? h(
                  'td',
                  { class: 'cell-actions', i18nAttrs: { 'data-label': 'participant.actions' } },
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
                )
              : null,
          ),
        ),
      ),
    );
    replaceChildren(this.#partsTable, table);
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
