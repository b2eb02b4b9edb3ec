/**
 * The transcript editor's autosave queue (web/lib/autosave.js) without a browser, against a fake server that keeps
 * the contract of PUT …/transcript (save_id remembered, 409 `transcript_conflict` on a stale base) behind a network
 * the test breaks at will: snapshots never sent are coalesced, a snapshot that may have arrived is resent with the
 * same save_id, base versions chain, a lost answer costs nothing, a conflict stops everything and keeps the text,
 * pending snapshots survive a reload through storage, and the save timer fires 3 s after the last keystroke or 10 s
 * after the first.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutosaveQueue, SaveTimer, newSaveId, savable, storageKey } from '../../web/lib/autosave.js';

/** @typedef {import('../../web/lib/types.js').TranscriptEntry} TranscriptEntry */
/** @typedef {import('../../web/lib/types.js').TranscriptSave} TranscriptSave */
/** @typedef {import('../../web/lib/types.js').TranscriptSaved} TranscriptSaved */

/** A clock whose timers run when the test advances it. */
class FakeClock {
  now = 1_700_000_000_000;
  /** @type {{id: number, at: number, fn: () => void}[]} */
  timers = [];
  next = 1;
  api = {
    setTimeout: (/** @type {() => void} */ fn, /** @type {number} */ ms) => {
      const id = this.next++;
      this.timers.push({ id, at: this.now + ms, fn });
      return id;
    },
    clearTimeout: (/** @type {unknown} */ id) => {
      this.timers = this.timers.filter((t) => t.id !== id);
    },
    now: () => this.now,
  };

  /** @param {number} ms */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
    await settle();
  }
}

/** Let pending promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** localStorage as a map. */
class MemoryStorage {
  /** @type {Map<string, string>} */
  map = new Map();
  /** @param {string} key */
  getItem(key) {
    return this.map.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.map.set(key, value);
  }
  /** @param {string} key */
  removeItem(key) {
    this.map.delete(key);
  }
}

/** An error as web/lib/api.js throws it. */
class FakeApiError extends Error {
  /** @param {number} status @param {string} code */
  constructor(status, code) {
    super(code);
    this.status = status;
    this.code = code;
    this.problem = { status, code };
  }
}

/**
 * The server side of PUT …/transcript, and the network in front of it.
 * `network`: `up`; `down` (the request never arrives); `lose-answer` (it arrives and is applied, the answer is lost);
 * `hold` (the request waits until `release()`).
 */
class FakeServer {
  /** @type {TranscriptEntry[][]} index = version - 1 */
  versions = [];
  /** @type {Map<string, number>} save_id → version */
  seen = new Map();
  /** @type {TranscriptSave[]} every request that arrived */
  received = [];
  /** @type {'up' | 'down' | 'lose-answer' | 'hold'} */
  network = 'up';
  /** @type {(() => void)[]} */
  held = [];
  /** @type {FakeApiError | null} a refusal for the next request */
  refuseNext = null;

  get latest() {
    return this.versions.length;
  }

  /** Someone else saves. @param {TranscriptEntry[]} entries */
  saveElsewhere(entries) {
    this.versions.push(entries);
  }

  /** @param {TranscriptSave} save @returns {TranscriptSaved} */
  apply(save) {
    this.received.push(structuredClone(save));
    const known = this.seen.get(save.save_id);
    if (known !== undefined) return { version: known, sha256: `h${known}`, saved_at: '', created: false };
    if (save.base_version !== this.latest) throw new FakeApiError(409, 'transcript_conflict');
    const last = this.versions[this.latest - 1];
    if (last && JSON.stringify(last) === JSON.stringify(save.entries)) {
      return { version: this.latest, sha256: `h${this.latest}`, saved_at: '', created: false };
    }
    this.versions.push(structuredClone(save.entries));
    this.seen.set(save.save_id, this.latest);
    return { version: this.latest, sha256: `h${this.latest}`, saved_at: '', created: true };
  }

  /** The queue's `send`. @param {TranscriptSave} save @returns {Promise<TranscriptSaved>} */
  send = async (save) => {
    await Promise.resolve();
    if (this.refuseNext) {
      const error = this.refuseNext;
      this.refuseNext = null;
      throw error;
    }
    if (this.network === 'down') throw new FakeApiError(0, 'network');
    if (this.network === 'hold') {
      await new Promise((resolve) => this.held.push(() => resolve(undefined)));
    }
    if (this.network === 'lose-answer') {
      this.apply(save);
      throw new FakeApiError(0, 'network');
    }
    return this.apply(save);
  };

  release() {
    const held = this.held;
    this.held = [];
    held.forEach((fn) => fn());
  }
}

/** @param {string} text @returns {TranscriptEntry} */
const judge = (text) => ({ role: 'presiding_judge', name: '许1', text });
/** @param {string} text @returns {TranscriptEntry} */
const plaintiff = (text) => ({ role: 'plaintiff', name: '贾1', text });

/**
 * @param {FakeServer} server
 * @param {FakeClock} clock
 * @param {MemoryStorage} [storage]
 */
function queueFor(server, clock, storage = new MemoryStorage()) {
  let n = 0;
  const queue = new AutosaveQueue({
    key: storageKey('h1'),
    send: server.send,
    storage,
    makeId: () => `save-${++n}`,
    timers: clock.api,
    random: () => 0,
  });
  return { queue, storage };
}

test('savable drops blank entries and extra fields; save ids are UUIDs', () => {
  const entries = /** @type {TranscriptEntry[]} */ ([judge('开庭'), plaintiff('  \n'), { ...judge('x'), extra: 1 }]);
  assert.deepEqual(savable(entries), [judge('开庭'), judge('x')]);
  assert.match(newSaveId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('snapshots never sent are coalesced; the answer of each save is the next one’s base', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue, storage } = queueFor(server, clock);
  queue.start(0, []);
  server.network = 'hold';
  assert.equal(queue.push([judge('现在开庭')]), true);
  assert.equal(queue.state, 'saving');
  assert.equal(queue.inFlight, true);
  queue.push([judge('现在开庭。'), plaintiff('')]);
  queue.push([judge('现在开庭。'), plaintiff('到')]);
  queue.push([judge('现在开庭。'), plaintiff('到庭')]);
  // one in flight (may have arrived), one never sent standing for three snapshots
  assert.deepEqual(
    queue.pending.map((p) => [p.save_id, p.sent, p.changes]),
    [
      ['save-1', true, 1],
      ['save-2', false, 3],
    ],
  );
  assert.equal(queue.pendingChanges, 4);
  assert.ok(storage.getItem(storageKey('h1')), 'pending saves are kept in storage');
  server.network = 'up';
  server.release();
  await settle();
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 2);
  assert.deepEqual(
    server.received.map((s) => [s.save_id, s.base_version]),
    [
      ['save-1', 0],
      ['save-2', 1],
    ],
  );
  assert.deepEqual(server.versions[1], [judge('现在开庭。'), plaintiff('到庭')]);
  assert.equal(storage.getItem(storageKey('h1')), null, 'nothing left in storage once saved');
  // The same text again queues nothing.
  assert.equal(queue.push([judge('现在开庭。'), plaintiff('到庭'), plaintiff(' ')]), false);
  assert.equal(queue.state, 'saved');
});

test('offline: retried with backoff and at once when back online, with the same save_id, nothing lost', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue } = queueFor(server, clock);
  queue.start(0, []);
  queue.push([judge('一')]);
  await settle();
  assert.equal(queue.version, 1);
  server.network = 'down';
  queue.push([judge('一'), plaintiff('二')]);
  await settle();
  assert.equal(queue.state, 'offline');
  assert.equal(queue.failure?.code, 'network');
  assert.equal(queue.retryAt, clock.now + 1000, 'first retry after 1 s');
  queue.push([judge('一'), plaintiff('二'), judge('三')]);
  queue.push([judge('一'), plaintiff('二'), judge('三'), plaintiff('四')]);
  assert.equal(queue.state, 'offline', 'typing on while offline keeps the offline state');
  assert.equal(queue.pendingChanges, 3);
  await clock.advance(1000);
  assert.equal(queue.retryAt, clock.now + 2000, 'then after 2 s');
  await clock.advance(2000);
  assert.equal(queue.retryAt, clock.now + 4000, 'then after 4 s');
  const attempts = queue.pending[0]?.save_id;
  server.network = 'up';
  queue.retryNow();
  await settle();
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 3);
  assert.deepEqual(server.versions[2], [judge('一'), plaintiff('二'), judge('三'), plaintiff('四')]);
  assert.equal(server.received.filter((s) => s.save_id === attempts).length, 1, 'the resent snapshot arrived once');
  assert.equal(clock.timers.length, 0, 'no retry left scheduled');
});

test('an answer lost on the way back: the resend gets the version made, no conflict with ourselves', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue } = queueFor(server, clock);
  queue.start(0, []);
  server.network = 'lose-answer';
  queue.push([judge('甲')]);
  await settle();
  assert.equal(server.latest, 1, 'the server applied it');
  assert.equal(queue.state, 'offline');
  queue.push([judge('甲'), plaintiff('乙')]);
  server.network = 'up';
  await clock.advance(1000);
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 2);
  assert.deepEqual(
    server.received.map((s) => [s.save_id, s.base_version]),
    [
      ['save-1', 0],
      ['save-1', 0],
      ['save-2', 1],
    ],
  );
});

test('a flaky network over many snapshots: the server ends with the last one, never a conflict', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue } = queueFor(server, clock);
  queue.start(0, []);
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  /** @type {TranscriptEntry[]} */
  let entries = [];
  for (let i = 0; i < 300; i++) {
    const r = random();
    server.network = r < 0.2 ? 'down' : r < 0.4 ? 'lose-answer' : 'up';
    entries = [...entries, (i % 2 ? judge : plaintiff)(`第${i}句`)];
    queue.push(entries);
    await clock.advance(Math.floor(random() * 3000));
    assert.notEqual(queue.state, 'conflict');
  }
  server.network = 'up';
  await clock.advance(60_000);
  assert.equal(queue.state, 'saved');
  assert.deepEqual(server.versions[server.latest - 1], entries);
  assert.equal(queue.version, server.latest);
});

test('a conflict stops sending and keeps the text; adopt sets it aside, rebase saves it over', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue, storage } = queueFor(server, clock);
  queue.start(0, []);
  queue.push([judge('我的第一句')]);
  await settle();
  server.saveElsewhere([judge('别人的版本')]);
  queue.push([judge('我的第一句'), plaintiff('我的第二句')]);
  await settle();
  assert.equal(queue.state, 'conflict');
  assert.equal(queue.failure?.code, 'transcript_conflict');
  const sent = server.received.length;
  queue.push([judge('我的第一句'), plaintiff('我的第二句'), judge('第三句')]);
  queue.retryNow();
  await clock.advance(30_000);
  assert.equal(server.received.length, sent, 'nothing more sent in conflict');
  assert.deepEqual(queue.latestPending, [judge('我的第一句'), plaintiff('我的第二句'), judge('第三句')]);
  assert.equal(queue.pending.length, 1, 'one unsent snapshot stands for the refused ones');
  assert.equal(queue.pending[0]?.sent, false);

  // take the other version: my text is kept aside (in storage too)
  queue.adopt(2, [judge('别人的版本')]);
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 2);
  assert.deepEqual(queue.kept?.entries, [judge('我的第一句'), plaintiff('我的第二句'), judge('第三句')]);
  const stored = JSON.parse(storage.getItem(storageKey('h1')) ?? 'null');
  assert.equal(stored.kept.entries.length, 3);
  queue.dismissKept();
  assert.equal(storage.getItem(storageKey('h1')), null);

  // or save mine over it, after seeing it
  server.saveElsewhere([judge('又一个版本')]);
  queue.push([judge('我的')]);
  await settle();
  assert.equal(queue.state, 'conflict');
  queue.rebase(3);
  await settle();
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 4);
  assert.deepEqual(server.versions[3], [judge('我的')]);
});

test('pending snapshots survive a reload: restored paused, resent with the same save_id', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const storage = new MemoryStorage();
  const first = queueFor(server, clock, storage).queue;
  first.start(0, []);
  server.network = 'lose-answer';
  first.push([judge('页面关闭前')]);
  await settle();
  server.network = 'down';
  first.push([judge('页面关闭前'), plaintiff('最后一句')]);
  first.dispose();

  const clock2 = new FakeClock();
  server.network = 'up';
  const second = queueFor(server, clock2, storage).queue;
  const left = second.restore();
  assert.ok(left);
  assert.equal(left.base_version, 0);
  assert.deepEqual(
    left.pending.map((p) => [p.save_id, p.sent]),
    [
      ['save-1', true],
      ['save-2', false],
    ],
  );
  assert.equal(second.paused, true);
  second.start(1, [judge('页面关闭前')]); // the server's latest: pending snapshots keep their own base
  await settle();
  assert.equal(server.received.length, 1, 'nothing sent before the clerk chooses');
  second.resume();
  await settle();
  assert.equal(second.state, 'saved');
  assert.equal(second.version, 2);
  assert.deepEqual(server.versions[1], [judge('页面关闭前'), plaintiff('最后一句')]);
  assert.equal(storage.getItem(storageKey('h1')), null);

  // or the clerk discards them
  server.network = 'down';
  second.push([judge('不要了')]);
  await settle();
  second.dispose();
  const third = queueFor(server, new FakeClock(), storage).queue;
  assert.equal(third.restore()?.pending.length, 1);
  third.discard();
  third.start(2, server.versions[1] ?? []);
  assert.equal(third.state, 'saved');
  assert.equal(third.version, 2);
  assert.equal(storage.getItem(storageKey('h1')), null);
});

test('refusals: 422 waits for retryNow; 429 waits Retry-After; typed and undone sends nothing', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue } = queueFor(server, clock);
  queue.start(0, []);
  server.refuseNext = new FakeApiError(422, 'validation_failed');
  queue.push([judge('太长')]);
  await clock.advance(60_000);
  assert.equal(queue.state, 'error');
  assert.equal(server.received.length, 0);
  queue.retryNow();
  await settle();
  assert.equal(queue.state, 'saved');

  const busy = new FakeApiError(429, 'too_many_requests');
  busy.problem = { status: 429, code: 'too_many_requests', retry_after: 7 };
  server.refuseNext = busy;
  queue.push([judge('太长'), plaintiff('再来')]);
  await settle();
  assert.equal(queue.state, 'offline');
  assert.equal(queue.retryAt, clock.now + 7000);
  await clock.advance(7000);
  assert.equal(queue.state, 'saved');
  assert.equal(queue.version, 2);

  server.network = 'hold';
  queue.push([judge('太长'), plaintiff('再来'), judge('x')]);
  queue.push([judge('太长'), plaintiff('再来'), judge('xy')]);
  queue.push([judge('太长'), plaintiff('再来'), judge('x')]);
  assert.equal(queue.pending.length, 1, 'the unsent snapshot equal to the one in flight is dropped');
  server.network = 'up';
  server.release();
  await settle();
  assert.equal(server.latest, 3);
});

test('a save by another tab is followed only when nothing is pending', async () => {
  const server = new FakeServer();
  const clock = new FakeClock();
  const { queue } = queueFor(server, clock);
  queue.start(0, []);
  assert.equal(queue.follow(1, [judge('别处')]), true);
  assert.equal(queue.version, 1);
  server.saveElsewhere([judge('别处')]);
  server.network = 'hold';
  queue.push([judge('别处'), plaintiff('这里')]);
  assert.equal(queue.follow(5, []), false);
  server.network = 'up';
  server.release();
  await settle();
  assert.equal(queue.version, 2);
});

test('the save timer: 3 s after the last keystroke, at most 10 s after the first', async () => {
  const clock = new FakeClock();
  let flushes = 0;
  const timer = new SaveTimer(() => (flushes += 1), { timers: clock.api });
  timer.touch();
  await clock.advance(2000);
  timer.touch();
  await clock.advance(2999);
  assert.equal(flushes, 0);
  await clock.advance(1);
  assert.equal(flushes, 1, '3 s after the last keystroke');
  assert.equal(timer.armed, false);
  // typing on, a keystroke every second: a snapshot every 10 s
  for (let i = 0; i < 25; i++) {
    timer.touch();
    await clock.advance(1000);
  }
  assert.equal(flushes, 3, 'at 10 s and 20 s of continuous typing');
  timer.flushNow();
  assert.equal(flushes, 4, 'leaving the field takes the snapshot at once');
  timer.flushNow();
  assert.equal(flushes, 4, 'nothing to take');
  timer.touch();
  timer.cancel();
  await clock.advance(20_000);
  assert.equal(flushes, 4);
});
