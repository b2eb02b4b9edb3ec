/**
 * <cc-signature-page>: the full-screen signing page (签名) of one transcript version. On a phone held upright it first
 * asks to turn the phone (签名时请按照提示将手机横向放置, with a drawing of a phone turning), with 仍在竖屏签名 to go on
 * upright (not asked again while the page is open). It names the version being signed (第N版 and the start of its hash). The pad takes a finger, a pen or a
 * mouse (pointer events, pointer capture, coalesced points, pressure where the device measures it); strokes are kept
 * in a model (lib/signature.js) and redrawn, sharp, when the screen turns or the window is resized. 撤销 clears the pad
 * to sign again (点击撤销重新签名); ✓ submits (点击对号提交签名) after the client's check of the server's rule (no empty
 * or trivial signature). The server's problems are shown; 409 `transcript_outdated` says to go back and read the new
 * version before signing again. Esc or 返回 closes the page.
 *
 * Events: `cc-signed` (detail: SignatureSummary) after the server stored the signature; `cc-signature-outdated`
 * (detail: {version?: number}) when a newer version exists; `cc-signature-closed` when the page closes.
 *
 * data-testid: `signature-page` (the element), `signature-version` (第N版 · hash; data-version, data-sha256),
 * `rotate-hint` (the turn-your-phone overlay), `rotate-continue` (仍在竖屏签名), `signature-canvas` (the pad;
 * data-strokes and data-points count the ink), `signature-undo` (撤销), `signature-submit` (✓, labelled 提交签名),
 * `signature-error` (the client's or the server's problem), `signature-read-new` (back to the new version),
 * `signature-back` (返回).
 */

import { ApiError } from '../lib/api.js';
import { h, replaceChildren, svg, uid } from '../lib/dom.js';
import { setErrorText, whileBusy } from '../lib/forms.js';
import { bindText } from '../lib/i18n.js';
import { currentDevice } from '../lib/platform.js';
import {
  SignatureModel,
  drawSegments,
  drawStrokes,
  fitPad,
  imageSize,
  inkProblem,
  pressureOf,
  shortHash,
  strokeSegments,
  toPixels,
} from '../lib/signature.js';
import { submitSignature } from '../lib/transcript.js';

/** @typedef {import('../lib/types.js').SignatureSummary} SignatureSummary */
/** @typedef {import('../lib/types.js').StrokePoint} StrokePoint */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * @typedef {Object} SignatureTarget the version being signed
 * @property {string} hearingId
 * @property {number} version
 * @property {string} sha256
 */

/**
 * The pointer drawing now: its id, its stroke's start time, the canvas's place on the screen, pieces already drawn.
 * @typedef {{id: number, start: number, left: number, top: number, drawn: number}} PenState
 */

/** Ink on the screen, and in the PNG. */
const INK = '#10264a';
const IMAGE_INK = '#000000';

/** The signer chose to sign upright (仍在竖屏签名): not asked again while the page is open. */
let stayUpright = false;

/** A phone turning from upright to its side, with the turning arrow (animated by transcript.css). */
function rotatePicture() {
  return svg(
    'svg',
    { class: 'rotate-art', viewBox: '0 0 160 160', 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { class: 'rotate-arrow', d: 'M118 34a56 56 0 0 1 14 52' }),
    svg('path', { class: 'rotate-arrow-head', d: 'M124 80l8 10 8-12' }),
    svg(
      'g',
      { class: 'rotate-phone' },
      svg('rect', { class: 'rotate-body', x: 52, y: 28, width: 56, height: 104, rx: 9 }),
      svg('rect', { class: 'rotate-screen', x: 58, y: 40, width: 44, height: 78, rx: 2 }),
      svg('path', { class: 'rotate-ink', d: 'M64 92c5-10 9-10 10-4s5 6 9-2 6-7 8 1' }),
      svg('circle', { class: 'rotate-dot', cx: 80, cy: 125, r: 3 }),
    ),
  );
}

export class CcSignaturePage extends HTMLElement {
  /** @type {SignatureTarget | null} */
  #target = null;
  #model = new SignatureModel();
  #canvas = h('canvas', {
    class: 'sig-canvas',
    i18nAttrs: { 'aria-label': 'signature.pad' },
    attrs: { 'data-testid': 'signature-canvas', role: 'img', 'data-strokes': 0, 'data-points': 0 },
  });
  #wrap = h('div', { class: 'sig-pad-wrap' });
  #pad = h('div', { class: 'sig-pad' });
  #placeholder = h('p', { class: 'sig-placeholder', i18n: 'signature.placeholder', attrs: { 'aria-hidden': 'true' } });
  #error = h('p', { class: 'form-error sig-error', attrs: { 'data-testid': 'signature-error', role: 'alert', hidden: true } });
  #readNew = h('button', {
    class: 'button primary sig-read-new',
    i18n: 'signature.readNew',
    attrs: { type: 'button', 'data-testid': 'signature-read-new', hidden: true },
    on: { click: () => this.close() },
  });
  #undo = h(
    'button',
    {
      class: 'button sig-undo',
      i18nAttrs: { 'aria-label': 'signature.undoLabel' },
      attrs: { type: 'button', 'data-testid': 'signature-undo' },
      on: { click: () => this.clear() },
    },
    h('span', { class: 'sig-undo-icon', text: '↺', attrs: { 'aria-hidden': 'true' } }),
    h('span', { i18n: 'signature.undo' }),
  );
  #submit = h(
    'button',
    {
      class: 'sig-submit',
      i18nAttrs: { 'aria-label': 'signature.submit', title: 'signature.submit' },
      attrs: { type: 'button', 'data-testid': 'signature-submit' },
      on: { click: () => void this.#send() },
    },
    h('span', { class: 'sig-check', text: '✓', attrs: { 'aria-hidden': 'true' } }),
  );
  #version = h('p', { class: 'sig-version', attrs: { 'data-testid': 'signature-version' } });
  #rotate = h('div', { class: 'sig-rotate', attrs: { 'data-testid': 'rotate-hint', role: 'note', hidden: true } });
  /** Canvas size in CSS pixels. */
  #cssWidth = 0;
  #cssHeight = 0;
  #ratio = 1;
  /** @type {PenState | null} */
  #pen = null;
  #frame = 0;
  /** A newer version exists: no more submitting. */
  #outdated = false;
  /** @type {ResizeObserver | null} */
  #resize = null;
  /** @type {MediaQueryList | null} */
  #ratioQuery = null;
  #onWindowResize = () => {
    this.#updateRotate();
    this.#layout();
  };
  #onRatioChange = () => {
    this.#watchRatio();
    this.#layout(true);
  };

  /** @param {SignatureTarget} target */
  setup(target) {
    this.#target = target;
    this.#model.clear();
    this.#outdated = false;
    const titleId = uid('sig-title');
    this.setAttribute('role', 'dialog');
    this.setAttribute('aria-modal', 'true');
    this.setAttribute('aria-labelledby', titleId);
    this.setAttribute('data-testid', 'signature-page');
    this.#version.dataset.version = String(target.version);
    this.#version.dataset.sha256 = target.sha256;
    bindText(this.#version, 'signature.version', { version: target.version, hash: shortHash(target.sha256) });

    replaceChildren(this.#pad, this.#canvas, h('div', { class: 'sig-baseline', attrs: { 'aria-hidden': 'true' } }), this.#placeholder);
    replaceChildren(this.#wrap, this.#pad);
    replaceChildren(
      this.#rotate,
      h(
        'div',
        { class: 'sig-rotate-inner' },
        rotatePicture(),
        h('p', { class: 'sig-rotate-text', i18n: 'signature.rotate' }),
        h('button', {
          class: 'button ghost sig-rotate-continue',
          i18n: 'signature.rotateContinue',
          attrs: { type: 'button', 'data-testid': 'rotate-continue' },
          on: {
            click: () => {
              stayUpright = true;
              this.#updateRotate();
              this.#submit.focus();
            },
          },
        }),
      ),
    );
    const back = h(
      'button',
      {
        class: 'button small panel-back',
        attrs: { type: 'button', 'data-testid': 'signature-back' },
        on: { click: () => this.close() },
      },
      h('span', { class: 'back-arrow', text: '‹', attrs: { 'aria-hidden': 'true' } }),
      h('span', { i18n: 'room.back' }),
    );
    replaceChildren(
      this,
      h(
        'div',
        { class: 'sig-bar' },
        back,
        h('div', { class: 'sig-heading' }, h('h2', { class: 'sig-title', i18n: 'signature.title', attrs: { id: titleId } }), this.#version),
      ),
      h(
        'div',
        { class: 'sig-main' },
        this.#wrap,
        h(
          'div',
          { class: 'sig-side' },
          this.#error,
          this.#readNew,
          h('div', { class: 'sig-buttons' }, this.#undo, this.#submit),
          h('p', { class: 'hint sig-hint', i18n: 'signature.hint' }),
        ),
        this.#rotate,
      ),
    );
    this.#canvas.addEventListener('pointerdown', (event) => this.#down(event));
    this.#canvas.addEventListener('pointermove', (event) => this.#move(event));
    this.#canvas.addEventListener('pointerup', (event) => this.#up(event));
    this.#canvas.addEventListener('pointercancel', (event) => this.#up(event));
    this.#canvas.addEventListener('lostpointercapture', (event) => this.#up(event));
    // No page scrolling, zooming or text selection from the pad.
    this.#canvas.addEventListener('touchstart', (event) => event.preventDefault(), { passive: false });
    this.#canvas.addEventListener('contextmenu', (event) => event.preventDefault());
    this.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      this.close();
    });
    this.#counts();
    this.#updateRotate();
  }

  connectedCallback() {
    window.addEventListener('resize', this.#onWindowResize);
    window.addEventListener('orientationchange', this.#onWindowResize);
    this.#resize = new ResizeObserver(() => this.#layout());
    this.#resize.observe(this.#wrap);
    this.#watchRatio();
    this.#updateRotate();
    requestAnimationFrame(() => this.#layout());
  }

  disconnectedCallback() {
    window.removeEventListener('resize', this.#onWindowResize);
    window.removeEventListener('orientationchange', this.#onWindowResize);
    this.#ratioQuery?.removeEventListener('change', this.#onRatioChange);
    this.#resize?.disconnect();
    cancelAnimationFrame(this.#frame);
  }

  /** @returns {{strokes: number, points: number, width: number, height: number}} the ink and the pad's size (for tests) */
  get ink() {
    return { strokes: this.#model.strokes.length, points: this.#model.pointCount, width: this.#cssWidth, height: this.#cssHeight };
  }

  /** 撤销: clear the pad to sign again. */
  clear() {
    this.#pen = null;
    this.#model.clear();
    this.#hideError();
    this.#redraw();
    this.#counts();
  }

  /**
   * A newer version was saved while signing: say so, and offer to go back and read it.
   * @param {number} [version]
   */
  outdated(version) {
    this.#outdated = true;
    this.#submit.disabled = true;
    if (version) bindText(this.#error, 'signature.outdatedVersion', { version });
    else bindText(this.#error, 'signature.outdated');
    this.#error.hidden = false;
    this.#readNew.hidden = false;
    this.#readNew.focus();
  }

  /** Close the page. */
  close() {
    if (!this.isConnected) return;
    this.remove();
    this.dispatchEvent(new CustomEvent('cc-signature-closed'));
  }

  /** Follow changes of devicePixelRatio (a window moved to another screen, zoom). */
  #watchRatio() {
    this.#ratioQuery?.removeEventListener('change', this.#onRatioChange);
    this.#ratioQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    this.#ratioQuery.addEventListener('change', this.#onRatioChange);
  }

  /** Show the turn-your-phone hint on a phone held upright (unless the signer chose to stay upright). */
  #updateRotate() {
    const phone = window.matchMedia('(pointer: coarse)').matches || currentDevice().platform !== 'pc';
    const portrait = window.innerHeight > window.innerWidth;
    const show = phone && portrait && window.innerWidth < 600 && !stayUpright;
    this.#rotate.hidden = !show;
    this.dataset.orientation = portrait ? 'portrait' : 'landscape';
  }

  /**
   * Size the canvas to the space it has (keeping the pad's shape) and redraw the strokes at the new scale.
   * @param {boolean} [force] redraw even when the size did not change (a new pixel ratio)
   */
  #layout(force = false) {
    const box = this.#wrap.getBoundingClientRect();
    if (!box.width || !box.height) return;
    const { width, height } = fitPad(box.width, box.height);
    const ratio = Math.min(3, window.devicePixelRatio || 1);
    if (!force && width === this.#cssWidth && height === this.#cssHeight && ratio === this.#ratio) return;
    this.#cssWidth = width;
    this.#cssHeight = height;
    this.#ratio = ratio;
    this.#pad.style.setProperty('--pad-width', `${width}px`);
    this.#pad.style.setProperty('--pad-height', `${height}px`);
    this.#canvas.width = Math.max(1, Math.round(width * ratio));
    this.#canvas.height = Math.max(1, Math.round(height * ratio));
    // A stroke cut by the resize (the phone turned mid-stroke) ends where it was.
    if (this.#pen) {
      this.#model.end();
      this.#pen = null;
    }
    this.#redraw();
  }

  /** @returns {CanvasRenderingContext2D | null} drawing in CSS pixels */
  #context() {
    const ctx = this.#canvas.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(this.#ratio, 0, 0, this.#ratio, 0, 0);
    return ctx;
  }

  #redraw() {
    const ctx = this.#context();
    if (!ctx) return;
    ctx.clearRect(0, 0, this.#cssWidth, this.#cssHeight);
    const open = this.#model.drawing ? (this.#model.strokes[this.#model.strokes.length - 1] ?? null) : null;
    drawStrokes(ctx, this.#model.strokes, this.#cssWidth, INK, open);
    if (this.#pen && open) this.#pen.drawn = strokeSegments(open, false).length;
    this.#placeholder.hidden = !this.#model.isEmpty;
  }

  /** Draw the pieces of the open stroke not drawn yet (once per frame). */
  #drawNew() {
    this.#frame = 0;
    const pen = this.#pen;
    const stroke = this.#model.strokes[this.#model.strokes.length - 1];
    const ctx = this.#context();
    if (!pen || !stroke || !ctx) return;
    const segments = strokeSegments(stroke, false);
    drawSegments(ctx, segments.slice(pen.drawn), this.#cssWidth, INK);
    pen.drawn = segments.length;
  }

  /**
   * A point of a pointer event, in canvas widths.
   * @param {PointerEvent} event
   * @returns {StrokePoint}
   */
  #point(event) {
    const pen = /** @type {PenState} */ (this.#pen);
    const w = this.#cssWidth || 1;
    return {
      x: (event.clientX - pen.left) / w,
      y: (event.clientY - pen.top) / w,
      t: event.timeStamp - pen.start,
      p: pressureOf(event.pointerType, event.pressure),
    };
  }

  /** @param {PointerEvent} event */
  #down(event) {
    if (this.#pen || this.#outdated) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    if (!this.#cssWidth) this.#layout();
    event.preventDefault();
    try {
      this.#canvas.setPointerCapture(event.pointerId);
    } catch {
      // Not capturable (the pointer is already gone): draw without capture.
    }
    const box = this.#canvas.getBoundingClientRect();
    this.#pen = { id: event.pointerId, start: event.timeStamp, left: box.left, top: box.top, drawn: 0 };
    this.#hideError();
    this.#model.begin(this.#point(event));
    this.#placeholder.hidden = true;
  }

  /** @param {PointerEvent} event */
  #move(event) {
    if (!this.#pen || event.pointerId !== this.#pen.id) return;
    event.preventDefault();
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) this.#model.extend(this.#point(e));
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#drawNew());
  }

  /** @param {PointerEvent} event */
  #up(event) {
    const pen = this.#pen;
    if (!pen || event.pointerId !== pen.id) return;
    if (event.type === 'pointerup') this.#model.extend(this.#point(event));
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#drawNew();
    const stroke = this.#model.strokes[this.#model.strokes.length - 1];
    this.#model.end();
    this.#pen = null;
    // The last piece (to the final point), or the dot of a tap.
    const ctx = this.#context();
    if (ctx && stroke) {
      const all = strokeSegments(stroke, true);
      drawSegments(ctx, all.slice(pen.drawn), this.#cssWidth, INK);
    }
    this.#counts();
  }

  #counts() {
    this.#canvas.dataset.strokes = String(this.#model.strokes.length);
    this.#canvas.dataset.points = String(this.#model.pointCount);
  }

  #hideError() {
    if (this.#outdated) return;
    this.#error.hidden = true;
    this.#error.textContent = '';
  }

  /** @param {MessageKey} key */
  #showError(key) {
    bindText(this.#error, key);
    this.#error.hidden = false;
  }

  /** @returns {string} the signature as a PNG data URL: black ink on a transparent background */
  #image() {
    const size = imageSize(this.#cssWidth, this.#cssHeight, this.#ratio);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    if (ctx) drawStrokes(ctx, this.#model.strokes, size.width, IMAGE_INK);
    return canvas.toDataURL('image/png');
  }

  /** ✓: check, then send the strokes and the picture. */
  async #send() {
    const target = this.#target;
    if (!target || this.#outdated || this.#submit.getAttribute('aria-busy') === 'true') return;
    if (this.#pen) return;
    const strokes = toPixels(this.#model.strokes, this.#cssWidth);
    const problem = inkProblem(strokes, this.#cssWidth);
    if (problem) {
      this.#showError(problem === 'signature_empty' ? 'signature.empty' : 'signature.trivial');
      return;
    }
    this.#hideError();
    try {
      const summary = await whileBusy(this.#submit, () =>
        submitSignature(target.hearingId, {
          version: target.version,
          sha256: target.sha256,
          width: Math.round(this.#cssWidth),
          height: Math.round(this.#cssHeight),
          strokes,
          image: this.#image(),
        }),
      );
      this.dispatchEvent(new CustomEvent('cc-signed', { detail: summary }));
      this.close();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'transcript_outdated') {
        this.outdated();
        this.dispatchEvent(new CustomEvent('cc-signature-outdated', { detail: {} }));
        return;
      }
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }
}

customElements.define('cc-signature-page', CcSignaturePage);

/**
 * Open the signing page over `host` (full screen).
 * @param {HTMLElement} host
 * @param {SignatureTarget} target
 * @returns {CcSignaturePage}
 */
export function openSignaturePage(host, target) {
  const page = /** @type {CcSignaturePage} */ (document.createElement('cc-signature-page'));
  page.setup(target);
  host.append(page);
  /** @type {HTMLElement | null} */ (page.querySelector('.panel-back'))?.focus();
  return page;
}
