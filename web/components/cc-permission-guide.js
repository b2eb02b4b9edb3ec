/**
 * <cc-permission-guide>: the camera and microphone could not be used — why, the seed's 始终允许 advice, short steps for
 * this device first (Chrome/Edge, Safari on iPhone/iPad, Android, WeChat/QQ's built-in browser), and 重试.
 * Fires `cc-retry` when the button is pressed.
 */

import { h, replaceChildren, uid } from '../lib/dom.js';
import { currentDevice } from '../lib/platform.js';

/** @typedef {import('../lib/media.js').MediaProblem} MediaProblem */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */
/** @typedef {'pc' | 'ios' | 'android' | 'inapp'} GuideKind */

/** @type {GuideKind[]} */
const KINDS = ['pc', 'ios', 'android', 'inapp'];

/** @returns {GuideKind} the steps that fit this browser */
function ownKind() {
  const device = currentDevice();
  if (device.inApp) return 'inapp';
  return device.platform;
}

export class CcPermissionGuide extends HTMLElement {
  #retry = h('button', {
    class: 'button primary block big',
    i18n: 'perm.retry',
    attrs: { type: 'button', 'data-testid': 'permission-retry' },
    on: { click: () => this.dispatchEvent(new CustomEvent('cc-retry', { bubbles: true })) },
  });

  /**
   * @param {MediaProblem} problem
   */
  show(problem) {
    const titleId = uid('perm-title');
    const own = ownKind();
    const order = [own, ...KINDS.filter((k) => k !== own)];
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel permission-guide', attrs: { 'aria-labelledby': titleId, 'data-testid': 'permission-guide', 'data-problem': problem } },
        h('h2', { i18n: 'perm.title', attrs: { id: titleId } }),
        h('p', { class: 'form-error', attrs: { role: 'alert' }, i18n: /** @type {MessageKey} */ (`perm.problem.${problem}`) }),
        h('p', { class: 'always', i18n: 'perm.always' }),
        h(
          'ol',
          { class: 'perm-steps' },
          order.map((kind) =>
            h(
              'li',
              { class: kind === own ? 'perm-step own' : 'perm-step', attrs: { 'data-kind': kind } },
              h(
                'p',
                { class: 'perm-step-title' },
                h('span', { i18n: /** @type {MessageKey} */ (`perm.${kind}.title`) }),
                kind === own ? h('span', { class: 'badge own-device', i18n: 'perm.yourDevice' }) : null,
              ),
              h('p', { class: 'perm-step-text', i18n: /** @type {MessageKey} */ (`perm.${kind}.steps`) }),
            ),
          ),
        ),
        h('p', { class: 'hint', i18n: 'perm.afterRetry' }),
        this.#retry,
      ),
    );
  }

  /** @param {boolean} busy */
  set busy(busy) {
    this.#retry.disabled = busy;
    if (busy) this.#retry.setAttribute('aria-busy', 'true');
    else this.#retry.removeAttribute('aria-busy');
  }

  focus() {
    this.#retry.focus();
  }
}

customElements.define('cc-permission-guide', CcPermissionGuide);
