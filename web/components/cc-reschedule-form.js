/** <cc-reschedule-form>: 修改开庭时间 — a court-local date + time sent as `scheduled_at`; fires `cc-hearing-updated`. */

import { rescheduleHearing } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, errorSlot, formErrorBox, showError, whileBusy } from '../lib/forms.js';
import { joinLocal, splitLocal } from '../lib/time.js';

/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */

export class CcRescheduleForm extends HTMLElement {
  /**
   * @param {HearingDetail} hearing
   * @param {string} timeZone the court's zone
   */
  setup(hearing, timeZone) {
    const titleId = uid('reschedule-title');
    const hintId = uid('reschedule-hint');
    const current = splitLocal(hearing.scheduled_local);
    const error = errorSlot('scheduled_at');
    const describedBy = `${hintId} ${error.id}`;
    const date = h('input', {
      attrs: { id: uid('f'), name: 'date', type: 'date', required: true, value: current.date, 'aria-describedby': describedBy },
    });
    const time = h('input', {
      attrs: { id: uid('f'), name: 'time', type: 'time', required: true, step: 60, value: current.time, 'aria-describedby': describedBy },
    });
    date.dataset.field = 'scheduled_at';
    time.dataset.field = 'scheduled_at';
    const submit = h('button', { class: 'button', i18n: 'reschedule.submit', attrs: { type: 'submit' } });
    const form = h(
      'form',
      { class: 'stack', attrs: { 'aria-labelledby': titleId } },
      h(
        'div',
        { class: 'row' },
        h('div', { class: 'field' }, h('label', { i18n: 'hearingForm.date', attrs: { for: date.id } }), date),
        h('div', { class: 'field' }, h('label', { i18n: 'hearingForm.time', attrs: { for: time.id } }), time),
      ),
      h('p', { class: 'hint', i18n: 'hearingForm.timeZone', params: { tz: timeZone }, attrs: { id: hintId } }),
      error,
      formErrorBox(),
      h('div', { class: 'actions' }, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      void whileBusy(submit, async () => {
        try {
          const updated = await rescheduleHearing(hearing.id, joinLocal(date.value, time.value));
          this.dispatchEvent(new CustomEvent('cc-hearing-updated', { bubbles: true, detail: { hearing: updated, rescheduled: true } }));
        } catch (err) {
          showError(form, err);
        }
      });
    });
    replaceChildren(this, h('h3', { i18n: 'reschedule.title', attrs: { id: titleId } }), form);
  }
}

customElements.define('cc-reschedule-form', CcRescheduleForm);
