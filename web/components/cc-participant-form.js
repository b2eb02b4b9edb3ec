/** <cc-participant-form>: add (添加参与人) or edit one participant — 姓名, 角色, 手机号码, 身份证号码; fires `cc-participant-saved`. */

import { addParticipant, updateParticipant } from '../lib/api.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { clearErrors, field, formErrorBox, showError, valueOf, whileBusy } from '../lib/forms.js';

/** @typedef {import('../lib/types.js').Participant} Participant */
/** @typedef {import('../lib/types.js').ParticipantInput} ParticipantInput */
/** @typedef {import('../lib/types.js').Role} Role */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** The roles a court registers as participants, in the order offered. */
export const PARTY_ROLES = /** @type {const} */ (['plaintiff', 'defendant', 'third_party', 'agent', 'witness', 'expert', 'interpreter']);

export class CcParticipantForm extends HTMLElement {
  #hearingId = '';
  /** @type {Participant | null} */
  #participant = null;
  /** @type {HTMLInputElement | null} */
  #firstInput = null;

  /**
   * @param {string} hearingId
   * @param {Participant | null} [participant] when given, the form edits it (full replacement)
   */
  setup(hearingId, participant = null) {
    this.#hearingId = hearingId;
    this.#participant = participant;
    this.#render();
  }

  focus() {
    this.#firstInput?.focus();
  }

  #render() {
    const editing = this.#participant;
    const titleId = uid('participant-title');
    const name = h('input', { attrs: { name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off' } });
    /** @type {readonly string[]} */
    const roles = editing && !PARTY_ROLES.includes(/** @type {never} */ (editing.role)) ? [...PARTY_ROLES, editing.role] : PARTY_ROLES;
    const role = h(
      'select',
      { attrs: { name: 'role', required: true } },
      roles.map((r) => h('option', { i18n: /** @type {MessageKey} */ (`role.${r}`), attrs: { value: r } })),
    );
    const phone = h('input', {
      attrs: { name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'off', maxlength: 20 },
    });
    const idNumber = h('input', { attrs: { name: 'id_number', type: 'text', autocomplete: 'off', maxlength: 18, spellcheck: 'false' } });
    if (editing) {
      name.value = editing.name;
      role.value = editing.role;
      phone.value = editing.phone ?? '';
      idNumber.value = editing.id_number ?? '';
    }
    this.#firstInput = name;

    const submit = h('button', {
      class: 'button primary',
      i18n: editing ? 'participant.save' : 'participant.add',
      attrs: { type: 'submit' },
    });
    const form = h(
      'form',
      { class: 'stack participant-form', attrs: { 'aria-labelledby': titleId } },
      h('div', { class: 'row' },
        field({ label: 'participant.name', control: name, field: 'name' }),
        field({ label: 'participant.role', control: role, field: 'role' }),
      ),
      h('div', { class: 'row' },
        field({ label: 'participant.phone', control: phone, field: 'phone' }),
        field({ label: 'participant.idNumberOptional', control: idNumber, field: 'id_number' }),
      ),
      formErrorBox(),
      h('div', { class: 'actions' }, submit),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      /** @type {ParticipantInput} */
      const input = { name: valueOf(name), role: /** @type {Role} */ (role.value) };
      const phoneValue = valueOf(phone).replace(/[\s-]/g, '');
      if (phoneValue) input.phone = phoneValue;
      const idValue = valueOf(idNumber);
      if (idValue) input.id_number = idValue;
      void whileBusy(submit, async () => {
        try {
          const saved = editing
            ? await updateParticipant(this.#hearingId, editing.id, input)
            : await addParticipant(this.#hearingId, input);
          if (!editing) {
            name.value = '';
            phone.value = '';
            idNumber.value = '';
          }
          this.dispatchEvent(
            new CustomEvent('cc-participant-saved', { bubbles: true, detail: { participant: saved, edited: Boolean(editing) } }),
          );
        } catch (error) {
          showError(form, error);
        }
      });
    });

    const heading = editing
      ? h('h3', { i18n: 'participant.editTitle', attrs: { id: titleId } })
      : h('h3', { i18n: 'participant.addTitle', attrs: { id: titleId } });
    replaceChildren(this, heading, form);
  }
}

customElements.define('cc-participant-form', CcParticipantForm);
