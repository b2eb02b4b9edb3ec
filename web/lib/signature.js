/**
 * The handwritten signature (签名) without the DOM: the stroke model, the rule that refuses an empty or trivial
 * signature (the server's rule, checked before sending), and the maths that draws smooth strokes.
 *
 * The model keeps every point in "canvas widths" (x / width and y / width of the canvas it was drawn on), so the
 * drawing survives rotation and resizing: redrawn at any size it is the same picture, scaled. The signing pad keeps
 * one shape (PAD_ASPECT), so nothing falls off the edge either. What is sent to the server is converted back to the
 * canvas's CSS pixels at the moment of sending.
 *
 * Drawing: each stroke is a chain of quadratic curves through the midpoints of its points (the points themselves
 * are the control points), so corners are rounded and the line is smooth even with few points; each piece has its
 * own width, from the pressure where the device measures it and from the speed (fast is thinner, like ink).
 */

/** @typedef {import('./types.js').StrokePoint} StrokePoint */

/** Width / height of the signing pad. */
export const PAD_ASPECT = 2;

/** The server's limits: points and strokes in all (413 beyond them), the longest stroke, the widest PNG worth sending. */
export const MAX_POINTS = 20_000;
export const MAX_STROKES = 500;
export const MAX_STROKE_MS = 600_000;
export const MAX_IMAGE_WIDTH = 1600;

/** The triviality rule shared with the server: enough ink, and wide enough. */
export const MIN_STROKES = 2;
export const MIN_POINTS = 30;
export const MIN_SPAN = 0.2;

/** The pressure recorded when the device measures none. */
export const DEFAULT_PRESSURE = 0.5;

/** Line width at pressure 0.5 and an ordinary speed, in canvas widths. */
export const BASE_WIDTH = 0.0068;

/** Points closer than this (canvas widths) to the previous one add nothing but weight. */
const MIN_STEP = 0.0012;

/**
 * The pressure to record for a pointer event: the measured one for a pen or a finger whose screen measures it;
 * 0.5 otherwise (a mouse, or a touch screen that reports the 0.5 / 0 / 1 placeholders).
 * @param {string} pointerType `mouse`, `pen` or `touch`
 * @param {number} pressure `PointerEvent.pressure`
 * @returns {number} 0..1
 */
export function pressureOf(pointerType, pressure) {
  if (pointerType !== 'pen' && pointerType !== 'touch') return DEFAULT_PRESSURE;
  if (!Number.isFinite(pressure) || pressure <= 0 || pressure >= 1 || pressure === DEFAULT_PRESSURE) return DEFAULT_PRESSURE;
  return pressure;
}

/**
 * Strokes as drawn: points in canvas widths, `t` in ms since the stroke began, `p` the pressure. Points are kept
 * on the pad (a finger that slides off it draws along its edge): the server refuses ink outside the canvas.
 */
export class SignatureModel {
  /** The pad's height in canvas widths. */
  #bottom;
  /** @type {StrokePoint[][]} */
  strokes = [];
  /** The stroke being drawn (the last of `strokes`), or null between strokes. */
  /** @type {StrokePoint[] | null} */
  #open = null;
  #points = 0;

  /** @param {number} [aspect] width / height of the pad */
  constructor(aspect = PAD_ASPECT) {
    this.#bottom = 1 / aspect;
  }

  /** @returns {number} points in all strokes */
  get pointCount() {
    return this.#points;
  }

  /** @returns {boolean} nothing drawn */
  get isEmpty() {
    return this.#points === 0;
  }

  /** @returns {boolean} a stroke is being drawn */
  get drawing() {
    return this.#open !== null;
  }

  /** @returns {boolean} no more points are taken (the server's limit) */
  get full() {
    return this.#points >= MAX_POINTS;
  }

  /**
   * @param {StrokePoint} point
   * @returns {StrokePoint} on the pad, with sane numbers
   */
  #clean(point) {
    const clamp = (/** @type {number} */ v, /** @type {number} */ lo, /** @type {number} */ hi, /** @type {number} */ fallback) =>
      Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
    return {
      x: clamp(point.x, 0, 1, 0),
      y: clamp(point.y, 0, this.#bottom, 0),
      t: clamp(point.t, 0, MAX_STROKE_MS, 0),
      p: clamp(point.p, 0, 1, DEFAULT_PRESSURE),
    };
  }

  /**
   * Begin a stroke at a point (in canvas widths).
   * @param {StrokePoint} point
   * @returns {boolean} whether it was taken
   */
  begin(point) {
    this.end();
    if (this.full || this.strokes.length >= MAX_STROKES) return false;
    this.#open = [this.#clean(point)];
    this.strokes.push(this.#open);
    this.#points += 1;
    return true;
  }

  /**
   * Continue the stroke being drawn; a point too close to the previous one is skipped.
   * @param {StrokePoint} point
   * @returns {boolean} whether it was taken
   */
  extend(point) {
    const stroke = this.#open;
    if (!stroke || this.full) return false;
    const last = /** @type {StrokePoint} */ (stroke[stroke.length - 1]);
    const next = this.#clean(point);
    if (Math.hypot(next.x - last.x, next.y - last.y) < MIN_STEP) return false;
    if (next.t < last.t) next.t = last.t;
    stroke.push(next);
    this.#points += 1;
    return true;
  }

  /** End the stroke being drawn. */
  end() {
    this.#open = null;
  }

  /** Clear everything (撤销: sign again). */
  clear() {
    this.strokes = [];
    this.#open = null;
    this.#points = 0;
  }
}

/**
 * The strokes in pixels of a canvas `width` CSS pixels wide, as the server takes them (x, y to 0.1 px, t whole ms,
 * p to 3 decimals).
 * @param {StrokePoint[][]} strokes in canvas widths
 * @param {number} width
 * @returns {StrokePoint[][]}
 */
export function toPixels(strokes, width) {
  const round = (/** @type {number} */ v, /** @type {number} */ k) => Math.round(v * k) / k;
  return strokes.map((stroke) => stroke.map((pt) => ({ x: round(pt.x * width, 10), y: round(pt.y * width, 10), t: Math.round(pt.t), p: round(pt.p, 1000) })));
}

/**
 * Why a signature would be refused (the server's rule): `signature_empty` without ink; `signature_trivial` with
 * fewer than 2 strokes and fewer than 30 points, or ink narrower than 20 % of the canvas width. Null when it is fine.
 * @param {StrokePoint[][]} strokes in the same unit as `width` (pixels, or canvas widths with width 1)
 * @param {number} width the canvas width
 * @returns {'signature_empty' | 'signature_trivial' | null}
 */
export function inkProblem(strokes, width) {
  const drawn = strokes.filter((s) => s.length > 0);
  const points = drawn.reduce((n, s) => n + s.length, 0);
  if (points === 0) return 'signature_empty';
  if (drawn.length < MIN_STROKES && points < MIN_POINTS) return 'signature_trivial';
  const box = bounds(drawn);
  if (box.maxX - box.minX < MIN_SPAN * width) return 'signature_trivial';
  return null;
}

/**
 * The bounding box of the ink.
 * @param {StrokePoint[][]} strokes
 * @returns {{minX: number, minY: number, maxX: number, maxY: number}}
 */
export function bounds(strokes) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const stroke of strokes) {
    for (const { x, y } of stroke) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  if (minX === Infinity) return { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  return { minX, minY, maxX, maxY };
}

/**
 * The line width at each point of a stroke, in canvas widths: thicker with pressure, thinner with speed, eased
 * from point to point so that the width never jumps.
 * @param {StrokePoint[]} points in canvas widths
 * @param {number} [base]
 * @returns {number[]}
 */
export function strokeWidths(points, base = BASE_WIDTH) {
  /** @type {number[]} */
  const widths = [];
  let previous = 0;
  points.forEach((pt, i) => {
    const before = points[i - 1];
    let speed = 0;
    if (before) speed = Math.hypot(pt.x - before.x, pt.y - before.y) / Math.max(1, pt.t - before.t);
    // 0.004 canvas widths per ms is brisk writing (a whole pad in a quarter of a second).
    const fast = Math.min(1, speed / 0.004);
    const target = base * (0.55 + 0.9 * pt.p) * (1.15 - 0.45 * fast);
    const width = i === 0 ? target : previous * 0.65 + target * 0.35;
    widths.push(width);
    previous = width;
  });
  return widths;
}

/**
 * One piece of a smoothed stroke: a quadratic curve (or a dot when `from`, `control` and `to` coincide).
 * @typedef {Object} Segment
 * @property {number} x0
 * @property {number} y0
 * @property {number} cx
 * @property {number} cy
 * @property {number} x1
 * @property {number} y1
 * @property {number} width
 */

/**
 * The pieces of a stroke: from the first point to the midpoint of the first two, then from midpoint to midpoint
 * with the point between as the control, and (when `finished`) on to the last point. A single point is a dot.
 * @param {StrokePoint[]} points
 * @param {boolean} [finished] the stroke is complete (else its last piece waits for the next point)
 * @param {number[]} [widths] from `strokeWidths`
 * @returns {Segment[]}
 */
export function strokeSegments(points, finished = true, widths = strokeWidths(points)) {
  /** @type {Segment[]} */
  const segments = [];
  const n = points.length;
  const first = points[0];
  if (!first) return segments;
  if (n === 1) {
    if (finished) segments.push({ x0: first.x, y0: first.y, cx: first.x, cy: first.y, x1: first.x, y1: first.y, width: widths[0] ?? BASE_WIDTH });
    return segments;
  }
  const mid = (/** @type {StrokePoint} */ a, /** @type {StrokePoint} */ b) => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
  const second = /** @type {StrokePoint} */ (points[1]);
  const m01 = mid(first, second);
  // The lead-in: a straight piece (its control halfway) from the first point to the first midpoint.
  segments.push({ x0: first.x, y0: first.y, cx: (first.x + m01.x) / 2, cy: (first.y + m01.y) / 2, x1: m01.x, y1: m01.y, width: widths[0] ?? BASE_WIDTH });
  let from = m01;
  for (let i = 1; i < n - 1; i++) {
    const pt = /** @type {StrokePoint} */ (points[i]);
    const to = mid(pt, /** @type {StrokePoint} */ (points[i + 1]));
    segments.push({ x0: from.x, y0: from.y, cx: pt.x, cy: pt.y, x1: to.x, y1: to.y, width: widths[i] ?? BASE_WIDTH });
    from = to;
  }
  if (finished) {
    const last = /** @type {StrokePoint} */ (points[n - 1]);
    segments.push({ x0: from.x, y0: from.y, cx: (from.x + last.x) / 2, cy: (from.y + last.y) / 2, x1: last.x, y1: last.y, width: widths[n - 1] ?? BASE_WIDTH });
  }
  return segments;
}

/**
 * The part of a 2D context that drawing needs (a real CanvasRenderingContext2D, or a recorder in tests).
 * @typedef {Object} Pen
 * @property {string | CanvasGradient | CanvasPattern} strokeStyle
 * @property {string | CanvasGradient | CanvasPattern} fillStyle
 * @property {number} lineWidth
 * @property {CanvasLineCap} lineCap
 * @property {CanvasLineJoin} lineJoin
 * @property {() => void} beginPath
 * @property {(x: number, y: number) => void} moveTo
 * @property {(cx: number, cy: number, x: number, y: number) => void} quadraticCurveTo
 * @property {(x: number, y: number, r: number, start: number, end: number) => void} arc
 * @property {() => void} stroke
 * @property {() => void} fill
 */

/**
 * Draw pieces of a stroke, scaled from canvas widths to `scale` units (the canvas width in the context's units).
 * @param {Pen} pen
 * @param {Segment[]} segments
 * @param {number} scale
 * @param {string} [color]
 */
export function drawSegments(pen, segments, scale, color = '#10264a') {
  pen.strokeStyle = color;
  pen.fillStyle = color;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  for (const s of segments) {
    const width = Math.max(0.75, s.width * scale);
    if (s.x0 === s.x1 && s.y0 === s.y1 && s.cx === s.x0 && s.cy === s.y0) {
      pen.beginPath();
      pen.arc(s.x0 * scale, s.y0 * scale, width / 2, 0, Math.PI * 2);
      pen.fill();
      continue;
    }
    pen.lineWidth = width;
    pen.beginPath();
    pen.moveTo(s.x0 * scale, s.y0 * scale);
    pen.quadraticCurveTo(s.cx * scale, s.cy * scale, s.x1 * scale, s.y1 * scale);
    pen.stroke();
  }
}

/**
 * Draw every stroke.
 * @param {Pen} pen
 * @param {StrokePoint[][]} strokes in canvas widths
 * @param {number} scale the canvas width in the context's units
 * @param {string} [color]
 * @param {StrokePoint[] | null} [open] the stroke still being drawn (its last piece waits)
 */
export function drawStrokes(pen, strokes, scale, color, open = null) {
  for (const stroke of strokes) drawSegments(pen, strokeSegments(stroke, stroke !== open), scale, color);
}

/**
 * The size of the PNG sent with a signature: sharp on a high-density screen, at most MAX_IMAGE_WIDTH wide.
 * @param {number} cssWidth
 * @param {number} cssHeight
 * @param {number} [pixelRatio]
 * @returns {{width: number, height: number}}
 */
export function imageSize(cssWidth, cssHeight, pixelRatio = 1) {
  const width = Math.max(1, Math.min(MAX_IMAGE_WIDTH, Math.round(cssWidth * Math.max(2, pixelRatio))));
  return { width, height: Math.max(1, Math.round((width * cssHeight) / Math.max(1, cssWidth))) };
}

/**
 * The largest rectangle of shape `aspect` that fits a `width` × `height` area.
 * @param {number} width
 * @param {number} height
 * @param {number} [aspect]
 * @returns {{width: number, height: number}}
 */
export function fitPad(width, height, aspect = PAD_ASPECT) {
  const w = Math.max(0, Math.min(width, height * aspect));
  return { width: Math.floor(w), height: Math.floor(w / aspect) };
}

/**
 * A short form of a version's hash, for people to compare (the first 8 hex digits).
 * @param {string | null | undefined} sha256
 * @returns {string}
 */
export function shortHash(sha256) {
  return (sha256 ?? '').slice(0, 8);
}
