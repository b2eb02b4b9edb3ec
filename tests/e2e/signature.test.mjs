/**
 * The handwritten signature's model and maths (web/lib/signature.js) without a browser: the pressure taken from a
 * pointer, the triviality rule the server shares (≥ 2 strokes or ≥ 30 points, ink ≥ 20 % of the canvas width),
 * strokes kept in canvas widths and redrawn the same at another size, smooth quadratic pieces through midpoints, line
 * widths that follow pressure and speed, the PNG's size and the pad's shape.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BASE_WIDTH,
  DEFAULT_PRESSURE,
  MAX_IMAGE_WIDTH,
  MAX_POINTS,
  MAX_STROKES,
  MAX_STROKE_MS,
  PAD_ASPECT,
  SignatureModel,
  drawStrokes,
  fitPad,
  imageSize,
  inkProblem,
  pressureOf,
  shortHash,
  strokeSegments,
  strokeWidths,
  toPixels,
} from '../../web/lib/signature.js';

/**
 * A stroke of `n` points along a line, in canvas widths.
 * @param {number} x0 @param {number} y0 @param {number} x1 @param {number} y1 @param {number} n
 * @param {number} [p]
 */
const line = (x0, y0, x1, y1, n, p = 0.5) =>
  Array.from({ length: n }, (_, i) => {
    const f = n === 1 ? 0 : i / (n - 1);
    return { x: x0 + (x1 - x0) * f, y: y0 + (y1 - y0) * f, t: i * 16, p };
  });

/**
 * Numbers equal to within rounding.
 * @param {(number | undefined)[]} actual
 * @param {number[]} expected
 */
const near = (actual, expected) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(v !== undefined && Math.abs(v - /** @type {number} */ (expected[i])) < 1e-9, `${actual} ≈ ${expected}`));
};

/** A 2D context that records what is drawn. */
class Recorder {
  strokeStyle = '';
  fillStyle = '';
  lineWidth = 1;
  /** @type {CanvasLineCap} */
  lineCap = 'butt';
  /** @type {CanvasLineJoin} */
  lineJoin = 'miter';
  /** @type {Array<[string, ...number[]]>} */
  calls = [];
  /** @type {number[]} */
  widths = [];
  beginPath() {
    this.calls.push(['beginPath']);
  }
  /** @param {number} x @param {number} y */
  moveTo(x, y) {
    this.calls.push(['moveTo', x, y]);
  }
  /** @param {number} cx @param {number} cy @param {number} x @param {number} y */
  quadraticCurveTo(cx, cy, x, y) {
    this.calls.push(['quadraticCurveTo', cx, cy, x, y]);
  }
  /** @param {number} x @param {number} y @param {number} r */
  arc(x, y, r) {
    this.calls.push(['arc', x, y, r]);
  }
  stroke() {
    this.widths.push(this.lineWidth);
    this.calls.push(['stroke']);
  }
  fill() {
    this.calls.push(['fill']);
  }
}

test('pressure: measured for a pen or a finger that reports it, else 0.5', () => {
  assert.equal(pressureOf('pen', 0.8), 0.8);
  assert.equal(pressureOf('touch', 0.31), 0.31);
  assert.equal(pressureOf('mouse', 0.9), DEFAULT_PRESSURE, 'a mouse has no pressure');
  assert.equal(pressureOf('touch', 0.5), DEFAULT_PRESSURE, 'the browser’s default');
  assert.equal(pressureOf('touch', 0), DEFAULT_PRESSURE, 'a screen that measures nothing');
  assert.equal(pressureOf('touch', 1), DEFAULT_PRESSURE, 'a screen that reports 1 for any touch');
  assert.equal(pressureOf('pen', Number.NaN), DEFAULT_PRESSURE);
});

test('the model keeps strokes, skips points that add nothing, and clears for 撤销', () => {
  const model = new SignatureModel();
  assert.equal(model.isEmpty, true);
  assert.equal(model.extend({ x: 0.1, y: 0.1, t: 0, p: 0.5 }), false, 'no stroke open');
  model.begin({ x: 0.1, y: 0.1, t: 0, p: 0.5 });
  assert.equal(model.drawing, true);
  assert.equal(model.extend({ x: 0.1002, y: 0.1, t: 4, p: 0.5 }), false, 'a point on top of the last one is skipped');
  assert.equal(model.extend({ x: 0.2, y: 0.12, t: 20, p: 0.5 }), true);
  assert.equal(model.extend({ x: 0.3, y: 0.14, t: 10, p: 2 }), true);
  const last = model.strokes[0]?.at(-1);
  assert.deepEqual(last, { x: 0.3, y: 0.14, t: 20, p: 1 }, 'time never runs back; pressure stays in 0..1');
  model.end();
  assert.equal(model.drawing, false);
  model.begin({ x: 0.5, y: 0.2, t: 0, p: 0.5 });
  model.end();
  assert.equal(model.strokes.length, 2);
  assert.equal(model.pointCount, 4);
  model.clear();
  assert.equal(model.isEmpty, true);
  assert.equal(model.strokes.length, 0);
  assert.equal(model.pointCount, 0);
});

test('the model keeps the ink on the pad: a finger sliding off draws along the edge (the server refuses ink outside)', () => {
  const model = new SignatureModel(PAD_ASPECT);
  model.begin({ x: -0.1, y: 0.2, t: 0, p: 0.5 });
  model.extend({ x: 0.5, y: 0.9, t: 10, p: 0.5 });
  model.extend({ x: 1.3, y: -0.2, t: MAX_STROKE_MS + 5, p: 0.5 });
  assert.deepEqual(model.strokes[0], [
    { x: 0, y: 0.2, t: 0, p: 0.5 },
    { x: 0.5, y: 1 / PAD_ASPECT, t: 10, p: 0.5 },
    { x: 1, y: 0, t: MAX_STROKE_MS, p: 0.5 },
  ]);
  const px = toPixels(model.strokes, 600);
  for (const pt of px.flat()) assert.ok(pt.x >= 0 && pt.x <= 600 && pt.y >= 0 && pt.y <= 300, `inside the 600×300 canvas: ${JSON.stringify(pt)}`);
});

test('the model stops at the server’s limits of points and strokes', () => {
  const many = new SignatureModel();
  for (let i = 0; i < MAX_STROKES + 10; i++) many.begin({ x: 0.1, y: 0.1, t: 0, p: 0.5 });
  assert.equal(many.strokes.length, MAX_STROKES);

  const model = new SignatureModel();
  model.begin({ x: 0, y: 0, t: 0, p: 0.5 });
  for (let i = 1; i < MAX_POINTS + 50; i++) model.extend({ x: (i % 400) * 0.002, y: (Math.floor(i / 400) % 200) * 0.002, t: i, p: 0.5 });
  assert.equal(model.pointCount, MAX_POINTS);
  assert.equal(model.full, true);
  assert.equal(model.begin({ x: 0, y: 0, t: 0, p: 0.5 }), false);
});

test('strokes go to the server in CSS pixels of the canvas, rounded', () => {
  const px = toPixels([[{ x: 0.123456, y: 0.25, t: 12.6, p: 0.33333 }]], 600);
  assert.deepEqual(px, [[{ x: 74.1, y: 150, t: 13, p: 0.333 }]]);
});

test('the triviality rule: empty, too little ink, too narrow — or fine', () => {
  const W = 600;
  assert.equal(inkProblem([], W), 'signature_empty');
  assert.equal(inkProblem([[]], W), 'signature_empty');
  // one short stroke of a few points: too little
  assert.equal(inkProblem([line(100, 100, 400, 100, 10)], W), 'signature_trivial');
  // one stroke of 30 points across the pad: enough
  assert.equal(inkProblem([line(100, 100, 400, 120, 30)], W), null);
  // two strokes: enough points, whatever their number
  assert.equal(inkProblem([line(100, 100, 250, 100, 3), line(260, 90, 300, 150, 3)], W), null);
  // plenty of points, but a scribble in a corner (narrower than 20 % of 600 = 120 px)
  assert.equal(inkProblem([line(10, 10, 100, 40, 50), line(20, 50, 110, 20, 50)], W), 'signature_trivial');
  // exactly 20 %
  assert.equal(inkProblem([line(10, 10, 130, 40, 50)], W), null);
  // a tap: one point
  assert.equal(inkProblem([[{ x: 300, y: 150, t: 0, p: 0.5 }]], W), 'signature_trivial');
  // the same rule in canvas widths (width 1)
  assert.equal(inkProblem([line(0.1, 0.1, 0.6, 0.2, 40)], 1), null);
});

test('smooth pieces: quadratic curves through midpoints, the points as controls, from the first point to the last', () => {
  const pts = [
    { x: 0, y: 0, t: 0, p: 0.5 },
    { x: 0.1, y: 0.1, t: 10, p: 0.5 },
    { x: 0.2, y: 0, t: 20, p: 0.5 },
    { x: 0.3, y: 0.1, t: 30, p: 0.5 },
  ];
  const segments = strokeSegments(pts, true);
  assert.equal(segments.length, 4, 'lead-in, two curves, tail');
  const [lead, a, b, tail] = /** @type {import('../../web/lib/signature.js').Segment[]} */ (segments);
  near([lead?.x0, lead?.y0], [0, 0]);
  near([a?.x0, a?.y0, a?.cx, a?.cy, a?.x1, a?.y1], [0.05, 0.05, 0.1, 0.1, 0.15, 0.05]);
  near([b?.cx, b?.cy, b?.x1, b?.y1], [0.2, 0, 0.25, 0.05]);
  near([tail?.x1, tail?.y1], [0.3, 0.1]);
  // continuous: each piece starts where the one before ended
  for (let i = 1; i < segments.length; i++) {
    assert.deepEqual([segments[i]?.x0, segments[i]?.y0], [segments[i - 1]?.x1, segments[i - 1]?.y1]);
  }
  // while drawing, the last piece waits for the next point
  assert.equal(strokeSegments(pts, false).length, 3);
  assert.deepEqual(strokeSegments(pts, false), segments.slice(0, 3), 'the pieces drawn while writing are the final ones');
  // a tap is a dot; nothing at all is nothing
  const dot = strokeSegments([{ x: 0.5, y: 0.2, t: 0, p: 0.5 }], true);
  assert.equal(dot.length, 1);
  assert.deepEqual([dot[0]?.x0, dot[0]?.x1, dot[0]?.cx], [0.5, 0.5, 0.5]);
  assert.equal(strokeSegments([{ x: 0.5, y: 0.2, t: 0, p: 0.5 }], false).length, 0);
  assert.equal(strokeSegments([], true).length, 0);
});

test('widths: thicker with pressure, thinner with speed, never jumping', () => {
  const slowLight = strokeWidths(line(0.1, 0.1, 0.2, 0.1, 20, 0.2).map((p, i) => ({ ...p, t: i * 40 })));
  const slowHeavy = strokeWidths(line(0.1, 0.1, 0.2, 0.1, 20, 0.9).map((p, i) => ({ ...p, t: i * 40 })));
  const fast = strokeWidths(line(0.1, 0.1, 0.9, 0.1, 20, 0.5).map((p, i) => ({ ...p, t: i * 4 })));
  const slow = strokeWidths(line(0.1, 0.1, 0.2, 0.1, 20, 0.5).map((p, i) => ({ ...p, t: i * 40 })));
  const last = (/** @type {number[]} */ w) => /** @type {number} */ (w.at(-1));
  assert.ok(last(slowHeavy) > last(slowLight), 'pressure thickens');
  assert.ok(last(fast) < last(slow), 'speed thins');
  for (const widths of [slowLight, slowHeavy, fast, slow]) {
    for (const w of widths) assert.ok(w > BASE_WIDTH * 0.3 && w < BASE_WIDTH * 2, `a sensible width: ${w}`);
    for (let i = 1; i < widths.length; i++) {
      const ratio = /** @type {number} */ (widths[i]) / /** @type {number} */ (widths[i - 1]);
      assert.ok(ratio > 0.7 && ratio < 1.4, `no jump between points: ${ratio}`);
    }
  }
  // a sudden burst of speed eases in
  const burst = strokeWidths([
    { x: 0.1, y: 0.1, t: 0, p: 0.5 },
    { x: 0.11, y: 0.1, t: 40, p: 0.5 },
    { x: 0.5, y: 0.1, t: 41, p: 0.5 },
  ]);
  assert.ok(/** @type {number} */ (burst[2]) > /** @type {number} */ (burst[1]) * 0.75);
});

test('redrawn at another size, the drawing is the same picture scaled (rotation, resizing, pixel ratio)', () => {
  const strokes = [line(0.1, 0.1, 0.8, 0.3, 12), [{ x: 0.5, y: 0.4, t: 0, p: 0.5 }]];
  const small = new Recorder();
  const big = new Recorder();
  drawStrokes(small, strokes, 360);
  drawStrokes(big, strokes, 720);
  assert.equal(small.calls.length, big.calls.length);
  small.calls.forEach((call, i) => {
    const other = /** @type {[string, ...number[]]} */ (big.calls[i]);
    assert.equal(call[0], other[0]);
    call.slice(1).forEach((v, j) => assert.ok(Math.abs(/** @type {number} */ (other[j + 1]) - 2 * /** @type {number} */ (v)) < 1e-9, `${call[0]} scales`));
  });
  small.widths.forEach((w, i) => assert.ok(Math.abs(/** @type {number} */ (big.widths[i]) - 2 * w) < 1e-9 || w === 0.75, 'line widths scale'));
  assert.ok(small.calls.some((c) => c[0] === 'arc'), 'the tap is drawn as a dot');
  assert.equal(small.lineCap, 'round');
  // the stroke still being drawn leaves its last piece for later
  const open = /** @type {import('../../web/lib/types.js').StrokePoint[]} */ (strokes[0]);
  const partial = new Recorder();
  drawStrokes(partial, [open], 360, '#000', open);
  assert.equal(partial.calls.filter((c) => c[0] === 'stroke').length, strokeSegments(open, false).length);
});

test('the pad keeps its shape in any space, and the PNG stays sharp but at most 1600 px wide', () => {
  assert.deepEqual(fitPad(366, 700), { width: 366, height: 183 }, 'upright phone: as wide as the screen');
  assert.deepEqual(fitPad(650, 300), { width: 600, height: 300 }, 'phone on its side: as high as there is room');
  assert.equal(PAD_ASPECT, 2);
  assert.deepEqual(fitPad(0, 300), { width: 0, height: 0 });
  assert.deepEqual(imageSize(366, 183, 3), { width: 1098, height: 549 });
  assert.deepEqual(imageSize(600, 300, 1), { width: 1200, height: 600 }, 'at least twice the CSS size');
  assert.deepEqual(imageSize(1000, 500, 2), { width: MAX_IMAGE_WIDTH, height: 800 });
});

test('a version’s short hash is its first 8 hex digits', () => {
  assert.equal(shortHash('3fa2b9c1d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d'), '3fa2b9c1');
  assert.equal(shortHash(null), '');
});
