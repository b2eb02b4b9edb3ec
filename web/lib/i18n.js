/** UI language: `t(key, params)`, the current language, switching (remembered in localStorage) and re-labelling the page. */

import zh from '../i18n/zh-CN.js';
import en from '../i18n/en.js';

/** @typedef {import('../i18n/zh-CN.js').MessageKey} MessageKey */
/** @typedef {import('../i18n/zh-CN.js').Messages} Messages */
/** @typedef {'zh-CN' | 'en'} Lang */
/** @typedef {Record<string, string | number>} Params */
/** A message in both languages, as the server sends it in a problem's `message`. */
/** @typedef {Partial<Record<Lang, string>>} LocalizedText */

/** The languages offered, in the order the switch shows them, each named in itself. */
export const LANGUAGES = /** @type {const} */ ([
  { lang: 'zh-CN', name: '中文' },
  { lang: 'en', name: 'English' },
]);

/** Fired on `window` after the language changed; `detail` is `{lang}`. */
export const LANG_EVENT = 'cc-langchange';

const STORAGE_KEY = 'cloudcourt.lang';

/** @type {Record<Lang, Messages>} */
const dictionaries = { 'zh-CN': zh, en };

/** @type {Lang} */
let current = initialLang();

/** The message that names the page in the title bar (each page sets its own). */
/** @type {MessageKey} */
let titleKey = 'app.title';

/** @returns {Lang} */
function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'zh-CN' || saved === 'en') return saved;
  } catch {
    // Storage may be unavailable (private mode); fall back to Chinese.
  }
  return 'zh-CN';
}

/** @returns {Lang} the current UI language. */
export function lang() {
  return current;
}

/**
 * Translate a key into the current language, filling `{name}` placeholders from `params`.
 * @param {MessageKey} key
 * @param {Params} [params]
 * @returns {string}
 */
export function t(key, params) {
  const text = dictionaries[current][key] ?? dictionaries['zh-CN'][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/**
 * Pick the current language's text out of a two-language message.
 * @param {LocalizedText | undefined | null} message
 * @returns {string | undefined}
 */
export function localized(message) {
  if (!message) return undefined;
  return message[current] || message['zh-CN'] || message.en || undefined;
}

/**
 * Switch the UI language, remember it, re-label the document and tell listeners.
 * @param {Lang} next
 */
export function setLang(next) {
  if (next !== 'zh-CN' && next !== 'en') return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered; the switch still applies to this page.
  }
  applyDocumentLang();
  relabel(document.body);
  window.dispatchEvent(new CustomEvent(LANG_EVENT, { detail: { lang: next } }));
}

/** Set `<html lang>` and the document title for the current language. */
export function applyDocumentLang() {
  document.documentElement.lang = current;
  document.title = t(titleKey);
}

/**
 * Choose the message used as the document title (default `app.title`, the console's), and apply it.
 * @param {MessageKey} key
 */
export function setTitleKey(key) {
  titleKey = key;
  applyDocumentLang();
}

/**
 * Mark an element's text as the translation of `key`, and set it now.
 * @param {HTMLElement} el
 * @param {MessageKey} key
 * @param {Params} [params]
 */
export function bindText(el, key, params) {
  delete el.dataset.msg;
  el.dataset.i18n = key;
  if (params) el.dataset.i18nParams = JSON.stringify(params);
  else delete el.dataset.i18nParams;
  el.textContent = t(key, params);
}

/**
 * Mark an element's attribute as the translation of `key`, and set it now.
 * @param {HTMLElement} el
 * @param {string} attr e.g. `aria-label`, `placeholder`, `data-label`
 * @param {MessageKey} key
 * @param {Params} [params]
 */
export function bindAttr(el, attr, key, params) {
  /** @type {Record<string, [string, Params | undefined]>} */
  const map = el.dataset.i18nAttrs ? JSON.parse(el.dataset.i18nAttrs) : {};
  map[attr] = [key, params];
  el.dataset.i18nAttrs = JSON.stringify(map);
  el.setAttribute(attr, t(key, params));
}

/**
 * Show a two-language message (from the server) in an element, following later language switches.
 * @param {HTMLElement} el
 * @param {LocalizedText} message
 */
export function bindLocalized(el, message) {
  delete el.dataset.i18n;
  delete el.dataset.i18nParams;
  el.dataset.msg = JSON.stringify(message);
  el.textContent = localized(message) ?? '';
}

/**
 * Re-apply every bound text and attribute under `root` in the current language.
 * @param {ParentNode & Node} root
 */
export function relabel(root) {
  /** @type {HTMLElement[]} */
  const els = [];
  if (root instanceof HTMLElement) els.push(root);
  els.push(...root.querySelectorAll(/** @type {'div'} */ ('[data-i18n], [data-i18n-attrs], [data-msg]')));
  for (const el of els) {
    const key = el.dataset.i18n;
    if (key) {
      const params = el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : undefined;
      el.textContent = t(/** @type {MessageKey} */ (key), params);
    }
    if (el.dataset.msg) {
      el.textContent = localized(JSON.parse(el.dataset.msg)) ?? '';
    }
    if (el.dataset.i18nAttrs) {
      /** @type {Record<string, [MessageKey, Params | undefined]>} */
      const map = JSON.parse(el.dataset.i18nAttrs);
      for (const [attr, [k, params]] of Object.entries(map)) el.setAttribute(attr, t(k, params ?? undefined));
    }
  }
}
