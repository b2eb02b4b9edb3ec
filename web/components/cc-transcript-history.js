/**
 * <cc-transcript-history>: the transcript's version history (版本记录), below the clerk's editor. The versions
 * (`GET …/transcript/versions`: number, time, who, entries, short hash, each with its PDF), and the differences of
 * two chosen versions entry by entry (web/lib/diff.js): added, removed and changed entries, the changed text marked
 * character by character (<del>/<ins>), unchanged runs folded. Versions are immutable, so each is fetched once.
 * The editor calls `refresh()` after each save and on the live channel's `transcript` messages.
 *
 * data-testid:
 * - `transcript-history`   the panel
 * - `history-refresh`      刷新
 * - `version-row`          each version, with `data-version`; its `compare-previous` button and `version-pdf` link
 * - `diff-from`, `diff-to` the two versions' selects; `diff-compare` the button
 * - `version-diff`         the differences, with `data-from` and `data-to`; each changed entry `diff-entry` with
 *                          `data-op` = added | removed | changed (and `data-speaker-changed`); folded unchanged runs
 *                          `diff-same`
 */

import { diffEntries } from '../lib/diff.js';
import { h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { formatInZone } from '../lib/time.js';
import { getTranscript, listTranscriptVersions, transcriptPdfUrl } from '../lib/transcript.js';

/** @typedef {import('../lib/types.js').Transcript} Transcript */
/** @typedef {import('../lib/types.js').TranscriptEntry} TranscriptEntry */
/** @typedef {import('../lib/types.js').TranscriptVersionSummary} TranscriptVersionSummary */
/** @typedef {import('../lib/diff.js').EntryChange} EntryChange */
/** @typedef {import('../lib/diff.js').TextPart} TextPart */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/** Re-reads asked for within this time are folded into one. */
const REFRESH_MS = 800;

export class CcTranscriptHistory extends HTMLElement {
  #hearingId = '';
  #timeZone = '';
  /** @type {Map<number, Promise<Transcript>>} */
  #cache = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #refreshTimer;
  #comparing = 0;

  #table = h('div', { class: 'table-wrap tx-versions' });
  #from = h('select', { attrs: { 'data-testid': 'diff-from' } });
  #to = h('select', { attrs: { 'data-testid': 'diff-to' } });
  #compare = h('button', { class: 'button small', i18n: 'transcript.history.compare', attrs: { type: 'submit', 'data-testid': 'diff-compare' } });
  #form = h('form', { class: 'tx-compare', attrs: { hidden: true } });
  #diff = h('div', { class: 'tx-diff', attrs: { 'data-testid': 'version-diff', hidden: true, 'aria-live': 'polite' } });
  #error = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });

  /** @param {{hearingId: string, timeZone: string}} setup */
  setup(setup) {
    this.#hearingId = setup.hearingId;
    this.#timeZone = setup.timeZone;
    this.#cache.clear();
    const titleId = uid('tx-history');
    const fromId = uid('tx-from');
    const toId = uid('tx-to');
    this.#from.id = fromId;
    this.#to.id = toId;
    replaceChildren(
      this.#form,
      h('div', { class: 'field' }, h('label', { i18n: 'transcript.history.from', attrs: { for: fromId } }), this.#from),
      h('span', { class: 'tx-arrow', text: '→', attrs: { 'aria-hidden': 'true' } }),
      h('div', { class: 'field' }, h('label', { i18n: 'transcript.history.to', attrs: { for: toId } }), this.#to),
      this.#compare,
    );
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.compare(Number(this.#from.value), Number(this.#to.value));
    });
    replaceChildren(
      this,
      h(
        'section',
        { class: 'panel tx-history', attrs: { 'aria-labelledby': titleId, 'data-testid': 'transcript-history' } },
        h(
          'div',
          { class: 'panel-head' },
          h('h3', { i18n: 'transcript.history.title', attrs: { id: titleId } }),
          h('button', {
            class: 'button small ghost',
            i18n: 'transcript.history.refresh',
            attrs: { type: 'button', 'data-testid': 'history-refresh' },
            on: { click: () => void this.#load() },
          }),
        ),
        this.#error,
        this.#table,
        this.#form,
        this.#diff,
      ),
    );
    replaceChildren(this.#table, h('p', { class: 'muted', i18n: 'transcript.history.loading' }));
    void this.#load();
  }

  disconnectedCallback() {
    clearTimeout(this.#refreshTimer);
  }

  /** Read the versions again soon (several calls in a row make one read). */
  refresh() {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.#load(), REFRESH_MS);
  }

  async #load() {
    clearTimeout(this.#refreshTimer);
    try {
      const versions = await listTranscriptVersions(this.#hearingId);
      this.#error.hidden = true;
      this.#show(versions);
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    }
  }

  /** @param {TranscriptVersionSummary[]} versions newest first */
  #show(versions) {
    const key = JSON.stringify(versions);
    if (this.#table.dataset.drawn === key) return;
    this.#table.dataset.drawn = key;
    const tz = this.#timeZone;
    if (versions.length === 0) {
      replaceChildren(this.#table, h('p', { class: 'empty', i18n: 'transcript.history.empty' }));
      this.#form.hidden = true;
      return;
    }
    /** @param {MessageKey} label */
    const cell = (label) => ({ i18nAttrs: { 'data-label': label } });
    replaceChildren(
      this.#table,
      h(
        'table',
        { class: 'data-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            (/** @type {MessageKey[]} */ ([
              'transcript.history.col.version',
              'transcript.history.col.time',
              'transcript.history.col.by',
              'transcript.history.col.entries',
              'transcript.history.col.hash',
              'transcript.history.col.actions',
            ])).map((k) => h('th', { i18n: k, attrs: { scope: 'col' } })),
          ),
        ),
        h(
          'tbody',
          {},
          versions.map((v) =>
            h(
              'tr',
              { attrs: { 'data-testid': 'version-row', 'data-version': v.version } },
              h('td', { ...cell('transcript.history.col.version'), class: 'strong nowrap', i18n: 'transcript.history.version', params: { version: v.version } }),
              h('td', { ...cell('transcript.history.col.time'), class: 'nowrap', text: formatInZone(v.saved_at, tz) }),
              h('td', { ...cell('transcript.history.col.by'), text: v.saved_by }),
              h('td', { ...cell('transcript.history.col.entries'), class: 'nowrap', i18n: 'transcript.history.entryCount', params: { count: v.entry_count } }),
              h('td', { ...cell('transcript.history.col.hash'), class: 'mono', text: v.sha256.slice(0, 12), attrs: { title: v.sha256 } }),
              h(
                'td',
                { ...cell('transcript.history.col.actions'), class: 'cell-actions' },
                h(
                  'div',
                  { class: 'cell-buttons' },
                  v.version > 1
                    ? h('button', {
                        class: 'button small',
                        i18n: 'transcript.history.withPrevious',
                        i18nAttrs: { 'aria-label': ['transcript.history.withPreviousLabel', { version: v.version }] },
                        attrs: { type: 'button', 'data-testid': 'compare-previous' },
                        on: { click: () => void this.compare(v.version - 1, v.version) },
                      })
                    : null,
                  h('a', {
                    class: 'button small ghost',
                    i18n: 'transcript.history.pdf',
                    i18nAttrs: { 'aria-label': ['transcript.history.pdfLabel', { version: v.version }] },
                    attrs: { href: transcriptPdfUrl(this.#hearingId, v.version), download: true, 'data-testid': 'version-pdf' },
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
    );
    const from = this.#from.value;
    const to = this.#to.value;
    for (const select of [this.#from, this.#to]) {
      replaceChildren(
        select,
        versions.map((v) =>
          h('option', { attrs: { value: v.version }, text: `${t('transcript.history.version', { version: v.version })} · ${formatInZone(v.saved_at, tz)}` }),
        ),
      );
    }
    const latest = /** @type {TranscriptVersionSummary} */ (versions[0]);
    this.#to.value = to && versions.some((v) => String(v.version) === to) ? to : String(latest.version);
    this.#from.value = from && versions.some((v) => String(v.version) === from) ? from : String(versions[1]?.version ?? latest.version);
    this.#form.hidden = versions.length < 2;
  }

  /**
   * @param {number} version
   * @returns {Promise<Transcript>}
   */
  #version(version) {
    let known = this.#cache.get(version);
    if (!known) {
      known = getTranscript(this.#hearingId, version);
      known.catch(() => this.#cache.delete(version));
      this.#cache.set(version, known);
    }
    return known;
  }

  /**
   * Show the differences from version `from` to version `to`.
   * @param {number} from
   * @param {number} to
   */
  async compare(from, to) {
    this.#from.value = String(from);
    this.#to.value = String(to);
    this.#error.hidden = true;
    if (from === to || !Number.isFinite(from) || !Number.isFinite(to)) {
      replaceChildren(this.#diff, h('p', { class: 'muted', i18n: 'transcript.history.pickTwo' }));
      this.#diff.hidden = false;
      return;
    }
    const ticket = ++this.#comparing;
    this.#compare.setAttribute('aria-busy', 'true');
    try {
      const [before, after] = await Promise.all([this.#version(from), this.#version(to)]);
      if (ticket !== this.#comparing) return;
      this.#renderDiff(from, to, diffEntries(before.entries, after.entries));
    } catch (error) {
      setErrorText(this.#error, error);
      this.#error.hidden = false;
    } finally {
      this.#compare.removeAttribute('aria-busy');
    }
  }

  /**
   * @param {number} from
   * @param {number} to
   * @param {EntryChange[]} changes
   */
  #renderDiff(from, to, changes) {
    const count = { added: 0, removed: 0, changed: 0 };
    for (const c of changes) if (c.op !== 'same') count[c.op] += 1;
    this.#diff.dataset.from = String(from);
    this.#diff.dataset.to = String(to);
    /** @type {HTMLElement[]} */
    const items = [];
    let same = 0;
    const fold = () => {
      if (same > 0) items.push(h('li', { class: 'tx-diff-same muted', i18n: 'transcript.history.unchanged', params: { count: same }, attrs: { 'data-testid': 'diff-same' } }));
      same = 0;
    };
    for (const change of changes) {
      if (change.op === 'same') {
        same += 1;
        continue;
      }
      fold();
      items.push(this.#diffItem(change));
    }
    fold();
    const nothing = count.added + count.removed + count.changed === 0;
    replaceChildren(
      this.#diff,
      h('h4', { class: 'tx-subtitle', i18n: 'transcript.history.diffTitle', params: { from, to } }),
      h('p', { class: 'muted', i18n: nothing ? 'transcript.history.noDiff' : 'transcript.history.summary', params: count }),
      nothing ? null : h('ol', { class: 'tx-diff-list' }, items),
    );
    this.#diff.hidden = false;
  }

  /**
   * @param {Exclude<EntryChange, {op: 'same'}>} change
   * @returns {HTMLElement}
   */
  #diffItem(change) {
    /** @param {TranscriptEntry} e */
    const who = (e) => `${t(/** @type {MessageKey} */ (`role.${e.role}`))} ${e.name}`;
    const entry = change.op === 'changed' ? change.after : change.entry;
    const n = change.op === 'removed' ? change.ai + 1 : change.bi + 1;
    /** @type {(HTMLElement | string)[]} */
    let text;
    if (change.op === 'added') text = [h('ins', { text: entry.text })];
    else if (change.op === 'removed') text = [h('del', { text: entry.text })];
    else text = change.parts.map(renderPart);
    return h(
      'li',
      {
        class: `tx-diff-item op-${change.op}`,
        attrs: {
          'data-testid': 'diff-entry',
          'data-op': change.op,
          'data-speaker-changed': change.op === 'changed' && change.speakerChanged ? 'true' : null,
        },
      },
      h(
        'div',
        { class: 'tx-diff-head' },
        h('span', { class: `badge tx-op op-${change.op}`, i18n: /** @type {MessageKey} */ (`transcript.history.op.${change.op}`) }),
        h('span', { class: 'muted small', i18n: 'transcript.history.entryNo', params: { n } }),
        h('strong', { class: 'tx-diff-who', text: who(entry) }),
      ),
      change.op === 'changed' && change.speakerChanged
        ? h('p', { class: 'small', i18n: 'transcript.history.speakerChanged', params: { before: who(change.before), after: who(change.after) } })
        : null,
      h('p', { class: 'tx-diff-text' }, text),
    );
  }
}

/**
 * @param {TextPart} part
 * @returns {HTMLElement | string}
 */
function renderPart(part) {
  if (part.op === 'insert') return h('ins', { text: part.text });
  if (part.op === 'delete') return h('del', { text: part.text });
  return part.text;
}

customElements.define('cc-transcript-history', CcTranscriptHistory);
