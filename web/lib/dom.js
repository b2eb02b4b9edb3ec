/** Small DOM helpers: build elements with attributes, listeners and translated text (never innerHTML), SVG pictures, and unique ids. */

import { bindAttr, bindText } from './i18n.js';

/** @typedef {import('./i18n.js').MessageKey} MessageKey */
/** @typedef {import('./i18n.js').Params} Params */
/** @typedef {Node | string | null | undefined | false} Child */

/**
 * @typedef {Object} Props
 * @property {string} [class] class names
 * @property {MessageKey} [i18n] text content: this message, kept translated
 * @property {Params} [params] placeholders for `i18n`
 * @property {string} [text] literal text content (data, never translated)
 * @property {Record<string, MessageKey | [MessageKey, Params]>} [i18nAttrs] attributes kept translated
 * @property {Record<string, string | number | boolean | null | undefined>} [attrs] attributes; `true` sets an empty value, `false`/`null`/`undefined` omit it
 * @property {Record<string, (event: Event) => void>} [on] event listeners
 */

/**
 * Create an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [attr, spec] of Object.entries(props.i18nAttrs ?? {})) {
    if (Array.isArray(spec)) bindAttr(el, attr, spec[0], spec[1]);
    else bindAttr(el, attr, spec);
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) el.addEventListener(type, listener);
  if (props.i18n) bindText(el, props.i18n, props.params);
  else if (props.text !== undefined) el.textContent = props.text;
  append(el, children);
  return el;
}

/**
 * Append children (nodes or strings; falsy ones skipped, arrays flattened).
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/**
 * Replace all children of `parent`.
 * @param {Node} parent
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Create an SVG element (pictures drawn in code: the tour's, the signing page's turn-your-phone hint).
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...SVGElement} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

let counter = 0;

/**
 * A document-unique id for tying labels to inputs.
 * @param {string} prefix
 * @returns {string}
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Create a custom element of this console, typed as its class.
 * @template {HTMLElement} T
 * @param {string} tag e.g. `cc-login`
 * @param {new () => T} _type the element's class (for the type only)
 * @returns {T}
 */
export function create(tag, _type) {
  return /** @type {T} */ (document.createElement(tag));
}
