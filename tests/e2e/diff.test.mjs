/**
 * The version history's diff (web/lib/diff.js) without a browser: the edit script is the shortest and replays `a` into
 * `b` (checked on random sequences against an LCS table), Chinese text differs by character, and two transcript
 * versions differ entry by entry (added, removed, changed with the changed characters, kept).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diff, diffEntries, diffText, similarity } from '../../web/lib/diff.js';

/**
 * Replay an edit script: the kept and inserted items in order must be `b`, the kept and deleted ones `a`.
 * @template T
 * @param {T[]} a
 * @param {T[]} b
 * @param {import('../../web/lib/diff.js').Edit[]} edits
 */
function replay(a, b, edits) {
  /** @type {T[]} */
  const fromA = [];
  /** @type {T[]} */
  const toB = [];
  for (const e of edits) {
    if (e.op === 'equal') {
      assert.equal(a[e.ai], b[e.bi], 'an equal step pairs equal items');
      fromA.push(/** @type {T} */ (a[e.ai]));
      toB.push(/** @type {T} */ (b[e.bi]));
    } else if (e.op === 'delete') fromA.push(/** @type {T} */ (a[e.ai]));
    else toB.push(/** @type {T} */ (b[e.bi]));
  }
  assert.deepEqual(fromA, a);
  assert.deepEqual(toB, b);
}

/**
 * The length of the longest common subsequence (the reference for the script's size).
 * @param {unknown[]} a
 * @param {unknown[]} b
 */
function lcs(a, b) {
  const row = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j], row[j - 1]);
      diag = up;
    }
  }
  return row[b.length];
}

test('the edit script of two arrays is the shortest one and replays a into b', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 400; round++) {
    const a = Array.from({ length: Math.floor(random() * 14) }, () => 'abcd'[Math.floor(random() * 4)]);
    const b = Array.from({ length: Math.floor(random() * 14) }, () => 'abcd'[Math.floor(random() * 4)]);
    const edits = diff(a, b);
    replay(a, b, edits);
    const kept = edits.filter((e) => e.op === 'equal').length;
    assert.equal(kept, lcs(a, b), `shortest script for ${a.join('')} → ${b.join('')}`);
  }
  assert.deepEqual(diff([], []), []);
  assert.deepEqual(diff([1], []), [{ op: 'delete', ai: 0 }]);
  assert.deepEqual(diff([], [1]), [{ op: 'insert', bi: 0 }]);
});

test('past maxEdits the middle is one replacement, still a valid script', () => {
  const a = 'xabcdefghy'.split('');
  const b = 'x0123456789y'.split('');
  const edits = diff(a, b, undefined, 3);
  replay(a, b, edits);
  assert.deepEqual(edits[0], { op: 'equal', ai: 0, bi: 0 });
  assert.deepEqual(edits[edits.length - 1], { op: 'equal', ai: 9, bi: 11 });
});

test('Chinese text differs by character, deletions before insertions', () => {
  assert.deepEqual(diffText('原告请求被告归还借款五万元', '原告请求被告归还借款十万元及利息'), [
    { op: 'equal', text: '原告请求被告归还借款' },
    { op: 'delete', text: '五' },
    { op: 'insert', text: '十' },
    { op: 'equal', text: '万元' },
    { op: 'insert', text: '及利息' },
  ]);
  assert.deepEqual(diffText('', '审判长'), [{ op: 'insert', text: '审判长' }]);
  assert.deepEqual(diffText('相同', '相同'), [{ op: 'equal', text: '相同' }]);
  // An emoji (two UTF-16 units) is one character, never cut in half.
  assert.deepEqual(diffText('好😀', '好😃'), [
    { op: 'equal', text: '好' },
    { op: 'delete', text: '😀' },
    { op: 'insert', text: '😃' },
  ]);
  assert.equal(similarity('', ''), 1);
  assert.equal(similarity('甲乙', '丙丁'), 0);
});

/**
 * @param {import('../../web/lib/types.js').Role} role
 * @param {string} name
 * @param {string} text
 */
const entry = (role, name, text) => ({ role, name, text });

test('two transcript versions differ entry by entry', () => {
  const v1 = [
    entry('presiding_judge', '许1', '现在开庭。'),
    entry('clerk', '梁1', '报告审判长，当事人均已到庭。'),
    entry('plaintiff', '贾1', '请求被告归还借款五万元。'),
    entry('defendant', '王2', '不同意。'),
  ];
  const v2 = [
    entry('presiding_judge', '许1', '现在开庭。'),
    entry('plaintiff', '贾1', '请求被告归还借款十万元。'),
    entry('agent', '李3', '补充：有借条为证。'),
    entry('defendant', '王2', '不同意。'),
    entry('presiding_judge', '许1', '休庭。'),
  ];
  const changes = diffEntries(v1, v2);
  assert.deepEqual(
    changes.map((c) => c.op),
    ['same', 'removed', 'changed', 'added', 'same', 'added'],
  );
  const changed = changes[2];
  assert.ok(changed && changed.op === 'changed');
  assert.equal(changed.speakerChanged, false);
  assert.deepEqual(changed.parts, [
    { op: 'equal', text: '请求被告归还借款' },
    { op: 'delete', text: '五' },
    { op: 'insert', text: '十' },
    { op: 'equal', text: '万元。' },
  ]);
  const removed = changes[1];
  assert.ok(removed && removed.op === 'removed');
  assert.equal(removed.entry.name, '梁1');
  const last = changes[5];
  assert.ok(last && last.op === 'added');
  assert.equal(last.bi, 4);
  assert.equal(last.entry.text, '休庭。');
  // The first version against nothing: everything added.
  assert.deepEqual(
    diffEntries([], v1).map((c) => c.op),
    ['added', 'added', 'added', 'added'],
  );
});

test('a new speaker on the same words is a change of speaker', () => {
  const changes = diffEntries([entry('plaintiff', '贾1', '同意调解。')], [entry('defendant', '王2', '同意调解。')]);
  assert.equal(changes.length, 1);
  const only = changes[0];
  assert.ok(only && only.op === 'changed');
  assert.equal(only.speakerChanged, true);
  assert.deepEqual(only.parts, [{ op: 'equal', text: '同意调解。' }]);
});
