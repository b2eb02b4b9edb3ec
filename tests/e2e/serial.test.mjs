/**
 * One load at a time (web/lib/serial.js), as the evidence list, the transcript view and the clerk's confirmation panel
 * reload on live messages: calls during a load make exactly one more load after it, never two at once.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serial } from '../../web/lib/serial.js';

/** A load that waits until released, counting how many run at once. */
function gatedLoad() {
  const state = { started: 0, running: 0, most: 0, release: () => {} };
  const load = async () => {
    state.started += 1;
    state.running += 1;
    state.most = Math.max(state.most, state.running);
    await new Promise((resolve) => {
      state.release = () => resolve(undefined);
    });
    state.running -= 1;
  };
  return { state, load };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('calls during a load fold into one more load after it', async () => {
  const { state, load } = gatedLoad();
  const run = serial(load);
  const first = run();
  await tick();
  assert.equal(state.started, 1);
  // Three calls while the first load runs: they settle at once and ask for one more load.
  await Promise.all([run(), run(), run()]);
  assert.equal(state.started, 1);
  state.release();
  await tick();
  assert.equal(state.started, 2, 'one more load, not three');
  state.release();
  await first;
  assert.equal(state.started, 2);
  assert.equal(state.most, 1, 'never two loads at once');
});

test('a call after the loads are done starts a new one', async () => {
  const { state, load } = gatedLoad();
  const run = serial(load);
  const first = run();
  await tick();
  state.release();
  await first;
  const second = run();
  await tick();
  assert.equal(state.started, 2);
  state.release();
  await second;
});

test('a failed load does not block the next call', async () => {
  let calls = 0;
  const run = serial(async () => {
    calls += 1;
    if (calls === 1) throw new Error('offline');
  });
  await assert.rejects(run(), /offline/);
  await run();
  assert.equal(calls, 2);
});
