/** Form helpers: labelled fields with hint and error slots, server problems shown next to their field, busy buttons. */

import { ApiError } from './api.js';
import { h, uid } from './dom.js';
import { bindLocalized, bindText } from './i18n.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./i18n.js').Params} Params */
/** @typedef {import('./types.js').Problem} Problem */
/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Control */

/**
 * A label tied to its control, an optional hint, and a slot for the server's error about `field`.
 * @param {Object} options
 * @param {MessageKey} options.label
 * @param {Control} options.control
 * @param {string} [options.field] the API's name for this value (matches a problem's `field`)
 * @param {MessageKey} [options.hint]
 * @param {Params} [options.hintParams]
 * @returns {HTMLDivElement}
 */
export function field({ label, control, field, hint, hintParams }) {
  if (!control.id) control.id = uid('f');
  const describedBy = [];
  /** @type {HTMLElement | null} */
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', i18n: hint, params: hintParams, attrs: { id: uid('hint') } });
    describedBy.push(hintEl.id);
  }
  /** @type {HTMLElement | null} */
  let errorEl = null;
  if (field) {
    control.dataset.field = field;
    errorEl = errorSlot(field);
    describedBy.push(errorEl.id);
  }
  if (describedBy.length) control.setAttribute('aria-describedby', describedBy.join(' '));
  return h('div', { class: 'field' }, h('label', { i18n: label, attrs: { for: control.id } }), control, hintEl, errorEl);
}

/**
 * An (initially hidden) element that shows the server's error about `field`.
 * @param {string} field
 * @returns {HTMLParagraphElement}
 */
export function errorSlot(field) {
  return h('p', { class: 'field-error', attrs: { 'data-field-error': field, id: uid('err'), hidden: true } });
}

/**
 * The form-wide error box (for problems not about one field).
 * @returns {HTMLParagraphElement}
 */
export function formErrorBox() {
  return h('p', { class: 'form-error', attrs: { 'data-form-error': true, role: 'alert', hidden: true } });
}

/**
 * Put the text of a failure into `el`: the server's message in the current language (kept in step with
 * language switches), or our own words when there was no usable answer.
 * @param {HTMLElement} el
 * @param {unknown} error
 */
export function setErrorText(el, error) {
  const problem = problemOf(error);
  if (problem.message && (problem.message['zh-CN'] || problem.message.en)) bindLocalized(el, problem.message);
  else if (problem.code === 'network') bindText(el, 'error.network');
  else bindText(el, 'error.generic', { status: problem.status });
}

/**
 * @param {unknown} error
 * @returns {Problem}
 */
export function problemOf(error) {
  if (error instanceof ApiError) return error.problem;
  console.error(error);
  return { status: 0, code: 'client', detail: String(error) };
}

/**
 * Hide every error shown in `form` and clear `aria-invalid`.
 * @param {HTMLElement} form
 */
export function clearErrors(form) {
  for (const el of form.querySelectorAll(/** @type {'p'} */ ('[data-field-error], [data-form-error]'))) {
    el.hidden = true;
    el.textContent = '';
    delete el.dataset.msg;
    delete el.dataset.i18n;
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Show a failure in `form`: next to the field the problem names when the form has it, else in the form's error box.
 * @param {HTMLElement} form
 * @param {unknown} error
 */
export function showError(form, error) {
  clearErrors(form);
  const problem = problemOf(error);
  const fieldName = problem.field ? lastSegment(problem.field) : undefined;
  /** @type {HTMLElement | null} */
  let target = null;
  if (problem.field) {
    target =
      form.querySelector(`[data-field-error="${CSS.escape(problem.field)}"]`) ??
      (fieldName ? form.querySelector(`[data-field-error="${CSS.escape(fieldName)}"]`) : null);
  }
  const atField = target !== null;
  if (!target) target = form.querySelector('[data-form-error]');
  if (!target) return;
  setErrorText(target, error);
  target.hidden = false;
  if (atField) {
    const name = /** @type {string} */ (target.dataset.fieldError);
    const controls = /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll(`[data-field="${CSS.escape(name)}"]`));
    controls.forEach((c) => c.setAttribute('aria-invalid', 'true'));
    controls[0]?.focus();
  }
}

/**
 * `participants[0].phone` → `phone`.
 * @param {string} path
 * @returns {string | undefined}
 */
function lastSegment(path) {
  return path.split(/[.[\]/]/).filter(Boolean).pop();
}

/**
 * Mark a submit button busy (disabled, aria-busy) while `work` runs.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * The trimmed value of a control.
 * @param {Control} control
 * @returns {string}
 */
export function valueOf(control) {
  return control.value.trim();
}
