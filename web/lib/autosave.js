/**
 * The transcript editor's autosave, as pure logic (no DOM; storage, timers, ids and the request are injected, so it
 * runs in node's tests).
 *
 * `AutosaveQueue` keeps the snapshots (whole entry lists) not yet confirmed by the server, in order, and sends them one
 * at a time with `PUT …/transcript` ({base_version, save_id, entries}):
 * - A snapshot never sent is replaced by a newer one (only the newest unsent one needs sending); a snapshot whose
 *   request was started may have reached the server, so it is resent as it was, with the same `save_id` (the server
 *   answers the version it made instead of a conflict), before anything newer.
 * - Each answer's version is the next request's `base_version`.
 * - No answer (network), 408/429/5xx: state `offline`, retried with backoff (1 s, 2 s, 4 s … 15 s) and at once when
 *   `retryNow()` is called (the page's `online` event).
 * - 409 `transcript_conflict` (someone else saved): state `conflict`, nothing more is sent until the editor chooses
 *   `adopt()` (take the server's version; the local text is kept aside for copying) or `rebase()` (save the local text
 *   over it). Other refusals (401, 403, 422 …): state `error`, kept until `retryNow()`.
 * - Every change is written to storage (localStorage, keyed by hearing) before a request starts, so that a reload
 *   finds the pending snapshots (`restore()`), and the text kept aside after a conflict.
 *
 * `SaveTimer` decides when the editor takes a snapshot: `idleMs` after the last keystroke, and at most `maxMs` after
 * the first unsaved one while typing goes on.
 */

import { backoffDelay } from './live.js';

/** @typedef {import('./types.js').TranscriptEntry} TranscriptEntry */
/** @typedef {import('./types.js').TranscriptSave} TranscriptSave */
/** @typedef {import('./types.js').TranscriptSaved} TranscriptSaved */

/**
 * A snapshot waiting for the server: `sent` once its request was started (it may have arrived).
 * @typedef {Object} PendingSave
 * @property {string} save_id
 * @property {TranscriptEntry[]} entries
 * @property {boolean} sent
 * @property {number} changes how many snapshots it stands for (a never-sent one absorbs the newer ones)
 * @property {string} at ISO time of its newest snapshot
 */

/**
 * Text set aside when the server's version was taken after a conflict, until the clerk dismisses it.
 * @typedef {Object} KeptText
 * @property {TranscriptEntry[]} entries
 * @property {number} base_version the version it was edited from
 * @property {string} at ISO time
 */

/**
 * `saved`: nothing pending; `saving`: a request is on its way (or due); `offline`: the last attempt got no answer
 * and is retried; `conflict`: someone else saved first; `error`: refused for another reason.
 * @typedef {'saved' | 'saving' | 'offline' | 'conflict' | 'error'} QueueState
 */

/**
 * What an error thrown by `send` says (duck-typed on web/lib/api.js ApiError: `status` 0 = no answer), with the
 * server's message in both languages when it gave one.
 * @typedef {{status: number, code: string, retryAfter?: number, message?: Partial<Record<'zh-CN' | 'en', string>>}} SendFailure
 */

/**
 * @typedef {Object} Storage
 * @property {(key: string) => string | null} getItem
 * @property {(key: string, value: string) => void} setItem
 * @property {(key: string) => void} removeItem
 */

/**
 * @typedef {Object} Timers
 * @property {(fn: () => void, ms: number) => unknown} setTimeout
 * @property {(handle: unknown) => void} clearTimeout
 * @property {() => number} now
 */

/**
 * @typedef {Object} QueueOptions
 * @property {string} key the storage key (one per hearing: `storageKey(hearingId)`)
 * @property {(save: TranscriptSave) => Promise<TranscriptSaved>} send
 * @property {Storage | null} [storage] null: keep nothing (storage unavailable)
 * @property {() => string} [makeId] a fresh UUID
 * @property {Partial<Timers>} [timers]
 * @property {number} [minDelayMs] first retry delay
 * @property {number} [maxDelayMs] longest retry delay
 * @property {() => number} [random] jitter source, [0, 1)
 */

/** The format written to storage (`v` changes when it does). */
const FORMAT = 1;

/**
 * Where a hearing's pending saves are kept.
 * @param {string} hearingId
 * @returns {string}
 */
export const storageKey = (hearingId) => `cloudcourt.transcript.autosave.${hearingId}`;

/**
 * The entries worth saving: those whose text is not blank.
 * @param {readonly TranscriptEntry[]} entries
 * @returns {TranscriptEntry[]}
 */
export function savable(entries) {
  return entries.filter((e) => e.text.trim() !== '').map((e) => ({ role: e.role, name: e.name, text: e.text }));
}

/**
 * @param {readonly TranscriptEntry[]} a
 * @param {readonly TranscriptEntry[]} b
 */
export function sameEntries(a, b) {
  return a.length === b.length && a.every((e, i) => e.role === b[i]?.role && e.name === b[i]?.name && e.text === b[i]?.text);
}

/**
 * A random UUID (v4): `crypto.randomUUID` where the page is a secure context, else from `getRandomValues`.
 * @returns {string}
 */
export function newSaveId() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * @param {unknown} error
 * @returns {SendFailure}
 */
function failureOf(error) {
  const e = /** @type {{status?: unknown, code?: unknown, problem?: {retry_after?: unknown, message?: unknown}}} */ (error ?? {});
  const status = typeof e.status === 'number' ? e.status : 0;
  const code = typeof e.code === 'string' ? e.code : status === 0 ? 'network' : `http_${status}`;
  /** @type {SendFailure} */
  const failure = { status, code };
  if (typeof e.problem?.retry_after === 'number') failure.retryAfter = e.problem.retry_after;
  if (e.problem?.message && typeof e.problem.message === 'object') {
    failure.message = /** @type {Partial<Record<'zh-CN' | 'en', string>>} */ (e.problem.message);
  }
  return failure;
}

/**
 * @param {SendFailure} failure
 * @returns {boolean} whether trying again later may succeed
 */
function transient(failure) {
  return failure.status === 0 || failure.status === 408 || failure.status === 429 || failure.status >= 500;
}

export class AutosaveQueue {
  #key;
  #send;
  /** @type {Storage | null} */
  #storage;
  #makeId;
  /** @type {Timers} */
  #timers;
  #minDelayMs;
  #maxDelayMs;
  #random;

  /** The version the next request is based on (the latest the server confirmed to us). */
  #base = 0;
  /** The entries of version `#base`. */
  /** @type {TranscriptEntry[]} */
  #savedEntries = [];
  /** @type {PendingSave[]} */
  #items = [];
  /** @type {KeptText | null} */
  #kept = null;
  /** @type {QueueState} */
  #state = 'saved';
  /** @type {SendFailure | null} */
  #failure = null;
  #inFlight = false;
  #paused = false;
  /** Failed attempts in a row. */
  #failures = 0;
  /** @type {unknown} */
  #retryTimer = null;
  /** When the next retry is due (ms since epoch), 0 when none is. */
  #retryAt = 0;
  /** @type {Set<(queue: AutosaveQueue) => void>} */
  #listeners = new Set();
  /** @type {Set<(saved: TranscriptSaved, entries: TranscriptEntry[]) => void>} */
  #savedListeners = new Set();

  /** @param {QueueOptions} options */
  constructor(options) {
    this.#key = options.key;
    this.#send = options.send;
    this.#storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.#makeId = options.makeId ?? newSaveId;
    this.#timers = {
      setTimeout: options.timers?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: options.timers?.clearTimeout ?? ((handle) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (handle))),
      now: options.timers?.now ?? (() => Date.now()),
    };
    this.#minDelayMs = options.minDelayMs ?? 1_000;
    this.#maxDelayMs = options.maxDelayMs ?? 15_000;
    this.#random = options.random ?? Math.random;
  }

  // ---------- what the editor shows ----------

  /** @returns {QueueState} */
  get state() {
    return this.#state;
  }

  /** @returns {number} the version the server confirmed last (the next save's base) */
  get version() {
    return this.#base;
  }

  /** @returns {TranscriptEntry[]} the entries of that version */
  get savedEntries() {
    return this.#savedEntries.map((e) => ({ ...e }));
  }

  /** @returns {PendingSave[]} the snapshots not yet confirmed, oldest first (copies) */
  get pending() {
    return this.#items.map((item) => ({ ...item, entries: item.entries.map((e) => ({ ...e })) }));
  }

  /** @returns {number} how many snapshots (changes) are not confirmed yet */
  get pendingChanges() {
    return this.#items.reduce((sum, item) => sum + item.changes, 0);
  }

  /** @returns {TranscriptEntry[] | null} the newest entries not confirmed yet */
  get latestPending() {
    const last = this.#items[this.#items.length - 1];
    return last ? last.entries.map((e) => ({ ...e })) : null;
  }

  /** @returns {SendFailure | null} why the last attempt failed */
  get failure() {
    return this.#failure;
  }

  /** @returns {boolean} a request is on its way */
  get inFlight() {
    return this.#inFlight;
  }

  /** @returns {boolean} sending is held back (`pause()`) */
  get paused() {
    return this.#paused;
  }

  /** @returns {number} when the next retry is due (ms since epoch), 0 when none is */
  get retryAt() {
    return this.#retryAt;
  }

  /** @returns {KeptText | null} the local text set aside by `adopt()` */
  get kept() {
    return this.#kept ? { ...this.#kept, entries: this.#kept.entries.map((e) => ({ ...e })) } : null;
  }

  /**
   * Listen to every change of state, version or pending list; returns the function that stops listening.
   * @param {(queue: AutosaveQueue) => void} listener
   * @returns {() => void}
   */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Listen to each confirmed save (the server's answer and the entries it was for).
   * @param {(saved: TranscriptSaved, entries: TranscriptEntry[]) => void} listener
   * @returns {() => void}
   */
  onSaved(listener) {
    this.#savedListeners.add(listener);
    return () => this.#savedListeners.delete(listener);
  }

  #emit() {
    for (const listener of [...this.#listeners]) {
      try {
        listener(this);
      } catch (error) {
        console.error(error);
      }
    }
  }

  // ---------- starting ----------

  /**
   * Read what a previous page left in storage: pending snapshots (with the version they were based on) and text kept
   * aside. Sending stays paused until `resume()` (the editor first asks whether to restore) when there are any.
   * @returns {{base_version: number, pending: PendingSave[], kept: KeptText | null} | null} null when nothing was left
   */
  restore() {
    const raw = this.#read();
    if (!raw) return null;
    this.#kept = raw.kept;
    if (raw.items.length > 0) {
      this.#base = raw.base_version;
      this.#savedEntries = raw.saved_entries;
      this.#items = raw.items;
      this.#paused = true;
      this.#state = 'saving';
    }
    this.#emit();
    return { base_version: raw.base_version, pending: this.pending, kept: this.kept };
  }

  /**
   * Start from the server's version `version` (with its entries) when nothing is pending; pending snapshots keep the
   * base they were made on.
   * @param {number} version
   * @param {readonly TranscriptEntry[]} entries
   */
  start(version, entries) {
    if (this.#items.length === 0) {
      this.#base = version;
      this.#savedEntries = savable(entries);
      if (this.#state !== 'error') this.#state = 'saved';
      this.#emit();
    }
  }

  // ---------- snapshots ----------

  /**
   * Queue the whole entry list as it is now (blank entries dropped). Nothing is queued when it equals what the
   * server will have once the snapshots already sent are confirmed.
   * @param {readonly TranscriptEntry[]} entries
   * @returns {boolean} whether something is now pending for this snapshot
   */
  push(entries) {
    const snapshot = savable(entries);
    const last = this.#items[this.#items.length - 1];
    const lastSent = [...this.#items].reverse().find((item) => item.sent);
    const reference = lastSent ? lastSent.entries : this.#savedEntries;
    const at = new Date(this.#timers.now()).toISOString();
    if (last && !last.sent) {
      if (sameEntries(last.entries, snapshot)) return true;
      if (sameEntries(reference, snapshot)) {
        // Typed and undone: the unsent snapshot is no longer needed.
        this.#items.pop();
        this.#afterChange();
        return this.#items.length > 0;
      }
      last.entries = snapshot;
      last.changes += 1;
      last.at = at;
    } else {
      if (sameEntries(reference, snapshot)) return this.#items.length > 0;
      this.#items.push({ save_id: this.#makeId(), entries: snapshot, sent: false, changes: 1, at });
    }
    if (this.#state === 'saved') this.#state = 'saving';
    this.#afterChange();
    this.#pump();
    return true;
  }

  /** Hold sending back (e.g. while the editor asks whether to restore). */
  pause() {
    this.#paused = true;
    this.#emit();
  }

  /** Send again after `pause()` or `restore()`. */
  resume() {
    this.#paused = false;
    this.#emit();
    this.#pump();
  }

  /** Try now (the network is back, or the clerk asked): cancels the backoff wait; clears an `error` state. */
  retryNow() {
    if (this.#state === 'conflict') return;
    if (this.#state === 'error') this.#state = this.#items.length ? 'saving' : 'saved';
    this.#clearRetry();
    this.#emit();
    this.#pump();
  }

  /**
   * After a conflict: take the server's version `version` (its `entries`), and set the local text aside (`kept`) for
   * the clerk to copy from. Nothing pending any more.
   * @param {number} version
   * @param {readonly TranscriptEntry[]} entries
   * @param {readonly TranscriptEntry[]} [local] the editor's text to keep (defaults to the newest pending snapshot)
   */
  adopt(version, entries, local) {
    const mine = local ? savable(local) : this.latestPending;
    if (mine && mine.length > 0 && !sameEntries(mine, savable(entries))) {
      this.#kept = { entries: mine, base_version: this.#base, at: new Date(this.#timers.now()).toISOString() };
    }
    this.#clearRetry();
    this.#items = [];
    this.#base = version;
    this.#savedEntries = savable(entries);
    this.#state = 'saved';
    this.#failure = null;
    this.#failures = 0;
    this.#afterChange();
  }

  /**
   * After a conflict: save the local text over version `version` anyway (the clerk has seen the other version).
   * @param {number} version
   * @param {readonly TranscriptEntry[]} [entries] the text to save (defaults to the newest pending snapshot)
   */
  rebase(version, entries) {
    const mine = entries ? savable(entries) : (this.latestPending ?? []);
    this.#clearRetry();
    this.#base = version;
    const changes = Math.max(1, this.pendingChanges);
    this.#items = [{ save_id: this.#makeId(), entries: mine, sent: false, changes, at: new Date(this.#timers.now()).toISOString() }];
    this.#state = 'saving';
    this.#failure = null;
    this.#failures = 0;
    this.#afterChange();
    this.#pump();
  }

  /**
   * The server has version `version` (e.g. another tab saved it) and nothing here is pending: follow it.
   * @param {number} version
   * @param {readonly TranscriptEntry[]} entries
   * @returns {boolean} whether it was followed (false while snapshots are pending: their save will tell)
   */
  follow(version, entries) {
    if (this.#items.length > 0 || this.#inFlight || version < this.#base) return false;
    this.#base = version;
    this.#savedEntries = savable(entries);
    this.#emit();
    return true;
  }

  /** Forget the pending snapshots (the clerk chose not to restore them). */
  discard() {
    this.#clearRetry();
    this.#items = [];
    this.#paused = false;
    this.#state = 'saved';
    this.#failure = null;
    this.#failures = 0;
    this.#afterChange();
  }

  /** Forget the text kept aside. */
  dismissKept() {
    this.#kept = null;
    this.#afterChange();
  }

  /** Stop timers (the page is going); what is pending stays in storage. */
  dispose() {
    this.#clearRetry();
    this.#paused = true;
    this.#listeners.clear();
    this.#savedListeners.clear();
  }

  // ---------- sending ----------

  #pump() {
    if (this.#inFlight || this.#paused || this.#retryTimer !== null) return;
    if (this.#state === 'conflict' || this.#state === 'error') return;
    const item = this.#items[0];
    if (!item) return;
    // From here on the server may get it: the same save_id is used for every later attempt.
    item.sent = true;
    this.#inFlight = true;
    if (this.#state === 'saved') this.#state = 'saving';
    this.#persist();
    this.#emit();
    const base = this.#base;
    /** @type {TranscriptSave} */
    const save = { base_version: base, save_id: item.save_id, entries: item.entries };
    let promise;
    try {
      promise = this.#send(save);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (saved) => this.#answered(item, saved),
      (error) => this.#failed(item, failureOf(error)),
    );
  }

  /**
   * @param {PendingSave} item
   * @param {TranscriptSaved} saved
   */
  #answered(item, saved) {
    this.#inFlight = false;
    if (this.#items[0] !== item) {
      // Discarded or adopted meanwhile: the answer changes nothing here.
      this.#pump();
      return;
    }
    this.#items.shift();
    this.#base = Math.max(this.#base, saved.version);
    this.#savedEntries = item.entries;
    this.#failures = 0;
    this.#failure = null;
    this.#state = this.#items.length > 0 ? 'saving' : 'saved';
    this.#afterChange();
    for (const listener of [...this.#savedListeners]) {
      try {
        listener(saved, item.entries);
      } catch (error) {
        console.error(error);
      }
    }
    this.#pump();
  }

  /**
   * @param {PendingSave} item
   * @param {SendFailure} failure
   */
  #failed(item, failure) {
    this.#inFlight = false;
    if (this.#items[0] !== item) {
      this.#pump();
      return;
    }
    this.#failure = failure;
    if (failure.status === 409 && failure.code === 'transcript_conflict') {
      // Refused, so not applied: every pending snapshot is unsent again, and only the newest matters.
      const changes = this.pendingChanges;
      const newest = /** @type {PendingSave} */ (this.#items[this.#items.length - 1]);
      this.#items = [{ ...newest, sent: false, changes }];
      this.#state = 'conflict';
      this.#afterChange();
      return;
    }
    if (transient(failure)) {
      this.#failures += 1;
      this.#state = 'offline';
      const wait = failure.retryAfter
        ? failure.retryAfter * 1000
        : backoffDelay(this.#failures - 1, this.#minDelayMs, this.#maxDelayMs, this.#random());
      this.#retryAt = this.#timers.now() + wait;
      this.#retryTimer = this.#timers.setTimeout(() => {
        this.#retryTimer = null;
        this.#retryAt = 0;
        this.#pump();
      }, wait);
      this.#emit();
      return;
    }
    this.#state = 'error';
    this.#emit();
  }

  #clearRetry() {
    if (this.#retryTimer !== null) this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#retryAt = 0;
  }

  // ---------- storage ----------

  #afterChange() {
    this.#persist();
    this.#emit();
  }

  #persist() {
    const storage = this.#storage;
    if (!storage) return;
    try {
      if (this.#items.length === 0 && !this.#kept) {
        storage.removeItem(this.#key);
        return;
      }
      storage.setItem(
        this.#key,
        JSON.stringify({
          v: FORMAT,
          base_version: this.#base,
          saved_entries: this.#items.length ? this.#savedEntries : [],
          items: this.#items,
          kept: this.#kept,
        }),
      );
    } catch (error) {
      // Full or unavailable: the queue still sends; only a reload would lose what is pending.
      console.warn('autosave: cannot keep the pending saves', error);
    }
  }

  /** @returns {{base_version: number, saved_entries: TranscriptEntry[], items: PendingSave[], kept: KeptText | null} | null} */
  #read() {
    const storage = this.#storage;
    if (!storage) return null;
    let text;
    try {
      text = storage.getItem(this.#key);
    } catch {
      return null;
    }
    if (!text) return null;
    try {
      const data = JSON.parse(text);
      if (data?.v !== FORMAT || !Array.isArray(data.items)) return null;
      /** @type {PendingSave[]} */
      const items = data.items
        .filter((/** @type {any} */ item) => item && typeof item.save_id === 'string' && Array.isArray(item.entries))
        .map((/** @type {any} */ item) => ({
          save_id: item.save_id,
          entries: savable(item.entries.filter(isEntry)),
          sent: item.sent === true,
          changes: Number(item.changes) > 0 ? Number(item.changes) : 1,
          at: String(item.at ?? ''),
        }));
      const kept =
        data.kept && Array.isArray(data.kept.entries)
          ? { entries: savable(data.kept.entries.filter(isEntry)), base_version: Number(data.kept.base_version) || 0, at: String(data.kept.at ?? '') }
          : null;
      const saved = Array.isArray(data.saved_entries) ? savable(data.saved_entries.filter(isEntry)) : [];
      return { base_version: Number(data.base_version) || 0, saved_entries: saved, items, kept };
    } catch {
      return null;
    }
  }
}

/**
 * @param {unknown} value
 * @returns {value is TranscriptEntry}
 */
function isEntry(value) {
  const e = /** @type {Record<string, unknown>} */ (value);
  return !!e && typeof e.role === 'string' && typeof e.name === 'string' && typeof e.text === 'string';
}

/** @returns {Storage | null} the page's localStorage, when there is one */
function defaultStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * When to take a snapshot while the clerk types: `idleMs` after the last keystroke, and no later than `maxMs` after
 * the first keystroke not yet snapshotted.
 */
export class SaveTimer {
  #flush;
  #idleMs;
  #maxMs;
  /** @type {Timers} */
  #timers;
  /** @type {unknown} */
  #handle = null;
  /** When the first keystroke not yet flushed came (0: none). */
  #firstAt = 0;

  /**
   * @param {() => void} flush takes the snapshot
   * @param {{idleMs?: number, maxMs?: number, timers?: Partial<Timers>}} [options]
   */
  constructor(flush, options = {}) {
    this.#flush = flush;
    this.#idleMs = options.idleMs ?? 3_000;
    this.#maxMs = options.maxMs ?? 10_000;
    this.#timers = {
      setTimeout: options.timers?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: options.timers?.clearTimeout ?? ((handle) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (handle))),
      now: options.timers?.now ?? (() => Date.now()),
    };
  }

  /** @returns {boolean} keystrokes wait to be snapshotted */
  get armed() {
    return this.#firstAt !== 0;
  }

  /** A keystroke: (re)arm the timer. */
  touch() {
    const now = this.#timers.now();
    if (this.#firstAt === 0) this.#firstAt = now;
    const due = Math.min(now + this.#idleMs, this.#firstAt + this.#maxMs);
    if (this.#handle !== null) this.#timers.clearTimeout(this.#handle);
    this.#handle = this.#timers.setTimeout(() => this.flushNow(), Math.max(0, due - now));
  }

  /** Snapshot now (leaving a field, hiding the page) when keystrokes wait. */
  flushNow() {
    const armed = this.armed;
    this.cancel();
    if (armed) this.#flush();
  }

  /** Forget the waiting keystrokes' timer (without a snapshot). */
  cancel() {
    if (this.#handle !== null) this.#timers.clearTimeout(this.#handle);
    this.#handle = null;
    this.#firstAt = 0;
  }
}
