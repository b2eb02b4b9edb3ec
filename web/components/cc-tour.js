/**
 * <cc-tour>: 功能介绍 — a carousel of the room's functions (上传证据, 查看笔录, 确认笔录 and 签名, the floating buttons):
 * swipe with a finger (pointer events), ← → buttons and arrow keys on a PC, dots to jump; the last slide has 立即体验.
 * Fires `cc-tour-done` when finished (立即体验 or 跳过).
 */

import { h, replaceChildren, svg, uid } from '../lib/dom.js';
import { bindText } from '../lib/i18n.js';

/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** The slides, in order; each has `tour.{id}.title`, `tour.{id}.text` and an illustration. */
export const SLIDES = /** @type {const} */ (['upload', 'transcript', 'sign', 'buttons']);

/** Remembered per device once the tour was finished. */
const SEEN_KEY = 'cloudcourt.tourSeen';

/** @returns {boolean} the tour was finished on this device before */
export function tourSeen() {
  try {
    return localStorage.getItem(SEEN_KEY) === '1';
  } catch {
    return false;
  }
}

export function rememberTourSeen() {
  try {
    localStorage.setItem(SEEN_KEY, '1');
  } catch {
    // Not remembered: the tour shows again next time.
  }
}

/**
 * A simple drawing for each slide (shapes styled by join.css).
 * @param {typeof SLIDES[number]} id
 * @returns {SVGElement}
 */
function illustration(id) {
  const phone = (/** @type {number} */ x, /** @type {number} */ y, /** @type {number} */ w, /** @type {number} */ hh) =>
    svg('rect', { class: 'ill-device', x, y, width: w, height: hh, rx: 12 });
  /** @type {SVGElement[]} */
  let parts;
  switch (id) {
    case 'upload':
      parts = [
        phone(60, 10, 80, 140),
        svg('rect', { class: 'ill-paper', x: 78, y: 52, width: 44, height: 56, rx: 4 }),
        svg('path', { class: 'ill-line', d: 'M86 66h28M86 76h28M86 86h18' }),
        svg('circle', { class: 'ill-accent', cx: 128, cy: 44, r: 16 }),
        svg('path', { class: 'ill-arrow', d: 'M128 52V36M121 43l7-7 7 7' }),
      ];
      break;
    case 'transcript':
      parts = [
        phone(60, 10, 80, 140),
        svg('rect', { class: 'ill-paper', x: 72, y: 30, width: 56, height: 84, rx: 4 }),
        svg('path', { class: 'ill-line', d: 'M80 46h40M80 56h40M80 66h40M80 76h30M80 86h40M80 96h22' }),
        svg('circle', { class: 'ill-accent', cx: 100, cy: 128, r: 12 }),
        svg('path', { class: 'ill-arrow', d: 'M94 128a6 6 0 1 0 2-4.5M94 121v4h4' }),
      ];
      break;
    case 'sign':
      parts = [
        svg('rect', { class: 'ill-device', x: 20, y: 40, width: 160, height: 86, rx: 12 }),
        svg('path', { class: 'ill-sign', d: 'M40 96c10-22 18-22 20-8s10 14 18-4 12-16 16 2 12 10 22-6' }),
        svg('circle', { class: 'ill-accent', cx: 156, cy: 66, r: 12 }),
        svg('path', { class: 'ill-arrow', d: 'M150 66l5 5 8-9' }),
      ];
      break;
    default:
      parts = [
        phone(50, 10, 100, 140),
        svg('rect', { class: 'ill-paper', x: 60, y: 24, width: 60, height: 46, rx: 4 }),
        svg('rect', { class: 'ill-paper', x: 60, y: 78, width: 60, height: 46, rx: 4 }),
        svg('circle', { class: 'ill-fab', cx: 134, cy: 88, r: 9 }),
        svg('circle', { class: 'ill-accent', cx: 134, cy: 112, r: 9 }),
        svg('path', { class: 'ill-arrow', d: 'M130 109h8M130 112h8M130 115h8' }),
        svg('circle', { class: 'ill-touch', cx: 90, cy: 100, r: 10 }),
      ];
  }
  return svg('svg', { class: 'tour-art', viewBox: '0 0 200 160', 'aria-hidden': 'true', focusable: 'false' }, ...parts);
}

export class CcTour extends HTMLElement {
  #index = 0;
  #track = h('div', { class: 'tour-track' });
  #viewport = h('div', { class: 'tour-viewport' });
  /** @type {HTMLElement[]} */
  #slides = [];
  /** @type {HTMLButtonElement[]} */
  #dots = [];
  #prev = h('button', { class: 'tour-arrow prev', text: '‹', i18nAttrs: { 'aria-label': 'tour.prev' }, attrs: { type: 'button' } });
  #next = h('button', { class: 'tour-arrow next', text: '›', i18nAttrs: { 'aria-label': 'tour.next' }, attrs: { type: 'button' } });
  /** The pointer being followed for a swipe. */
  /** @type {{id: number, x: number, y: number, dx: number, dragging: boolean} | null} */
  #drag = null;

  setup() {
    const titleId = uid('tour-title');
    this.#index = 0;
    this.#slides = SLIDES.map((id, i) => {
      const slideTitle = uid('slide-title');
      return h(
        'div',
        {
          class: 'tour-slide',
          attrs: { role: 'group', 'aria-roledescription': 'slide', 'aria-labelledby': slideTitle, 'data-slide': id },
        },
        h('div', { class: 'tour-picture' }, illustration(id)),
        h('h3', { i18n: /** @type {MessageKey} */ (`tour.${id}.title`), attrs: { id: slideTitle } }),
        h('p', { class: 'tour-text', i18n: /** @type {MessageKey} */ (`tour.${id}.text`) }),
        i === SLIDES.length - 1
          ? h('button', {
              class: 'button primary big tour-start',
              i18n: 'tour.start',
              attrs: { type: 'button' },
              on: { click: () => this.#finish() },
            })
          : null,
      );
    });
    replaceChildren(this.#track, this.#slides);
    replaceChildren(this.#viewport, this.#track);
    this.#dots = SLIDES.map((_, i) =>
      h('button', {
        class: 'tour-dot',
        i18nAttrs: { 'aria-label': ['tour.goto', { n: i + 1, total: SLIDES.length }] },
        attrs: { type: 'button' },
        on: { click: () => this.go(i) },
      }),
    );
    this.#prev.addEventListener('click', () => this.go(this.#index - 1));
    this.#next.addEventListener('click', () => this.go(this.#index + 1));
    this.#viewport.addEventListener('pointerdown', this.#onDown);
    this.#viewport.addEventListener('pointermove', this.#onMove);
    this.#viewport.addEventListener('pointerup', this.#onUp);
    this.#viewport.addEventListener('pointercancel', this.#onCancel);
    // A drag must not also start the browser's own drag of the drawing.
    this.#viewport.addEventListener('dragstart', (event) => event.preventDefault());

    const section = h(
      'section',
      {
        class: 'tour',
        attrs: { 'aria-roledescription': 'carousel', 'aria-labelledby': titleId, tabindex: '-1', 'data-testid': 'tour' },
        on: { keydown: (event) => this.#onKey(/** @type {KeyboardEvent} */ (event)) },
      },
      h(
        'div',
        { class: 'tour-head' },
        h('h2', { i18n: 'tour.title', attrs: { id: titleId } }),
        h('button', { class: 'button small ghost tour-skip', i18n: 'tour.skip', attrs: { type: 'button' }, on: { click: () => this.#finish() } }),
      ),
      h('p', { class: 'hint tour-intro', i18n: 'tour.intro' }),
      h('div', { class: 'tour-stage' }, this.#prev, this.#viewport, this.#next),
      h('div', { class: 'tour-dots' }, this.#dots),
      h('p', { class: 'tour-count', attrs: { 'aria-live': 'polite', 'data-testid': 'tour-count' } }),
    );
    replaceChildren(this, section);
    this.#render();
  }

  /** Focus the carousel, so the arrow keys work at once on a PC. */
  focus() {
    /** @type {HTMLElement | null} */ (this.querySelector('.tour'))?.focus();
  }

  /** @returns {number} the slide shown (0-based) */
  get index() {
    return this.#index;
  }

  /**
   * Show slide `index` (clamped).
   * @param {number} index
   */
  go(index) {
    this.#index = Math.max(0, Math.min(SLIDES.length - 1, index));
    this.#render();
  }

  #render() {
    const i = this.#index;
    this.#track.classList.remove('dragging');
    this.#track.style.transform = `translateX(${-i * 100}%)`;
    this.#slides.forEach((slide, n) => {
      slide.toggleAttribute('inert', n !== i);
      slide.setAttribute('aria-hidden', String(n !== i));
    });
    this.#dots.forEach((dot, n) => {
      if (n === i) dot.setAttribute('aria-current', 'step');
      else dot.removeAttribute('aria-current');
    });
    this.#prev.disabled = i === 0;
    this.#next.disabled = i === SLIDES.length - 1;
    const count = /** @type {HTMLElement} */ (this.querySelector('.tour-count'));
    if (count) bindText(count, 'tour.count', { n: i + 1, total: SLIDES.length });
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    if (event.key === 'ArrowRight') this.go(this.#index + 1);
    else if (event.key === 'ArrowLeft') this.go(this.#index - 1);
    else if (event.key === 'Home') this.go(0);
    else if (event.key === 'End') this.go(SLIDES.length - 1);
    else return;
    event.preventDefault();
  }

  /** @param {PointerEvent} event */
  #onDown = (event) => {
    if (!event.isPrimary || (event.pointerType === 'mouse' && event.button !== 0)) return;
    this.#drag = { id: event.pointerId, x: event.clientX, y: event.clientY, dx: 0, dragging: false };
  };

  /** @param {PointerEvent} event */
  #onMove = (event) => {
    const drag = this.#drag;
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.dragging) {
      if (Math.abs(dx) < 8 || Math.abs(dx) < Math.abs(dy)) return;
      drag.dragging = true;
      this.#viewport.setPointerCapture(event.pointerId);
      this.#track.classList.add('dragging');
    }
    // Resist at the ends.
    const atEdge = (dx > 0 && this.#index === 0) || (dx < 0 && this.#index === SLIDES.length - 1);
    drag.dx = atEdge ? dx / 3 : dx;
    this.#track.style.transform = `translateX(calc(${-this.#index * 100}% + ${drag.dx}px))`;
  };

  /** @param {PointerEvent} event */
  #onUp = (event) => {
    const drag = this.#drag;
    if (!drag || event.pointerId !== drag.id) return;
    this.#drag = null;
    if (!drag.dragging) return;
    const threshold = Math.min(60, this.#viewport.clientWidth * 0.15);
    if (drag.dx <= -threshold) this.go(this.#index + 1);
    else if (drag.dx >= threshold) this.go(this.#index - 1);
    else this.#render();
  };

  #onCancel = () => {
    this.#drag = null;
    this.#render();
  };

  #finish() {
    rememberTourSeen();
    this.dispatchEvent(new CustomEvent('cc-tour-done', { bubbles: true }));
  }
}

customElements.define('cc-tour', CcTour);
