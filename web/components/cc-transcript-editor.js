/**
 * <cc-transcript-editor>: the clerk's 庭审笔录 in the console (`#/hearings/{id}/transcript`), PC first.
 *
 * On top, read-only, the header the server fills (court, 庭审笔录, 时间, 地点, 案由, 案号, 审判人员, 书记员, the opening
 * note); then the entries, each a speaker (role + name, from the hearing's bench and participants) and a text area.
 * Fast typing: Enter starts a new entry (the text after the caret goes with it), Shift+Enter breaks the line inside
 * the entry; `审：` `书：` `原：` `被：` `第：` `代：` `原代：` `被代：` `证：` `鉴：` `译：` (or with `:`) typed at the start
 * of an entry set its speaker (the first person of that role; 原代/被代 the first/second agent — the API does not say
 * whom an agent represents) and Alt+↑/↓ switches through the speakers; ↑ at the start / ↓ at the end (or Ctrl+↑/↓)
 * move between entries; Backspace in an empty entry deletes it.
 *
 * Autosave (web/lib/autosave.js): a snapshot 3 s after the last keystroke, at most 10 s apart while typing, and when
 * focus leaves the entries or the page is hidden; `PUT …/transcript` through the queue, which keeps unsaved snapshots
 * in localStorage (a reload offers to restore them), resends them when the network is back, and stops on a conflict
 * (load the latest version with the local text kept aside for copying, or save over it after confirming). Leaving
 * the page with unsaved work asks first. The live channel's `transcript` messages (another tab or clerk saved) load
 * the new version when nothing is pending here; `confirmation` messages refresh <cc-transcript-confirmation>.
 * Beside the editor, <cc-transcript-confirmation>; below it, <cc-transcript-history>. Staff other than the clerk
 * see the transcript read-only.
 *
 * data-testid:
 * - `transcript-editor`   the editor (header + entries); `data-editable` when the user may edit
 * - `transcript-header`   the read-only header
 * - `entry`               each entry row, with `data-role` (the speaker's role) and `data-name`
 * - `entry-speaker`       the entry's speaker <select> (option text: 审判长 许1)
 * - `entry-text`          the entry's <textarea>
 * - `entry-delete`        the entry's delete button
 * - `add-entry`           adds an entry at the end
 * - `save-status`         `data-state` = saved | saving | offline | conflict | error | restore, `data-version` = the
 *                         version the server confirmed last, `data-pending` = changes not saved yet
 * - `save-retry`          retry now (offline / error)
 * - `restore-banner`      unsaved changes left by an earlier page: `restore-apply`, `restore-discard`
 * - `save-conflict`       the conflict panel: `conflict-load` (load the latest), `conflict-overwrite`, `conflict-mine`
 *                         (the local text, read-only, for copying)
 * - `kept-text`           the local text set aside after loading the latest version: `kept-copy`, `kept-dismiss`
 * - `editor-notice`       announcements (speaker set, entry deleted, another version loaded)
 * - `transcript-back`     back to the hearing
 */

import { getHearing } from '../lib/api.js';
import { AutosaveQueue, SaveTimer, sameEntries, savable, storageKey } from '../lib/autosave.js';
import { create, h, replaceChildren, uid } from '../lib/dom.js';
import { setErrorText } from '../lib/forms.js';
import { LANG_EVENT, bindAttr, bindLocalized, bindText, t } from '../lib/i18n.js';
import { LiveClient, ROLE_ORDER } from '../lib/live.js';
import { FALLBACK_TIME_ZONE, formatInZone } from '../lib/time.js';
import { getTranscript, saveTranscript } from '../lib/transcript.js';
import { confirmDialog } from './cc-confirm-dialog.js';
import { CcTranscriptConfirmation } from './cc-transcript-confirmation.js';
import { CcTranscriptHistory } from './cc-transcript-history.js';

/** @typedef {import('../lib/types.js').Role} Role */
/** @typedef {import('../lib/types.js').Session} Session */
/** @typedef {import('../lib/types.js').HearingDetail} HearingDetail */
/** @typedef {import('../lib/types.js').Transcript} Transcript */
/** @typedef {import('../lib/types.js').TranscriptEntry} TranscriptEntry */
/** @typedef {import('../lib/i18n.js').MessageKey} MessageKey */

/**
 * A person who may speak: one of the bench or a participant.
 * @typedef {{key: string, role: Role, name: string}} Speaker
 */

/**
 * One entry on screen.
 * @typedef {Object} Row
 * @property {HTMLLIElement} li
 * @property {HTMLSelectElement} select
 * @property {HTMLTextAreaElement} text
 * @property {HTMLButtonElement | null} remove
 * @property {Role} role
 * @property {string} name
 */

/** Speaker shortcuts typed at the start of an entry, with the roles they pick from (in order). */
export const SHORTCUTS = /** @type {Record<string, Role[]>} */ ({
  审: ['presiding_judge', 'judge'],
  书: ['clerk'],
  原: ['plaintiff'],
  被: ['defendant'],
  第: ['third_party'],
  代: ['agent'],
  原代: ['agent'],
  被代: ['agent'],
  证: ['witness'],
  鉴: ['expert'],
  译: ['interpreter'],
});

/** A shortcut at the very start of a text, with its colon. */
const SHORTCUT_AT_START = /^(原代|被代|审|书|原|被|第|代|证|鉴|译)[：:]/;

/**
 * @param {Role} role
 * @param {string} name
 */
const speakerKey = (role, name) => `${role}\u001f${name}`;

/**
 * The speakers of a hearing: the bench (审判长, 审判员, 书记员), then the participants by role (in the roster's
 * ROLE_ORDER), each role in the hearing's order.
 * @param {HearingDetail} hearing
 * @returns {Speaker[]}
 */
export function speakersOf(hearing) {
  /** @type {Speaker[]} */
  const all = [
    ...hearing.bench.map((m) => ({ key: speakerKey(m.role, m.display_name), role: /** @type {Role} */ (m.role), name: m.display_name })),
    ...hearing.participants.map((p) => ({ key: speakerKey(p.role, p.name), role: p.role, name: p.name })),
  ];
  const seen = new Set();
  return all
    .map((s, i) => ({ s, i }))
    .sort((a, b) => ROLE_ORDER.indexOf(a.s.role) - ROLE_ORDER.indexOf(b.s.role) || a.i - b.i)
    .map(({ s }) => s)
    .filter((s) => (seen.has(s.key) ? false : (seen.add(s.key), true)));
}

/**
 * The speaker a shortcut names among `speakers`: the first of its roles (原代 the first agent, 被代 the second when
 * there are two or more).
 * @param {string} code e.g. 审
 * @param {Speaker[]} speakers
 * @returns {Speaker | null}
 */
export function shortcutSpeaker(code, speakers) {
  const roles = SHORTCUTS[code];
  if (!roles) return null;
  for (const role of roles) {
    const matching = speakers.filter((s) => s.role === role);
    if (matching.length === 0) continue;
    if (code === '被代' && matching.length > 1) return /** @type {Speaker} */ (matching[1]);
    return /** @type {Speaker} */ (matching[0]);
  }
  return null;
}

/**
 * An entry as one line of text (for copying): 审判长 许1：现在开庭。
 * @param {TranscriptEntry} entry
 */
const lineOf = (entry) => `${t(/** @type {MessageKey} */ (`role.${entry.role}`))} ${entry.name}：${entry.text}`;

/** One autosave queue per hearing for the page's life: leaving the editor lets it finish its work. */
/** @type {Map<string, AutosaveQueue>} */
const queues = new Map();

/**
 * @param {string} hearingId
 * @returns {{queue: AutosaveQueue, fresh: boolean}}
 */
function queueFor(hearingId) {
  const known = queues.get(hearingId);
  if (known) return { queue: known, fresh: false };
  const queue = new AutosaveQueue({ key: storageKey(hearingId), send: (save) => saveTranscript(hearingId, save) });
  queues.set(hearingId, queue);
  return { queue, fresh: true };
}

export class CcTranscriptEditor extends HTMLElement {
  #hearingId = '';
  /** @type {Session | null} */
  #session = null;
  #editable = false;
  /** @type {Speaker[]} */
  #speakers = [];
  /** Speakers found in the entries shown but not in the hearing (e.g. a participant since removed). */
  /** @type {Speaker[]} */
  #extras = [];
  /** @type {Row[]} */
  #rows = [];
  /** @type {AutosaveQueue | null} */
  #queue = null;
  #timer = new SaveTimer(() => this.#snapshot());
  /** @type {LiveClient | null} */
  #live = null;
  /** The newest version the live channel announced. */
  #remoteVersion = 0;
  #catchingUp = false;
  #closed = false;
  /** @type {(() => void)[]} */
  #cleanup = [];

  #header = h('header', { class: 'tx-header', attrs: { 'data-testid': 'transcript-header' } });
  #list = h('ol', { class: 'tx-entries', i18nAttrs: { 'aria-label': 'transcript.editor.entries' } });
  #add = h('button', {
    class: 'button small tx-add',
    i18n: 'transcript.editor.add',
    attrs: { type: 'button', 'data-testid': 'add-entry' },
  });
  #editor = h('section', { class: 'panel tx-editor', attrs: { 'data-testid': 'transcript-editor' } });
  #status = h('p', { class: 'tx-status', attrs: { 'data-testid': 'save-status', role: 'status', 'aria-live': 'polite' } });
  #statusText = h('span', { class: 'tx-status-text' });
  #retry = h('button', {
    class: 'button small ghost',
    i18n: 'transcript.editor.retry',
    attrs: { type: 'button', hidden: true, 'data-testid': 'save-retry' },
  });
  #saveError = h('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  #notice = h('p', { class: 'tx-notice', attrs: { role: 'status', 'data-testid': 'editor-notice' } });
  #restore = h('div', { class: 'tx-banner', attrs: { role: 'alert', hidden: true, 'data-testid': 'restore-banner' } });
  #conflict = h('div', { class: 'tx-banner danger', attrs: { role: 'alert', hidden: true, 'data-testid': 'save-conflict' } });
  #kept = h('div', { class: 'tx-banner', attrs: { hidden: true, 'data-testid': 'kept-text' } });
  #loadError = h('div', { class: 'panel', attrs: { hidden: true } });
  #confirmation = create('cc-transcript-confirmation', CcTranscriptConfirmation);
  #history = create('cc-transcript-history', CcTranscriptHistory);

  /**
   * @param {string} hearingId
   * @param {Session} session
   */
  setup(hearingId, session) {
    this.#hearingId = hearingId;
    this.#session = session;
    this.#editable = session.user.role === 'clerk';
    this.#closed = false;
    const tz = session.court.time_zone;
    replaceChildren(this.#statusText);
    this.#status.append(this.#statusText, this.#retry);
    this.#retry.addEventListener('click', () => this.#queue?.retryNow());
    this.#add.addEventListener('click', () => {
      const last = this.#rows[this.#rows.length - 1];
      const row = this.#insertRow(this.#rows.length, { ...this.#defaultSpeaker(last), text: '' });
      row.text.focus();
    });
    this.#list.addEventListener('focusout', (event) => {
      // Leaving the entries (not moving between them) saves at once.
      const next = /** @type {FocusEvent} */ (event).relatedTarget;
      if (!(next instanceof Node) || !this.#list.contains(next)) this.#timer.flushNow();
    });
    replaceChildren(this.#editor, this.#header, h('p', { class: 'muted', i18n: 'transcript.editor.loading' }));
    const help = h(
      'details',
      { class: 'tx-help' },
      h('summary', { i18n: 'transcript.editor.help.title' }),
      h(
        'ul',
        {},
        (/** @type {MessageKey[]} */ ([
          'transcript.editor.help.enter',
          'transcript.editor.help.speakers',
          'transcript.editor.help.switch',
          'transcript.editor.help.move',
          'transcript.editor.help.delete',
          'transcript.editor.help.save',
        ])).map((key) => h('li', { i18n: key })),
      ),
    );
    replaceChildren(
      this,
      h(
        'div',
        { class: 'tx-page' },
        h(
          'div',
          { class: 'tx-top' },
          h('a', {
            class: 'back-link',
            i18n: 'transcript.editor.back',
            attrs: { href: `#/hearings/${encodeURIComponent(hearingId)}`, 'data-testid': 'transcript-back' },
          }),
          this.#status,
        ),
        this.#restore,
        this.#conflict,
        this.#kept,
        this.#saveError,
        this.#loadError,
        h(
          'div',
          { class: 'tx-layout' },
          h('div', { class: 'tx-main' }, this.#editor, this.#editable ? help : null, this.#notice),
          h('aside', { class: 'tx-side' }, this.#confirmation),
        ),
        this.#history,
      ),
    );
    this.#confirmation.setup({ hearingId, role: session.user.role, timeZone: tz, latestVersion: () => this.#queue?.version ?? 0 });
    this.#history.setup({ hearingId, timeZone: tz });
    this.#listen();
    void this.#load();
  }

  disconnectedCallback() {
    this.#closed = true;
    this.#timer.flushNow();
    for (const fn of this.#cleanup.splice(0)) fn();
    this.#live?.close();
    this.#live = null;
  }

  // ---------- loading ----------

  async #load() {
    const id = this.#hearingId;
    /** @type {HearingDetail} */
    let hearing;
    /** @type {Transcript} */
    let transcript;
    try {
      [hearing, transcript] = await Promise.all([getHearing(id), getTranscript(id)]);
    } catch (error) {
      if (this.#closed) return;
      const message = h('p', { class: 'form-error', attrs: { role: 'alert' } });
      setErrorText(message, error);
      replaceChildren(
        this.#loadError,
        message,
        h('button', { class: 'button', i18n: 'common.retry', attrs: { type: 'button' }, on: { click: () => void this.#load() } }),
      );
      this.#loadError.hidden = false;
      return;
    }
    if (this.#closed) return;
    this.#loadError.hidden = true;
    this.#speakers = speakersOf(hearing);
    this.#renderHeader(transcript);
    const { queue, fresh } = queueFor(id);
    this.#queue = queue;
    // Only the clerk's page takes up what an earlier page left (another user's page leaves it alone).
    const left = fresh && this.#editable ? queue.restore() : null;
    /** @type {TranscriptEntry[]} */
    let entries = transcript.entries;
    if (left && left.pending.length > 0 && sameEntries(queue.latestPending ?? [], savable(transcript.entries))) {
      // What was left is what the server has (its answer was lost on the way): nothing to ask.
      queue.discard();
      queue.start(transcript.version, transcript.entries);
    } else if (left && left.pending.length > 0) {
      this.#offerRestore(transcript);
    } else {
      if (!fresh && this.#editable && queue.latestPending) entries = queue.latestPending;
      queue.start(transcript.version, transcript.entries);
      if (queue.state === 'error') queue.retryNow();
    }
    this.#remoteVersion = Math.max(this.#remoteVersion, transcript.latest_version);
    this.#renderEditor(entries);
    const unsubscribe = queue.onChange(() => this.#onQueue());
    const unsaved = queue.onSaved(() => {
      this.#confirmation.refresh();
      this.#history.refresh();
    });
    this.#cleanup.push(unsubscribe, unsaved);
    this.#onQueue();
    this.#confirmation.refresh();
    this.#startLive();
  }

  /** @param {Transcript} transcript */
  #renderHeader(transcript) {
    const head = transcript.header;
    /**
     * @param {MessageKey} key
     * @param {string} value
     */
    const line = (key, value) => h('p', { class: 'tx-header-line', i18n: key, params: { value } });
    replaceChildren(
      this.#header,
      h('p', { class: 'tx-court', text: head.court }),
      h('h2', { class: 'tx-title', text: head.title }),
      h(
        'div',
        { class: 'tx-header-lines', i18nAttrs: { 'aria-label': 'transcript.editor.header' }, attrs: { role: 'group' } },
        line('transcript.editor.header.time', head.time),
        line('transcript.editor.header.place', head.place),
        line('transcript.editor.header.cause', head.cause),
        line('transcript.editor.header.caseNumber', head.case_number),
        line('transcript.editor.header.judges', head.judges.join('、')),
        line('transcript.editor.header.clerk', head.clerk),
      ),
      transcript.opening_note ? h('p', { class: 'tx-opening', text: transcript.opening_note }) : null,
    );
  }

  /** @param {TranscriptEntry[]} entries */
  #renderEditor(entries) {
    this.#editor.toggleAttribute('data-editable', this.#editable);
    const known = new Set(this.#speakers.map((s) => s.key));
    this.#extras = [];
    for (const e of entries) {
      const key = speakerKey(e.role, e.name);
      if (!known.has(key)) {
        known.add(key);
        this.#extras.push({ key, role: e.role, name: e.name });
      }
    }
    this.#rows = [];
    replaceChildren(this.#list);
    const shown = entries.length > 0 || !this.#editable ? entries : [{ ...this.#defaultSpeaker(undefined), text: '' }];
    for (const entry of shown) this.#insertRow(this.#rows.length, entry);
    replaceChildren(
      this.#editor,
      this.#header,
      this.#editable ? null : h('p', { class: 'notice tx-readonly', i18n: 'transcript.editor.readOnly' }),
      shown.length === 0 ? h('p', { class: 'empty', i18n: 'transcript.editor.noEntries' }) : null,
      this.#list,
      this.#editable ? this.#add : null,
    );
    for (const row of this.#rows) autosize(row.text);
  }

  /**
   * Replace the entries on screen (another version loaded), keeping the focus on the same entry and caret.
   * @param {TranscriptEntry[]} entries
   */
  #replaceEntries(entries) {
    const active = document.activeElement;
    const index = this.#rows.findIndex((r) => r.text === active || r.select === active);
    const onText = index >= 0 && this.#rows[index]?.text === active;
    const caret = onText ? /** @type {HTMLTextAreaElement} */ (active).selectionStart : 0;
    this.#renderEditor(entries);
    const row = this.#rows[Math.min(index, this.#rows.length - 1)];
    if (index >= 0 && row) {
      if (onText) {
        row.text.focus();
        const at = Math.min(caret, row.text.value.length);
        row.text.setSelectionRange(at, at);
      } else row.select.focus();
    }
  }

  // ---------- rows ----------

  /**
   * The speaker of a new entry: the same as the one before it, else the presiding judge (or whoever comes first).
   * @param {Row | undefined} previous
   * @returns {{role: Role, name: string}}
   */
  #defaultSpeaker(previous) {
    if (previous) return { role: previous.role, name: previous.name };
    const first = this.#speakers[0];
    return first ? { role: first.role, name: first.name } : { role: 'clerk', name: this.#session?.user.display_name ?? '' };
  }

  /**
   * Build an entry row and put it at `index`.
   * @param {number} index
   * @param {TranscriptEntry} entry
   * @returns {Row}
   */
  #insertRow(index, entry) {
    const select = h('select', { class: 'tx-speaker', attrs: { 'data-testid': 'entry-speaker', disabled: !this.#editable } });
    const text = h('textarea', {
      class: 'tx-text',
      attrs: { 'data-testid': 'entry-text', rows: 1, readonly: !this.#editable, spellcheck: 'false' },
      i18nAttrs: this.#editable ? { placeholder: 'transcript.editor.placeholder' } : {},
    });
    text.value = entry.text;
    const remove = this.#editable
      ? h('button', {
          class: 'button small ghost tx-delete',
          i18n: 'transcript.editor.delete',
          attrs: { type: 'button', 'data-testid': 'entry-delete' },
        })
      : null;
    const li = h('li', { class: 'tx-entry', attrs: { 'data-testid': 'entry' } }, h('div', { class: 'tx-who' }, select), text, remove);
    /** @type {Row} */
    const row = { li, select, text, remove, role: entry.role, name: entry.name };
    this.#fillOptions(row);
    this.#markSpeaker(row);
    if (this.#editable) {
      select.addEventListener('change', () => {
        const speaker = this.#allSpeakers().find((s) => s.key === select.value);
        if (speaker) this.#setSpeaker(row, speaker, false);
        this.#changed();
      });
      text.addEventListener('input', (event) => this.#onInput(row, /** @type {InputEvent} */ (event)));
      text.addEventListener('compositionend', () => this.#onInput(row, null));
      text.addEventListener('keydown', (event) => this.#onKey(row, event));
      remove?.addEventListener('click', () => this.#deleteRow(row, 'button'));
    }
    const before = this.#rows[index];
    this.#list.insertBefore(li, before ? before.li : null);
    this.#rows.splice(index, 0, row);
    this.#renumber(index);
    autosize(text);
    return row;
  }

  /** @returns {Speaker[]} every speaker offered: the hearing's, then those only found in the entries shown */
  #allSpeakers() {
    return this.#extras.length ? [...this.#speakers, ...this.#extras] : this.#speakers;
  }

  /** @param {Row} row */
  #fillOptions(row) {
    const speakers = [...this.#allSpeakers()];
    const key = speakerKey(row.role, row.name);
    if (!speakers.some((s) => s.key === key)) speakers.push({ key, role: row.role, name: row.name });
    replaceChildren(
      row.select,
      speakers.map((s) => h('option', { text: `${t(/** @type {MessageKey} */ (`role.${s.role}`))} ${s.name}`, attrs: { value: s.key } })),
    );
    row.select.value = key;
  }

  /** @param {Row} row */
  #markSpeaker(row) {
    row.li.dataset.role = row.role;
    row.li.dataset.name = row.name;
  }

  /**
   * @param {Row} row
   * @param {Speaker} speaker
   * @param {boolean} announce
   */
  #setSpeaker(row, speaker, announce) {
    row.role = speaker.role;
    row.name = speaker.name;
    if (![...row.select.options].some((o) => o.value === speaker.key)) this.#fillOptions(row);
    row.select.value = speaker.key;
    this.#markSpeaker(row);
    if (announce) {
      bindText(this.#notice, 'transcript.editor.speakerSet', {
        n: this.#rows.indexOf(row) + 1,
        speaker: `${t(/** @type {MessageKey} */ (`role.${speaker.role}`))} ${speaker.name}`,
      });
    }
  }

  /** Number the rows' labels from `from` on. @param {number} [from] */
  #renumber(from = 0) {
    for (let i = from; i < this.#rows.length; i++) {
      const row = /** @type {Row} */ (this.#rows[i]);
      const n = i + 1;
      if (row.li.dataset.n === String(n)) continue;
      row.li.dataset.n = String(n);
      bindAttr(row.select, 'aria-label', 'transcript.editor.speakerLabel', { n });
      bindAttr(row.text, 'aria-label', 'transcript.editor.textLabel', { n });
      if (row.remove) bindAttr(row.remove, 'aria-label', 'transcript.editor.deleteLabel', { n });
    }
  }

  /**
   * @param {Row} row
   * @param {'button' | 'key'} how
   */
  #deleteRow(row, how) {
    const index = this.#rows.indexOf(row);
    if (index < 0) return;
    row.li.remove();
    this.#rows.splice(index, 1);
    this.#renumber(index);
    bindText(this.#notice, 'transcript.editor.deleted', { n: index + 1 });
    if (this.#rows.length === 0) this.#insertRow(0, { ...this.#defaultSpeaker(undefined), text: '' });
    const next = how === 'key' ? (this.#rows[index - 1] ?? this.#rows[0]) : (this.#rows[index] ?? this.#rows[index - 1]);
    if (next) {
      next.text.focus();
      const at = how === 'key' ? next.text.value.length : 0;
      next.text.setSelectionRange(at, at);
    }
    this.#changed();
  }

  // ---------- typing ----------

  /**
   * @param {Row} row
   * @param {InputEvent | null} event null after a composition (IME) ended
   */
  #onInput(row, event) {
    if (event?.isComposing) {
      autosize(row.text);
      this.#changed();
      return;
    }
    const match = SHORTCUT_AT_START.exec(row.text.value);
    const caret = row.text.selectionStart;
    if (match && (caret === match[0].length || event?.inputType === 'insertFromPaste' || event === null)) {
      const code = /** @type {string} */ (match[1]);
      const speaker = shortcutSpeaker(code, this.#speakers);
      if (speaker) {
        const cut = match[0].length;
        row.text.value = row.text.value.slice(cut);
        const at = Math.max(0, caret - cut);
        row.text.setSelectionRange(at, at);
        this.#setSpeaker(row, speaker, true);
      } else {
        const role = /** @type {Role} */ ((SHORTCUTS[code] ?? ['clerk'])[0]);
        bindText(this.#notice, 'transcript.editor.noSpeaker', { role: t(/** @type {MessageKey} */ (`role.${role}`)) });
      }
    }
    autosize(row.text);
    this.#changed();
  }

  /**
   * @param {Row} row
   * @param {KeyboardEvent} event
   */
  #onKey(row, event) {
    if (event.isComposing || event.keyCode === 229) return;
    const text = row.text;
    const index = this.#rows.indexOf(row);
    const start = text.selectionStart;
    const end = text.selectionEnd;
    const plain = !event.altKey && !event.ctrlKey && !event.metaKey;
    if (event.key === 'Enter' && plain && !event.shiftKey) {
      event.preventDefault();
      const after = text.value.slice(end);
      text.value = text.value.slice(0, start);
      autosize(text);
      const next = this.#insertRow(index + 1, { role: row.role, name: row.name, text: after });
      next.text.focus();
      next.text.setSelectionRange(0, 0);
      this.#changed();
      return;
    }
    if (event.key === 'Backspace' && plain && !event.shiftKey && text.value === '' && this.#rows.length > 1) {
      event.preventDefault();
      this.#deleteRow(row, 'key');
      return;
    }
    if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      const speakers = this.#allSpeakers();
      const at = speakers.findIndex((s) => s.key === speakerKey(row.role, row.name));
      const step = event.key === 'ArrowDown' ? 1 : -1;
      const speaker = speakers[(at + step + speakers.length) % speakers.length];
      if (speaker) {
        this.#setSpeaker(row, speaker, true);
        this.#changed();
      }
      return;
    }
    const ctrl = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
    if (event.key === 'ArrowUp' && (ctrl || (plain && !event.shiftKey && start === 0 && end === 0))) {
      const previous = this.#rows[index - 1];
      if (previous) {
        event.preventDefault();
        previous.text.focus();
        const at = previous.text.value.length;
        previous.text.setSelectionRange(at, at);
      }
      return;
    }
    const atEnd = start === text.value.length && end === text.value.length;
    if (event.key === 'ArrowDown' && (ctrl || (plain && !event.shiftKey && atEnd))) {
      const next = this.#rows[index + 1];
      if (next) {
        event.preventDefault();
        next.text.focus();
        next.text.setSelectionRange(0, 0);
      }
    }
  }

  /** Something changed on screen: arm the save timer. */
  #changed() {
    if (!this.#editable || !this.#queue) return;
    this.#timer.touch();
    this.#renderStatus();
  }

  /** @returns {TranscriptEntry[]} the entries on screen, blank ones included */
  #entries() {
    return this.#rows.map((r) => ({ role: r.role, name: r.name, text: r.text.value }));
  }

  /** Hand the entries to the queue (which keeps them in storage at once). */
  #snapshot() {
    if (!this.#editable || !this.#queue || !this.#restore.hidden) return;
    this.#queue.push(this.#entries());
    this.#renderStatus();
  }

  // ---------- status, restore, conflict ----------

  #onQueue() {
    this.#renderStatus();
    this.#renderConflict();
    this.#renderKept();
    void this.#catchUp();
  }

  #renderStatus() {
    const queue = this.#queue;
    if (!queue) return;
    const armed = this.#timer.armed;
    const pending = queue.pendingChanges + (armed ? 1 : 0);
    /** @type {string} */
    let state;
    /** @type {MessageKey} */
    let key;
    /** @type {Record<string, string | number> | undefined} */
    let params;
    if (!this.#restore.hidden) {
      state = 'restore';
      key = 'transcript.editor.status.restore';
    } else if (queue.state === 'conflict') {
      state = 'conflict';
      key = 'transcript.editor.status.conflict';
    } else if (queue.state === 'error') {
      state = 'error';
      key = 'transcript.editor.status.error';
    } else if (queue.state === 'offline') {
      state = 'offline';
      key = 'transcript.editor.status.offline';
      params = { count: pending };
    } else if (pending > 0 || queue.inFlight) {
      state = 'saving';
      key = 'transcript.editor.status.saving';
    } else {
      state = 'saved';
      key = queue.version > 0 ? 'transcript.editor.status.saved' : 'transcript.editor.status.none';
      params = { version: queue.version };
    }
    this.#status.dataset.state = state;
    this.#status.dataset.version = String(queue.version);
    this.#status.dataset.pending = String(pending);
    this.#status.className = `tx-status save-${state}`;
    if (this.#statusText.dataset.i18n !== key || this.#statusText.dataset.i18nParams !== (params ? JSON.stringify(params) : undefined)) {
      bindText(this.#statusText, key, params);
    }
    this.#retry.hidden = !(state === 'offline' || state === 'error');
    const failure = queue.failure;
    if (state === 'error' && failure) {
      if (failure.message && (failure.message['zh-CN'] || failure.message.en)) bindLocalized(this.#saveError, failure.message);
      else bindText(this.#saveError, 'error.generic', { status: failure.status });
      this.#saveError.hidden = false;
    } else if (state !== 'conflict') this.#saveError.hidden = true;
  }

  /** @param {Transcript} transcript the server's latest, shown until the clerk chooses */
  #offerRestore(transcript) {
    const queue = /** @type {AutosaveQueue} */ (this.#queue);
    const pending = queue.pending;
    const last = pending[pending.length - 1];
    const tz = this.#session?.court.time_zone ?? FALLBACK_TIME_ZONE;
    const apply = h('button', { class: 'button primary', i18n: 'transcript.editor.restore.do', attrs: { type: 'button', 'data-testid': 'restore-apply' } });
    const discard = h('button', { class: 'button ghost', i18n: 'transcript.editor.restore.discard', attrs: { type: 'button', 'data-testid': 'restore-discard' } });
    replaceChildren(
      this.#restore,
      h('p', { i18n: 'transcript.editor.restore.text', params: { count: queue.pendingChanges, time: last ? formatInZone(last.at, tz) : '' } }),
      h('p', { class: 'actions' }, apply, discard),
    );
    this.#restore.hidden = false;
    this.#editor.inert = true;
    apply.addEventListener('click', () => {
      const entries = queue.latestPending ?? transcript.entries;
      this.#restore.hidden = true;
      this.#editor.inert = false;
      this.#replaceEntries(entries);
      queue.resume();
      bindText(this.#notice, 'transcript.editor.restore.done');
      this.#renderStatus();
      this.#rows[this.#rows.length - 1]?.text.focus();
    });
    discard.addEventListener('click', async () => {
      const ok = await confirmDialog('transcript.editor.restore.confirmDiscard', undefined, 'transcript.editor.restore.discard', true);
      if (!ok) return;
      this.#restore.hidden = true;
      this.#editor.inert = false;
      queue.discard();
      try {
        const latest = await getTranscript(this.#hearingId);
        queue.start(latest.version, latest.entries);
        this.#replaceEntries(latest.entries);
      } catch {
        queue.start(transcript.version, transcript.entries);
        this.#replaceEntries(transcript.entries);
      }
      this.#renderStatus();
    });
  }

  #renderConflict() {
    const queue = this.#queue;
    if (!queue) return;
    const show = queue.state === 'conflict';
    if (!show) {
      this.#conflict.hidden = true;
      delete this.#conflict.dataset.drawn;
      return;
    }
    if (this.#conflict.dataset.drawn) return;
    this.#conflict.dataset.drawn = '1';
    const load = h('button', { class: 'button primary', i18n: 'transcript.editor.conflict.load', attrs: { type: 'button', 'data-testid': 'conflict-load' } });
    const overwrite = h('button', { class: 'button danger-ghost', i18n: 'transcript.editor.conflict.overwrite', attrs: { type: 'button', 'data-testid': 'conflict-overwrite' } });
    const mineId = uid('tx-mine');
    const mine = h('textarea', { class: 'tx-copy', attrs: { id: mineId, readonly: true, rows: 6, 'data-testid': 'conflict-mine' } });
    mine.value = savable(this.#entries()).map(lineOf).join('\n');
    replaceChildren(
      this.#conflict,
      h('h3', { i18n: 'transcript.editor.status.conflict' }),
      h('p', { i18n: 'transcript.editor.conflict.text' }),
      h('p', { class: 'actions' }, load, overwrite),
      h('label', { class: 'tx-copy-label', i18n: 'transcript.editor.mine', attrs: { for: mineId } }),
      mine,
    );
    this.#conflict.hidden = false;
    load.addEventListener('click', async () => {
      load.disabled = true;
      try {
        const latest = await getTranscript(this.#hearingId);
        this.#timer.cancel();
        queue.adopt(latest.version, latest.entries, this.#entries());
        this.#replaceEntries(latest.entries);
        this.#kept.querySelector('button')?.focus();
      } catch (error) {
        setErrorText(this.#saveError, error);
        this.#saveError.hidden = false;
        load.disabled = false;
      }
    });
    overwrite.addEventListener('click', async () => {
      overwrite.disabled = true;
      try {
        const latest = await getTranscript(this.#hearingId);
        const ok = await confirmDialog('transcript.editor.conflict.confirmOverwrite', { version: latest.version }, 'transcript.editor.conflict.overwrite', true);
        if (ok) {
          this.#timer.cancel();
          queue.rebase(latest.version, this.#entries());
        }
      } catch (error) {
        setErrorText(this.#saveError, error);
        this.#saveError.hidden = false;
      }
      overwrite.disabled = false;
    });
  }

  #renderKept() {
    const kept = this.#queue?.kept ?? null;
    if (!kept) {
      this.#kept.hidden = true;
      delete this.#kept.dataset.drawn;
      return;
    }
    const key = JSON.stringify(kept);
    if (this.#kept.dataset.drawn === key) return;
    this.#kept.dataset.drawn = key;
    const text = h('textarea', { class: 'tx-copy', attrs: { readonly: true, rows: 6 }, i18nAttrs: { 'aria-label': 'transcript.editor.kept.title' } });
    text.value = kept.entries.map(lineOf).join('\n');
    const copied = h('span', { class: 'muted', attrs: { role: 'status' } });
    const copy = h('button', { class: 'button small', i18n: 'transcript.editor.kept.copy', attrs: { type: 'button', 'data-testid': 'kept-copy' } });
    const dismiss = h('button', { class: 'button small ghost', i18n: 'transcript.editor.kept.dismiss', attrs: { type: 'button', 'data-testid': 'kept-dismiss' } });
    copy.addEventListener('click', async () => {
      text.focus();
      text.select();
      try {
        await navigator.clipboard.writeText(text.value);
      } catch {
        // The text stays selected for Ctrl+C.
      }
      bindText(copied, 'transcript.editor.kept.copied');
    });
    dismiss.addEventListener('click', () => this.#queue?.dismissKept());
    replaceChildren(
      this.#kept,
      h('h3', { i18n: 'transcript.editor.kept.title' }),
      h('p', { i18n: 'transcript.editor.kept.text', params: { version: kept.base_version } }),
      text,
      h('p', { class: 'actions' }, copy, dismiss, copied),
    );
    this.#kept.hidden = false;
  }

  // ---------- live: other saves, confirmation ----------

  #startLive() {
    this.#live?.close();
    const live = new LiveClient(this.#hearingId);
    this.#live = live;
    live.on('message', (message) => {
      if (live !== this.#live) return;
      if (message.type === 'transcript' && typeof message.version === 'number') {
        this.#remoteVersion = Math.max(this.#remoteVersion, message.version);
        this.#confirmation.refresh();
        this.#history.refresh();
        void this.#catchUp();
      } else if (message.type === 'confirmation') {
        this.#confirmation.refresh();
      }
    });
    let welcomes = 0;
    live.on('welcome', () => {
      welcomes += 1;
      // Back after a cut: the server may have sent a fresh snapshot instead of what was missed.
      if (welcomes > 1 && live === this.#live) void this.#resync();
    });
    live.connect();
  }

  /** Read the latest version number again, and the confirmation and history with it. */
  async #resync() {
    this.#confirmation.refresh();
    this.#history.refresh();
    try {
      const latest = await getTranscript(this.#hearingId);
      this.#remoteVersion = Math.max(this.#remoteVersion, latest.latest_version);
      void this.#catchUp();
    } catch {
      // The next message or save tells.
    }
  }

  /** A newer version than ours was saved elsewhere: follow it when nothing is pending here. */
  async #catchUp() {
    const queue = this.#queue;
    if (!queue || this.#catchingUp || this.#closed) return;
    if (this.#remoteVersion <= queue.version || (queue.state !== 'saved' && queue.state !== 'saving')) return;
    if (queue.inFlight || queue.pending.length > 0 || !this.#restore.hidden) return;
    if (this.#timer.armed) {
      // Our own save goes first: it meets the newer version and shows the conflict.
      this.#timer.flushNow();
      return;
    }
    this.#catchingUp = true;
    try {
      const latest = await getTranscript(this.#hearingId);
      if (this.#closed || this.#timer.armed || queue.inFlight || queue.pending.length > 0) return;
      if (queue.follow(latest.version, latest.entries)) {
        this.#replaceEntries(latest.entries);
        bindText(this.#notice, 'transcript.editor.remote', {
          version: latest.version,
          name: latest.saved_by ?? t('transcript.editor.remoteSomeone'),
        });
        this.#renderStatus();
      }
    } catch {
      // The next message or save tries again.
    } finally {
      this.#catchingUp = false;
    }
  }

  // ---------- page life ----------

  #listen() {
    const onOnline = () => this.#queue?.retryNow();
    const onHide = () => this.#timer.flushNow();
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') this.#timer.flushNow();
    };
    /** @param {BeforeUnloadEvent} event */
    const onBeforeUnload = (event) => {
      this.#timer.flushNow();
      const queue = this.#queue;
      if (queue && this.#editable && (queue.pending.length > 0 || queue.state === 'conflict')) {
        event.preventDefault();
        event.returnValue = '';
      }
    };
    const onLang = () => {
      for (const row of this.#rows) this.#fillOptions(row);
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('pagehide', onHide);
    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener(LANG_EVENT, onLang);
    document.addEventListener('visibilitychange', onVisibility);
    this.#cleanup.push(() => {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('pagehide', onHide);
      window.removeEventListener('beforeunload', onBeforeUnload);
      window.removeEventListener(LANG_EVENT, onLang);
      document.removeEventListener('visibilitychange', onVisibility);
    });
  }
}

/**
 * Grow a text area with its text (where CSS `field-sizing` does not already).
 * @param {HTMLTextAreaElement} text
 */
function autosize(text) {
  if (FIELD_SIZING || !text.isConnected) return;
  text.style.height = 'auto';
  text.style.height = `${text.scrollHeight + 2}px`;
}

const FIELD_SIZING = typeof CSS !== 'undefined' && CSS.supports?.('field-sizing', 'content');

customElements.define('cc-transcript-editor', CcTranscriptEditor);
