/**
 * Small pure diffs (no DOM), for the transcript's version history: Myers' O(ND) shortest edit script on any two
 * arrays, character-level differences of two texts (by code point, so Chinese and emoji are single units), and the
 * entry-by-entry differences of two transcript versions (added / removed / changed / same, with the changed text's
 * characters marked). Common prefixes and suffixes are trimmed first; beyond `maxEdits` differences the middle is
 * reported as one replacement, so a huge rewrite costs bounded time and memory.
 */

/** @typedef {import('./types.js').TranscriptEntry} TranscriptEntry */

/**
 * One step of an edit script from `a` to `b`: keep `a[ai]` (= `b[bi]`), delete `a[ai]`, or insert `b[bi]`.
 * @typedef {{op: 'equal', ai: number, bi: number} | {op: 'delete', ai: number} | {op: 'insert', bi: number}} Edit
 */

/**
 * A run of text that is in both, only in the old, or only in the new text.
 * @typedef {{op: 'equal' | 'delete' | 'insert', text: string}} TextPart
 */

/**
 * One entry of the differences between two versions: `same` and `removed` carry the old entry (`ai`), `added` the
 * new (`bi`), `changed` both, with `parts` the character differences of the text and `speakerChanged` when the role
 * or name differ.
 * @typedef {{op: 'same', ai: number, bi: number, entry: TranscriptEntry}
 *   | {op: 'removed', ai: number, entry: TranscriptEntry}
 *   | {op: 'added', bi: number, entry: TranscriptEntry}
 *   | {op: 'changed', ai: number, bi: number, before: TranscriptEntry, after: TranscriptEntry, parts: TextPart[], speakerChanged: boolean}} EntryChange
 */

/** Differences beyond which the middle of two sequences is reported as one replacement. */
export const MAX_EDITS = 4000;

/**
 * The shortest edit script from `a` to `b` (Myers 1986), in order.
 * @template T
 * @param {readonly T[]} a
 * @param {readonly T[]} b
 * @param {(x: T, y: T) => boolean} [equals] defaults to `===`
 * @param {number} [maxEdits] past this many differences, give up on finding the shortest and replace the middle
 * @returns {Edit[]}
 */
export function diff(a, b, equals = (x, y) => x === y, maxEdits = MAX_EDITS) {
  let start = 0;
  while (start < a.length && start < b.length && equals(/** @type {T} */ (a[start]), /** @type {T} */ (b[start]))) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && equals(/** @type {T} */ (a[endA - 1]), /** @type {T} */ (b[endB - 1]))) {
    endA -= 1;
    endB -= 1;
  }
  /** @type {Edit[]} */
  const edits = [];
  for (let i = 0; i < start; i++) edits.push({ op: 'equal', ai: i, bi: i });
  const middle = myers(a, b, start, endA, start, endB, equals, maxEdits);
  if (middle) edits.push(...middle);
  else {
    for (let i = start; i < endA; i++) edits.push({ op: 'delete', ai: i });
    for (let j = start; j < endB; j++) edits.push({ op: 'insert', bi: j });
  }
  for (let i = endA, j = endB; i < a.length; i++, j++) edits.push({ op: 'equal', ai: i, bi: j });
  return edits;
}

/**
 * Myers' greedy forward search over `a[a0..a1)` and `b[b0..b1)`, keeping each round's furthest reaching paths to walk
 * the script back; null when more than `maxEdits` differences are needed.
 * @template T
 * @param {readonly T[]} a
 * @param {readonly T[]} b
 * @param {number} a0
 * @param {number} a1
 * @param {number} b0
 * @param {number} b1
 * @param {(x: T, y: T) => boolean} equals
 * @param {number} maxEdits
 * @returns {Edit[] | null}
 */
function myers(a, b, a0, a1, b0, b1, equals, maxEdits) {
  const n = a1 - a0;
  const m = b1 - b0;
  if (n === 0 && m === 0) return [];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  // v[k + offset] = the furthest x reached on diagonal k (x - y = k).
  const v = new Int32Array(2 * max + 3);
  /** @type {Int32Array[]} the diagonals -d..d of v after round d */
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && (v[k - 1 + offset] ?? 0) < (v[k + 1 + offset] ?? 0))) x = v[k + 1 + offset] ?? 0;
      else x = (v[k - 1 + offset] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && equals(/** @type {T} */ (a[a0 + x]), /** @type {T} */ (b[b0 + y]))) {
        x += 1;
        y += 1;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
    if (found >= 0) break;
  }
  if (found < 0) return null;
  /** @type {Edit[]} */
  const reversed = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = /** @type {Int32Array} */ (trace[d - 1]);
    /** @param {number} k */
    const at = (k) => prev[k + d - 1] ?? 0;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      reversed.push({ op: 'equal', ai: a0 + x, bi: b0 + y });
    }
    if (down) {
      y -= 1;
      reversed.push({ op: 'insert', bi: b0 + y });
    } else {
      x -= 1;
      reversed.push({ op: 'delete', ai: a0 + x });
    }
  }
  while (x > 0 && y > 0) {
    x -= 1;
    y -= 1;
    reversed.push({ op: 'equal', ai: a0 + x, bi: b0 + y });
  }
  return reversed.reverse();
}

/**
 * The character differences of two texts, as runs (by code point: a Chinese character or an emoji is one unit).
 * @param {string} before
 * @param {string} after
 * @param {number} [maxEdits]
 * @returns {TextPart[]}
 */
export function diffText(before, after, maxEdits = MAX_EDITS) {
  const a = Array.from(before);
  const b = Array.from(after);
  /** @type {TextPart[]} */
  const parts = [];
  for (const edit of diff(a, b, undefined, maxEdits)) {
    const op = edit.op;
    const ch = edit.op === 'insert' ? b[edit.bi] : a[edit.ai];
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += ch ?? '';
    else parts.push({ op, text: ch ?? '' });
  }
  // Within a replaced stretch, show what went before what came (the edit script may interleave them).
  return mergeReplacements(parts);
}

/**
 * Put the deleted runs of each stretch between two equal runs before its inserted runs, each merged into one.
 * @param {TextPart[]} parts
 * @returns {TextPart[]}
 */
function mergeReplacements(parts) {
  /** @type {TextPart[]} */
  const out = [];
  let del = '';
  let ins = '';
  const flush = () => {
    if (del) out.push({ op: 'delete', text: del });
    if (ins) out.push({ op: 'insert', text: ins });
    del = '';
    ins = '';
  };
  for (const part of parts) {
    if (part.op === 'delete') del += part.text;
    else if (part.op === 'insert') ins += part.text;
    else {
      flush();
      out.push(part);
    }
  }
  flush();
  return out;
}

/**
 * How alike two texts are: 2 × the characters they share in order / their total length (1 for two empty texts).
 * @param {string} before
 * @param {string} after
 * @returns {number} 0..1
 */
export function similarity(before, after) {
  const total = Array.from(before).length + Array.from(after).length;
  if (total === 0) return 1;
  let common = 0;
  for (const part of diffText(before, after, 2000)) if (part.op === 'equal') common += Array.from(part.text).length;
  return (2 * common) / total;
}

/**
 * @param {TranscriptEntry} x
 * @param {TranscriptEntry} y
 */
const sameEntry = (x, y) => x.role === y.role && x.name === y.name && x.text === y.text;

/**
 * @param {TranscriptEntry} x
 * @param {TranscriptEntry} y
 */
const sameSpeaker = (x, y) => x.role === y.role && x.name === y.name;

/** Texts at least this alike count as one entry changed (not one removed and another added). */
const CHANGED_AT = 0.4;

/**
 * The entry-by-entry differences from version `before` to version `after`: entries kept, removed, added, and changed
 * (a removed entry and an added one at the same place that share the speaker or most of their text).
 * @param {readonly TranscriptEntry[]} before
 * @param {readonly TranscriptEntry[]} after
 * @returns {EntryChange[]}
 */
export function diffEntries(before, after) {
  const edits = diff(before, after, sameEntry);
  /** @type {EntryChange[]} */
  const out = [];
  let i = 0;
  while (i < edits.length) {
    const edit = /** @type {Edit} */ (edits[i]);
    if (edit.op === 'equal') {
      out.push({ op: 'same', ai: edit.ai, bi: edit.bi, entry: /** @type {TranscriptEntry} */ (before[edit.ai]) });
      i += 1;
      continue;
    }
    // A stretch of deletions and insertions between two kept entries: pair alike ones, in order, as changes.
    /** @type {number[]} */
    const removed = [];
    /** @type {number[]} */
    const added = [];
    while (i < edits.length && /** @type {Edit} */ (edits[i]).op !== 'equal') {
      const e = /** @type {Edit} */ (edits[i]);
      if (e.op === 'delete') removed.push(e.ai);
      else if (e.op === 'insert') added.push(e.bi);
      i += 1;
    }
    out.push(...pairStretch(before, after, removed, added));
  }
  return out;
}

/**
 * @param {readonly TranscriptEntry[]} before
 * @param {readonly TranscriptEntry[]} after
 * @param {number[]} removed indexes into `before`, ascending
 * @param {number[]} added indexes into `after`, ascending
 * @returns {EntryChange[]}
 */
function pairStretch(before, after, removed, added) {
  /** @type {EntryChange[]} */
  const out = [];
  let next = 0; // the first added entry not yet placed
  for (const ai of removed) {
    const old = /** @type {TranscriptEntry} */ (before[ai]);
    let match = -1;
    for (let j = next; j < added.length; j++) {
      const candidate = /** @type {TranscriptEntry} */ (after[/** @type {number} */ (added[j])]);
      if (similarity(old.text, candidate.text) >= CHANGED_AT || (sameSpeaker(old, candidate) && j === next)) {
        match = j;
        break;
      }
    }
    if (match < 0) {
      out.push({ op: 'removed', ai, entry: old });
      continue;
    }
    for (let j = next; j < match; j++) {
      const bi = /** @type {number} */ (added[j]);
      out.push({ op: 'added', bi, entry: /** @type {TranscriptEntry} */ (after[bi]) });
    }
    const bi = /** @type {number} */ (added[match]);
    const neu = /** @type {TranscriptEntry} */ (after[bi]);
    out.push({ op: 'changed', ai, bi, before: old, after: neu, parts: diffText(old.text, neu.text), speakerChanged: !sameSpeaker(old, neu) });
    next = match + 1;
  }
  for (let j = next; j < added.length; j++) {
    const bi = /** @type {number} */ (added[j]);
    out.push({ op: 'added', bi, entry: /** @type {TranscriptEntry} */ (after[bi]) });
  }
  return out;
}
