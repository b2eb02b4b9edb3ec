/**
 * The live channel client (web/lib/live.js) without a browser: backoff delays, the roster order, and a LiveClient on a
 * fake WebSocket — it resumes with ?since=, ignores what it already has, takes a snapshot after a server restart, and
 * does not reconnect once replaced by another device.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';

// The little of the browser that live.js touches.
const listeners = new Map();
Object.assign(globalThis, {
  window: {
    addEventListener: (/** @type {string} */ type, /** @type {() => void} */ fn) => listeners.set(type, fn),
    removeEventListener: (/** @type {string} */ type) => listeners.delete(type),
  },
  document: { addEventListener() {}, removeEventListener() {}, visibilityState: 'visible' },
  location: { protocol: 'http:', host: 'court.test' },
});

/** A WebSocket the test drives by hand. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeSocket[]} */
  static all = [];
  readyState = FakeSocket.CONNECTING;
  /** @type {string[]} */
  sent = [];
  /** @type {Record<string, ((event: any) => void)[]>} */
  handlers = {};

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    FakeSocket.all.push(this);
  }

  /** @param {string} type @param {(event: any) => void} fn */
  addEventListener(type, fn) {
    (this.handlers[type] ??= []).push(fn);
  }

  /** @param {string} type @param {any} [event] */
  fire(type, event = {}) {
    for (const fn of this.handlers[type] ?? []) fn(event);
  }

  /** @param {string} text */
  send(text) {
    this.sent.push(text);
  }

  close() {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.fire('close');
  }

  open() {
    this.readyState = FakeSocket.OPEN;
    this.fire('open');
  }

  /** @param {object} message */
  receive(message) {
    this.fire('message', { data: JSON.stringify(message) });
  }

  /** The server (or the network) ends the connection. */
  drop() {
    this.readyState = FakeSocket.CLOSED;
    this.fire('close');
  }
}
Object.assign(globalThis, { WebSocket: FakeSocket });

const { LiveClient, LiveStore, backoffDelay, sortMembers } = await import('../../web/lib/live.js');

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const you = { kind: 'participant', id: 'p1', name: '贾1', role: 'plaintiff' };
const hearing = { state: 'open', scheduled_at: '2026-11-28T09:00:00Z', scheduled_local: '2026-11-28 17:00' };
/** @param {string} id @param {string} role @param {string} name */
const member = (id, role, name) => ({ kind: 'participant', id, name, role, connected: true, rules_confirmed: true, checked_in: false });

test('backoff: 1 s, 2 s, 4 s … at most 15 s, plus up to 30 % jitter', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, 1000, 15_000, 0)),
    [1000, 2000, 4000, 8000, 15_000, 15_000, 15_000],
  );
  assert.equal(backoffDelay(0, 1000, 15_000, 0.999), 1300);
  assert.equal(backoffDelay(7, 1000, 15_000, 0.5), 17_250);
});

test('the roster shows the bench first, then the parties by role', () => {
  const sorted = sortMembers([
    member('a', 'witness', '证人丙'),
    member('b', 'plaintiff', '贾1'),
    { ...member('c', 'clerk', '梁1'), kind: 'staff' },
    member('d', 'defendant', '王2'),
    { ...member('e', 'presiding_judge', '许1'), kind: 'staff' },
  ]);
  assert.deepEqual(sorted.map((m) => m.name), ['许1', '梁1', '贾1', '王2', '证人丙']);
});

test('the store follows snapshot, state and roster messages', () => {
  const store = new LiveStore();
  assert.equal(store.apply({ type: 'welcome', you, hearing_id: 'h' }), false);
  assert.equal(store.you?.name, '贾1');
  assert.equal(store.apply({ type: 'snapshot', seq: 3, hearing, members: [member('p1', 'plaintiff', '贾1')] }), true);
  assert.equal(store.member('p1')?.name, '贾1');
  store.apply({ type: 'state', seq: 4, hearing: { ...hearing, state: 'in_session' } });
  assert.equal(store.hearing?.state, 'in_session');
  store.apply({ type: 'roster', seq: 5, members: [] });
  assert.equal(store.members.length, 0);
});

test('a live client resumes with ?since=, skips what it has, and stops once replaced', async () => {
  FakeSocket.all = [];
  const client = new LiveClient('h1', { minDelayMs: 5, maxDelayMs: 20, pingMs: 1000 });
  /** @type {string[]} */
  const statuses = [];
  client.on('status', (s) => statuses.push(s));
  let changes = 0;
  client.on('change', () => (changes += 1));
  client.connect();
  assert.equal(client.status, 'connecting');
  const first = FakeSocket.all[0];
  assert.equal(first.url, 'ws://court.test/api/v1/hearings/h1/live', 'no since on the first connection');
  first.open();
  first.receive({ type: 'welcome', you, hearing_id: 'h1' });
  assert.equal(client.status, 'connected');
  first.receive({ type: 'snapshot', seq: 7, hearing, members: [] });
  first.receive({ type: 'roster', seq: 8, members: [member('p1', 'plaintiff', '贾1')] });
  assert.equal(client.since, 8);
  assert.equal(client.debug.catchup, 'snapshot');

  // the network drops: reconnecting, then again with ?since=8
  first.drop();
  assert.equal(client.status, 'reconnecting');
  await sleep(60);
  const second = FakeSocket.all[1];
  assert.ok(second, 'it reconnected by itself');
  assert.equal(second.url, 'ws://court.test/api/v1/hearings/h1/live?since=8');
  second.open();
  second.receive({ type: 'welcome', you, hearing_id: 'h1' });
  const before = changes;
  second.receive({ type: 'roster', seq: 8, members: [] });
  assert.equal(changes, before, 'a message already seen is ignored');
  second.receive({ type: 'state', seq: 9, hearing: { ...hearing, state: 'in_session' } });
  assert.equal(client.store.hearing?.state, 'in_session');
  assert.equal(client.debug.catchup, 'replay');
  assert.equal(client.store.members.length, 1, 'the roster it had is kept');

  // the server restarted and counts from 1 again: its snapshot is taken all the same
  second.drop();
  await sleep(60);
  const third = FakeSocket.all[2];
  assert.equal(third.url, 'ws://court.test/api/v1/hearings/h1/live?since=9');
  third.open();
  third.receive({ type: 'welcome', you, hearing_id: 'h1' });
  third.receive({ type: 'snapshot', seq: 1, hearing: { ...hearing, state: 'recess' }, members: [] });
  assert.equal(client.since, 1);
  assert.equal(client.store.hearing?.state, 'recess');
  third.receive({ type: 'roster', seq: 2, members: [member('p1', 'plaintiff', '贾1')] });
  assert.equal(client.store.members.length, 1);

  // pings go out; a pong is no change
  third.receive({ type: 'pong' });

  // replaced by another device: no reconnection
  let replaced = false;
  client.on('replaced', () => (replaced = true));
  third.receive({ type: 'replaced' });
  third.drop();
  await sleep(60);
  assert.equal(replaced, true);
  assert.equal(client.status, 'disconnected');
  assert.equal(FakeSocket.all.length, 3, 'no new connection after being replaced');
  assert.deepEqual(statuses, ['connecting', 'connected', 'reconnecting', 'connected', 'reconnecting', 'connected', 'disconnected']);
  client.close();
});

test('a connection that hears nothing is given up and reopened; close() stops for good', async () => {
  FakeSocket.all = [];
  const client = new LiveClient('h2', { minDelayMs: 5, maxDelayMs: 20, pingMs: 20, silenceMs: 50 });
  client.connect();
  const first = FakeSocket.all[0];
  first.open();
  first.receive({ type: 'welcome', you, hearing_id: 'h2' });
  await sleep(30);
  assert.ok(first.sent.includes(JSON.stringify({ type: 'ping' })), 'it pings');
  // silence (a half-open connection): after silenceMs it reconnects by itself
  await sleep(120);
  assert.ok(FakeSocket.all.length >= 2, 'a silent connection is replaced by a new one');
  client.close();
  const count = FakeSocket.all.length;
  await sleep(60);
  assert.equal(FakeSocket.all.length, count, 'nothing after close()');
  assert.equal(client.status, 'disconnected');
});
