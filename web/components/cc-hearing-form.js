/** <cc-hearing-form>: the 安排庭审 form — case, court-local date + time, presiding judge, other judges, clerk; fires `cc-hearing-created`. */

import { createHearing } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, errorSlot, field, formErrorBox, showError, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { courtNextHour, joinLocal } from '../lib/time.js';

/** @typedef {import('../lib/types.js').Case} Case */
/** @typedef {import('../lib/types.js').User} User */
/** @typedef {import('../lib/types.js').Court} Court */

/**
 * @typedef {Object} HearingFormData
 * @property {Case[]} cases
 * @property {User[]} staff the court's staff; judges and clerks are offered from it
 * @property {User} user the signed-in user (the default clerk when a clerk)
 * @property {Court} court
 * @property {string} [caseId] the case to preselect
 */

export class CcHearingForm extends HTMLElement {
  /** @type {HearingFormData | null} */
  #data = null;

  /** @param {HearingFormData} data */
  setData(data) {
    this.#data = data;
    this.#render();
  }

  connectedCallback() {
    if (!this.firstChild) this.#render();
  }

  #render() {
    const titleId = uid('hearing-form-title');
    const data = this.#data;
    if (!data) {
      replaceChildren(this, h('section', { class: 'panel' }, h('h2', { i18n: 'hearingForm.title' }), h('p', { class: 'muted', i18n: 'app.loading' })));
      return;
    }
    const active = data.staff.filter((u) => !u.disabled);
    const judges = active.filter((u) => u.role === 'judge');
    const clerks = active.filter((u) => u.role === 'clerk');

    const caseSelect = h(
      'select',
      { attrs: { name: 'case_id', required: true } },
      h('option', { i18n: 'hearingForm.chooseCase', attrs: { value: '' } }),
      data.cases.map((c) => h('option', { text: `${c.case_number}（${c.cause}）`, attrs: { value: c.id } })),
    );
    if (data.caseId && data.cases.some((c) => c.id === data.caseId)) caseSelect.value = data.caseId;

    const tzHintId = uid('tz-hint');
    const slot = courtNextHour(data.court.time_zone);
    const date = h('input', {
      attrs: { name: 'date', type: 'date', required: true, value: slot.date, 'aria-describedby': tzHintId },
    });
    const time = h('input', { attrs: { name: 'time', type: 'time', required: true, step: 60, value: slot.time, 'aria-describedby': tzHintId } });
    const whenError = errorSlot('scheduled_at');
    date.dataset.field = 'scheduled_at';
    time.dataset.field = 'scheduled_at';
    date.id = uid('f');
    time.id = uid('f');
    date.setAttribute('aria-describedby', `${tzHintId} ${whenError.id}`);
    time.setAttribute('aria-describedby', `${tzHintId} ${whenError.id}`);
    const when = h(
      'div',
      { class: 'field-group' },
      h(
        'div',
        { class: 'row' },
        h('div', { class: 'field' }, h('label', { i18n: 'hearingForm.date', attrs: { for: date.id } }), date),
        h('div', { class: 'field' }, h('label', { i18n: 'hearingForm.time', attrs: { for: time.id } }), time),
      ),
      h('p', { class: 'hint', i18n: 'hearingForm.timeZone', params: { tz: data.court.time_zone }, attrs: { id: tzHintId } }),
      whenError,
    );

    const presiding = h(
      'select',
      { attrs: { name: 'presiding', required: true } },
      h('option', { i18n: 'hearingForm.choose', attrs: { value: '' } }),
      judges.map((u) => h('option', { text: u.display_name, attrs: { value: u.id } })),
    );
    if (judges.length === 1 && judges[0]) presiding.value = judges[0].id;

    /** @type {HTMLInputElement[]} */
    const others = [];
    const othersLegendId = uid('others');
    const othersError = errorSlot('judge_ids');
    const othersBox = h(
      'fieldset',
      { class: 'field checks', attrs: { 'aria-describedby': othersError.id } },
      h('legend', { i18n: 'hearingForm.otherJudges', attrs: { id: othersLegendId } }),
      judges.map((u) => {
        const box = h('input', { attrs: { type: 'checkbox', name: 'judges', value: u.id, id: uid('judge') } });
        box.dataset.field = 'judge_ids';
        others.push(box);
        return h('label', { class: 'check', attrs: { 'data-user-id': u.id } }, box, h('span', { text: u.display_name }));
      }),
      h('p', { class: 'hint', i18n: 'hearingForm.noOtherJudges', attrs: { 'data-none': true } }),
      othersError,
    );
    const syncOthers = () => {
      let shown = 0;
      for (const box of others) {
        const isPresiding = box.value === presiding.value;
        const label = /** @type {HTMLElement} */ (box.closest('label'));
        label.hidden = isPresiding;
        if (isPresiding) box.checked = false;
        else shown += 1;
      }
      const none = /** @type {HTMLElement} */ (othersBox.querySelector('[data-none]'));
      none.hidden = shown > 0;
    };
    presiding.addEventListener('change', syncOthers);
    syncOthers();

    const clerk = h(
      'select',
      { attrs: { name: 'clerk_id', required: true } },
      h('option', { i18n: 'hearingForm.choose', attrs: { value: '' } }),
      clerks.map((u) => h('option', { text: u.display_name, attrs: { value: u.id } })),
    );
    if (data.user.role === 'clerk' && clerks.some((u) => u.id === data.user.id)) clerk.value = data.user.id;
    else if (clerks.length === 1 && clerks[0]) clerk.value = clerks[0].id;

    const submit = h('button', { class: 'button primary', i18n: 'hearingForm.submit', attrs: { type: 'submit' } });
    const form = h(
      'form',
      { class: 'stack', attrs: { 'aria-labelledby': titleId } },
      data.cases.length === 0 ? h('p', { class: 'notice', i18n: 'hearingForm.noCases' }) : null,
      field({ label: 'hearingForm.case', control: caseSelect, field: 'case_id' }),
      when,
      field({ label: 'hearingForm.presiding', control: presiding, field: 'judge_ids' }),
      othersBox,
      field({ label: 'hearingForm.clerk', control: clerk, field: 'clerk_id' }),
      formErrorBox(),
      h('div', { class: 'actions' }, submit),
    );
    // The presiding judge's select and the other judges share the API field `judge_ids`;
    // show a `judge_ids` problem once, under the presiding judge.
    othersError.removeAttribute('data-field-error');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      const judgeIds = [presiding.value, ...others.filter((b) => b.checked && b.value !== presiding.value).map((b) => b.value)];
      void whileBusy(submit, async () => {
        try {
          const created = await createHearing({
            case_id: caseSelect.value,
            scheduled_at: joinLocal(date.value, time.value),
            judge_ids: judgeIds.filter(Boolean),
            clerk_id: clerk.value,
          });
          this.dispatchEvent(new CustomEvent('cc-hearing-created', { bubbles: true, detail: created }));
        } catch (error) {
          showError(form, error);
        }
      });
    });

    const title = h('h2', { attrs: { id: titleId } });
    bindText(title, 'hearingForm.title');
    replaceChildren(this, h('section', { class: 'panel' }, title, form));
  }
}

customElements.define('cc-hearing-form', CcHearingForm);
