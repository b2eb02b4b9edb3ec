/** The console's two dictionaries carry the same keys, no empty text, and the same {placeholders} per key. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import en from '../../web/i18n/en.js';
import zh from '../../web/i18n/zh-CN.js';

/** @param {string} text */
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('zh-CN and en have the same keys', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
});

test('every message is non-empty and uses the same placeholders in both languages', () => {
  for (const [key, zhText] of Object.entries(zh)) {
    const enText = /** @type {Record<string, string>} */ (en)[key] ?? '';
    assert.ok(zhText.trim(), `zh-CN ${key} is empty`);
    assert.ok(enText.trim(), `en ${key} is empty`);
    assert.deepEqual(placeholders(enText), placeholders(zhText), `placeholders of ${key}`);
  }
});
