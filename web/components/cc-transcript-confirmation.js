/**
 * <cc-transcript-confirmation>: the confirmation overview of a hearing's transcript (确认笔录), for the judge and the
 * clerk, beside the transcript editor. 发起确认笔录 (asks first) opens the confirmation; then one task per participant
 * with their status (待签名 / 已签名 / 签名已过期（笔录已更新） / 申请补正) and their latest signature's image, time and
 * version; the correction requests (申请补正) with their text, and for the clerk 采纳 (after saving the corrected
 * version: the dialog says which version will be recorded) and 驳回 (with a reason); a link to the signed PDF.
 * The editor calls `refresh()` on the live channel's `confirmation` and `transcript` messages and after each save.
 *
 * data-testid:
 * - `transcript-confirmation`   the panel; `data-open` when the confirmation is open
 * - `open-confirmation`         发起确认笔录 (shown to the judge and the clerk while not open)
 * - `confirmation-state`        the sentence saying whether (and when) it was opened and which version is to be signed
 * - `confirmation-tasks`        the task list; each item `confirmation-task` with `data-participant-id` and
 *                               `data-status` (pending | signed | outdated | correction_requested)
 * - `signature-image`           a task's signature image (its `image_url`), with `data-version`
 * - `corrections`               the correction list; each item `correction` with `data-correction-id` and `data-status`
 *                               (pending | accepted | refused)
 * - `correction-accept`, `correction-refuse`   the clerk's buttons on a pending correction
 * - `correction-reason`, `correction-refuse-submit`   the refusal dialog's reason and button
 * - `transcript-pdf`            download the latest version's PDF
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText, showError, errorSlot, formErrorBox, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { serial } from '../lib/serial.js';
import { formatInZone } from '../lib/time.js';
import { getConfirmation, listCorrections, openConfirmation, resolveCorrection, transcriptPdfUrl } from '../lib/transcript.js';
import { confirmDialog } from './cc-confirm-dialog.js';

/** @typedef {import('../lib/types.js').Confirmation} Confirmation */
/** @typedef {import('../lib/types.js').ConfirmationTask} ConfirmationTask */
/** @typedef {import('../lib/types.js').Correction} Correction */
/** @typedef {import('../lib/types.js').Role} Role */
/** @typedef {import('../lib/types.js').StaffRole} StaffRole */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * @typedef {Object} ConfirmationSetup
 * @property {string} hearingId
 * @property {StaffRole} role the signed-in staff member's role
 * @property {string} timeZone
 * @property {() => number} latestVersion the latest version the editor knows (named when accepting a correction)
 */

export class CcTranscriptConfirmation extends HTMLElement {
  /** @type {ConfirmationSetup | null} */
  #setup = null;
  /** @type {Confirmation | null} */
  #confirmation = null;
  /** @type {Correction[]} */
  #corrections = [];
  /** One read at a time, one more if asked meanwhile. */
  #load = serial(() => this.#loadOnce());

  #panel = h('section', { class: 'panel tx-confirmation', attrs: { 'data-testid': 'transcript-confirmation' } });
  #progress = h('span', { class: 'badge', attrs: { hidden: true } });
  #state = h('p', { class: 'tx-confirm-state', attrs: { 'data-testid': 'confirmation-state' } });
  #open = h('button', {
    class: 'button primary',
    i18n: 'transcript.confirmation.open',
    attrs: { type: 'button', hidden: true, 'data-testid': 'open-confirmation' },
  });
  #pdf = h('a', {
    class: 'button small ghost',
    i18n: 'transcript.confirmation.pdf',
    attrs: { hidden: true, download: true, 'data-testid': 'transcript-pdf' },
  });
  #tasks = h('ul', { class: 'tx-tasks', attrs: { 'data-testid': 'confirmation-tasks' } });
  #correctionList = h('ul', { class: 'tx-corrections', attrs: { 'data-testid': 'corrections' } });
  #status = h('p', { class: 'status', attrs: { role: 'status' } });
  #error = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });

  /** @param {ConfirmationSetup} setup */
  setup(setup) {
    this.#setup = setup;
    const titleId = uid('tx-confirm');
    const tasksId = uid('tx-tasks');
    const correctionsId = uid('tx-corrections');
    this.#panel.setAttribute('aria-labelledby', titleId);
    this.#tasks.setAttribute('aria-labelledby', tasksId);
    this.#correctionList.setAttribute('aria-labelledby', correctionsId);
    this.#pdf.setAttribute('href', transcriptPdfUrl(setup.hearingId));
    this.#open.addEventListener('click', () => void this.#openConfirmation());
    replaceChildren(
      this.#panel,
      h('h3', { class: 'side-title' }, h('span', { i18n: 'transcript.confirmation.title', attrs: { id: titleId } }), this.#progress),
      this.#state,
      h('p', { class: 'actions' }, this.#open, this.#pdf),
      this.#error,
      this.#status,
      h('h4', { class: 'tx-subtitle', i18n: 'transcript.confirmation.tasks', attrs: { id: tasksId } }),
      this.#tasks,
      h('h4', { class: 'tx-subtitle', i18n: 'transcript.confirmation.corrections', attrs: { id: correctionsId } }),
      this.#correctionList,
    );
    bindText(this.#state, 'transcript.confirmation.loading');
    replaceChildren(this, this.#panel);
  }

  /** Read the confirmation and the corrections again (calls made meanwhile are folded into one more read). */
  async refresh() {
    if (!this.#setup) return;
    await this.#load();
  }

  async #loadOnce() {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    try {
      const [confirmation, corrections] = await Promise.all([getConfirmation(setup.hearingId), listCorrections(setup.hearingId)]);
      this.#confirmation = confirmation;
      this.#corrections = corrections;
      this.#render();
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }

  #render() {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    const confirmation = /** @type {Confirmation} */ (this.#confirmation);
    const tz = setup.timeZone;
    const mayOpen = setup.role === 'judge' || setup.role === 'clerk';
    this.#error.hidden = true;
    this.#panel.toggleAttribute('data-open', confirmation.open);
    if (confirmation.open) {
      bindText(this.#state, 'transcript.confirmation.openedAt', {
        time: confirmation.opened_at ? formatInZone(confirmation.opened_at, tz) : '',
        version: confirmation.version,
      });
    } else bindText(this.#state, 'transcript.confirmation.notOpen');
    this.#open.hidden = confirmation.open || !mayOpen;
    this.#pdf.hidden = confirmation.version < 1;
    const signed = confirmation.tasks.filter((task) => task.status === 'signed').length;
    this.#progress.hidden = !confirmation.open || confirmation.tasks.length === 0;
    this.#progress.className = `badge ${signed === confirmation.tasks.length ? 'state-in_session' : 'state-recess'}`;
    bindText(this.#progress, 'transcript.confirmation.progress', { signed, total: confirmation.tasks.length });
    this.#renderTasks(confirmation.tasks, tz);
    this.#renderCorrections(tz);
  }

  /**
   * @param {ConfirmationTask[]} tasks
   * @param {string} tz
   */
  #renderTasks(tasks, tz) {
    const key = JSON.stringify(tasks);
    if (this.#tasks.dataset.drawn === key) return;
    this.#tasks.dataset.drawn = key;
    if (tasks.length === 0) {
      replaceChildren(this.#tasks, h('li', { class: 'muted', i18n: 'transcript.confirmation.noTasks' }));
      return;
    }
    replaceChildren(
      this.#tasks,
      tasks.map((task) =>
        h(
          'li',
          {
            class: `tx-task status-${task.status}`,
            attrs: { 'data-testid': 'confirmation-task', 'data-participant-id': task.participant_id, 'data-status': task.status },
          },
          h(
            'div',
            { class: 'tx-task-head' },
            who(task.role, task.name),
            h('span', {
              class: `badge ${STATUS_CLASS[task.status] ?? ''}`,
              i18n: /** @type {MessageKey} */ (`transcript.confirmation.status.${task.status}`),
              attrs: { 'data-testid': 'task-status' },
            }),
          ),
          task.signature
            ? h(
                'figure',
                { class: 'tx-signature' },
                h('img', {
                  i18nAttrs: { alt: ['transcript.confirmation.signatureAlt', { name: task.name }] },
                  attrs: {
                    src: task.signature.image_url,
                    loading: 'lazy',
                    'data-testid': 'signature-image',
                    'data-version': task.signature.version,
                  },
                }),
                h('figcaption', {
                  class: 'muted small',
                  i18n: 'transcript.confirmation.signedAt',
                  params: { time: formatInZone(task.signature.signed_at, tz), version: task.signature.version },
                }),
              )
            : null,
        ),
      ),
    );
  }

  /** @param {string} tz */
  #renderCorrections(tz) {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    const list = this.#corrections;
    const key = JSON.stringify(list);
    if (this.#correctionList.dataset.drawn === key) return;
    this.#correctionList.dataset.drawn = key;
    if (list.length === 0) {
      replaceChildren(this.#correctionList, h('li', { class: 'muted', i18n: 'transcript.confirmation.noCorrections' }));
      return;
    }
    const mayResolve = setup.role === 'clerk';
    replaceChildren(
      this.#correctionList,
      list.map((c) =>
        h(
          'li',
          { class: `tx-correction status-${c.status}`, attrs: { 'data-testid': 'correction', 'data-correction-id': c.id, 'data-status': c.status } },
          h(
            'div',
            { class: 'tx-task-head' },
            who(c.role, c.name),
            h('span', {
              class: `badge ${c.status === 'pending' ? 'state-recess' : c.status === 'accepted' ? 'state-in_session' : ''}`,
              i18n: /** @type {MessageKey} */ (`transcript.confirmation.correction.${c.status}`),
            }),
          ),
          h('p', {
            class: 'muted small',
            i18n: 'transcript.confirmation.correctionMeta',
            params: { time: formatInZone(c.requested_at, tz), version: c.version },
          }),
          h('p', { class: 'tx-correction-text', text: c.text }),
          c.resolved_version !== null && c.status === 'accepted'
            ? h('p', { class: 'small', i18n: 'transcript.confirmation.resolvedIn', params: { version: c.resolved_version } })
            : null,
          c.reason ? h('p', { class: 'small', i18n: 'transcript.confirmation.reason', params: { reason: c.reason } }) : null,
          mayResolve && c.status === 'pending'
            ? h(
                'p',
                { class: 'actions' },
                h('button', {
                  class: 'button small primary',
                  i18n: 'transcript.confirmation.accept',
                  i18nAttrs: { 'aria-label': ['transcript.confirmation.acceptLabel', { name: c.name }] },
                  attrs: { type: 'button', 'data-testid': 'correction-accept' },
                  on: { click: (event) => void this.#accept(c, /** @type {HTMLButtonElement} */ (event.currentTarget)) },
                }),
                h('button', {
                  class: 'button small danger-ghost',
                  i18n: 'transcript.confirmation.refuse',
                  i18nAttrs: { 'aria-label': ['transcript.confirmation.refuseLabel', { name: c.name }] },
                  attrs: { type: 'button', 'data-testid': 'correction-refuse' },
                  on: { click: () => this.#refuse(c) },
                }),
              )
            : null,
        ),
      ),
    );
  }

  async #openConfirmation() {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    this.#error.hidden = true;
    const version = this.#confirmation?.version ?? setup.latestVersion();
    const ok = await confirmDialog('transcript.confirmation.confirmOpen', { version }, 'transcript.confirmation.open');
    if (!ok) return;
    try {
      this.#confirmation = await whileBusy(this.#open, () => openConfirmation(setup.hearingId));
      this.#render();
      bindText(this.#status, 'transcript.confirmation.opened');
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }

  /**
   * 采纳: the clerk has saved the corrected text; the latest version is recorded with the correction.
   * @param {Correction} correction
   * @param {HTMLButtonElement} button
   */
  async #accept(correction, button) {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    this.#error.hidden = true;
    const version = Math.max(setup.latestVersion(), this.#confirmation?.version ?? 0);
    const ok = await confirmDialog('transcript.confirmation.acceptConfirm', { version }, 'transcript.confirmation.accept');
    if (!ok) return;
    button.disabled = true;
    try {
      await resolveCorrection(setup.hearingId, correction.id, true, '');
      bindText(this.#status, 'transcript.confirmation.accepted', { name: correction.name });
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
      button.disabled = false;
    }
    await this.refresh();
  }

  /**
   * 驳回, with a reason, in a dialog.
   * @param {Correction} correction
   */
  #refuse(correction) {
    const setup = /** @type {ConfirmationSetup} */ (this.#setup);
    const titleId = uid('tx-refuse');
    const reasonId = uid('tx-reason');
    const reason = h('textarea', { attrs: { id: reasonId, rows: 3, maxlength: 500, 'data-testid': 'correction-reason', 'data-field': 'reason' } });
    const submit = h('button', {
      class: 'button danger',
      i18n: 'transcript.confirmation.refuseSubmit',
      attrs: { type: 'submit', 'data-testid': 'correction-refuse-submit' },
    });
    const cancel = h('button', { class: 'button ghost', i18n: 'dialog.dismiss', attrs: { type: 'button' } });
    const form = h(
      'form',
      { class: 'stack', attrs: { novalidate: true } },
      h('h3', { i18n: 'transcript.confirmation.refuseTitle', attrs: { id: titleId } }),
      h('p', { class: 'tx-correction-text', text: correction.text }),
      h('div', { class: 'field' }, h('label', { i18n: 'transcript.confirmation.refuseReason', attrs: { for: reasonId } }), reason, errorSlot('reason')),
      formErrorBox(),
      h('div', { class: 'actions end' }, cancel, submit),
    );
    const dialog = h('dialog', { class: 'dialog', attrs: { 'aria-labelledby': titleId } }, form);
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        const slot = /** @type {HTMLElement} */ (form.querySelector('[data-field-error="reason"]'));
        bindText(slot, 'transcript.confirmation.refuseRequired');
        slot.hidden = false;
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      submit.disabled = true;
      try {
        await resolveCorrection(setup.hearingId, correction.id, false, text);
        dialog.close();
        bindText(this.#status, 'transcript.confirmation.refused', { name: correction.name });
        await this.refresh();
      } catch (error) {
        showError(form, error);
        submit.disabled = false;
      }
    });
    this.append(dialog);
    dialog.showModal();
    reason.focus();
  }
}

/**
 * Who a task or a request is of: 原告 贾1.
 * @param {Role} role
 * @param {string} name
 * @returns {HTMLElement}
 */
function who(role, name) {
  return h(
    'span',
    { class: 'tx-task-who' },
    h('span', { class: 'tx-role', i18n: /** @type {MessageKey} */ (`role.${role}`) }),
    ' ',
    h('strong', { text: name }),
  );
}

/** Badge styles of court.css per task status. */
const STATUS_CLASS = /** @type {Record<string, string>} */ ({
  signed: 'state-in_session',
  outdated: 'state-cancelled',
  correction_requested: 'state-recess',
  pending: 'state-scheduled',
});

customElements.define('cc-transcript-confirmation', CcTranscriptConfirmation);
