/** <cc-confirm-dialog>: a modal yes/no question; `confirmDialog(key, params, confirmKey)` resolves true when confirmed. */

import { h, replaceChildren, uid } from '../lib/dom.js';

/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {import('../lib/i18n.js').Params} Params */

export class CcConfirmDialog extends HTMLElement {
  /**
   * Ask, and resolve with the answer once the dialog closes (Esc counts as no).
   * @param {MessageKey} question
   * @param {Params | undefined} params
   * @param {MessageKey} confirmLabel the label of the confirming button, e.g. the action's own name
   * @param {boolean} danger style the confirming button as destructive
   * @returns {Promise<boolean>}
   */
  ask(question, params, confirmLabel, danger) {
    const messageId = uid('confirm-msg');
    const dialog = h(
      'dialog',
      { class: 'dialog', attrs: { 'aria-describedby': messageId, 'aria-labelledby': messageId } },
      h(
        'form',
        { attrs: { method: 'dialog' } },
        h('p', { class: 'dialog-message', i18n: question, params, attrs: { id: messageId } }),
        h(
          'div',
          { class: 'actions end' },
          h('button', { class: 'button ghost', i18n: 'dialog.dismiss', attrs: { value: 'no', type: 'submit' } }),
          h('button', { class: `button ${danger ? 'danger' : 'primary'}`, i18n: confirmLabel, attrs: { value: 'yes', type: 'submit' } }),
        ),
      ),
    );
    replaceChildren(this, dialog);
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => {
        resolve(dialog.returnValue === 'yes');
        this.remove();
      });
      dialog.showModal();
    });
  }
}

customElements.define('cc-confirm-dialog', CcConfirmDialog);

/**
 * Show a confirmation dialog over the page.
 * @param {MessageKey} question
 * @param {Params | undefined} params
 * @param {MessageKey} confirmLabel
 * @param {boolean} [danger]
 * @returns {Promise<boolean>}
 */
export function confirmDialog(question, params, confirmLabel, danger = false) {
  const el = /** @type {CcConfirmDialog} */ (document.createElement('cc-confirm-dialog'));
  document.body.append(el);
  return el.ask(question, params, confirmLabel, danger);
}
