/**
 * The media session's pure logic (web/lib/rtc.js) without a browser: the link quality classifier's thresholds
 * (网络良好 / 网络一般 / 网络较差 / 连接中断), audio levels from cumulative energy, the active speaker's hysteresis
 * (正在发言 does not flicker between words, a cough does not take it, someone steadily louder does), falling back to one
 * layer when the top simulcast layer stops, the reconnection backoff and when a camera picture is large enough for two
 * layers.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LINK_LIMITS,
  SimulcastGuard,
  SIMULCAST_LAYERS,
  SpeakerTracker,
  classifyLink,
  reconnectDelay,
  simulcastFits,
  windowLevel,
} from '../../web/lib/rtc.js';

describe('classifyLink', () => {
  test('a clean link (loopback) is good', () => {
    assert.equal(classifyLink({}), 'good');
    assert.equal(classifyLink({ connected: true, receiving: true, lossFraction: 0, jitterMs: 2, rttMs: 1, framesPerSecond: 20, freezes: 0, availableKbps: 1700 }), 'good');
  });

  test('no transport, or nothing at all arriving, is lost whatever the rest says', () => {
    assert.equal(classifyLink({ connected: false, lossFraction: 0 }), 'lost');
    assert.equal(classifyLink({ receiving: false, jitterMs: 0 }), 'lost');
  });

  /** Each figure: the last value still good, the first fair, the last fair, the first poor. */
  const steps = /** @type {const} */ ([
    ['lossFraction', 0.029, 0.03, 0.099, 0.1],
    ['jitterMs', 39.9, 40, 99.9, 100],
    ['rttMs', 349, 350, 699, 700],
    ['freezes', 0, 1, 2, 3],
  ]);
  for (const [field, good, fair, stillFair, poor] of steps) {
    test(`${field}: ${fair} is fair, ${poor} is poor`, () => {
      assert.equal(classifyLink({ [field]: good }), 'good', `${field} ${good}`);
      assert.equal(classifyLink({ [field]: fair }), 'fair', `${field} ${fair}`);
      assert.equal(classifyLink({ [field]: stillFair }), 'fair', `${field} ${stillFair}`);
      assert.equal(classifyLink({ [field]: poor }), 'poor', `${field} ${poor}`);
    });
  }

  test('the uplink estimate counts when below the limits, and only when known', () => {
    assert.equal(classifyLink({ availableKbps: 250 }), 'good');
    assert.equal(classifyLink({ availableKbps: 249 }), 'fair');
    assert.equal(classifyLink({ availableKbps: 100 }), 'fair');
    assert.equal(classifyLink({ availableKbps: 99 }), 'poor');
    assert.equal(classifyLink({ availableKbps: undefined }), 'good');
  });

  test('a low frame rate counts; no frames at all (camera off) does not', () => {
    assert.equal(classifyLink({ framesPerSecond: 10 }), 'good');
    assert.equal(classifyLink({ framesPerSecond: 9.5 }), 'fair');
    assert.equal(classifyLink({ framesPerSecond: 5 }), 'fair');
    assert.equal(classifyLink({ framesPerSecond: 4 }), 'poor');
    assert.equal(classifyLink({ framesPerSecond: 0 }), 'good');
  });

  test('the worst figure decides', () => {
    assert.equal(classifyLink({ lossFraction: 0.05, rttMs: 800 }), 'poor');
    assert.equal(classifyLink({ lossFraction: 0.05, jitterMs: 1 }), 'fair');
  });

  test('the limits are ordered', () => {
    assert.ok(LINK_LIMITS.poor.lossFraction > LINK_LIMITS.fair.lossFraction);
    assert.ok(LINK_LIMITS.poor.availableKbps < LINK_LIMITS.fair.availableKbps);
    assert.ok(LINK_LIMITS.poor.framesPerSecond < LINK_LIMITS.fair.framesPerSecond);
  });
});

describe('windowLevel', () => {
  test('the RMS level over the window from cumulative energy', () => {
    // A full-scale tone for a quarter second: energy 0.25 over 0.25 s.
    assert.equal(windowLevel({ energy: 1, duration: 10 }, { energy: 1.25, duration: 10.25 }), 1);
    const quiet = windowLevel({ energy: 1, duration: 10 }, { energy: 1.0001, duration: 10.25 });
    assert.ok(quiet !== null && Math.abs(quiet - 0.02) < 1e-9, `0.02: ${quiet}`);
  });

  test('no window yet, or no audio played during it', () => {
    assert.equal(windowLevel(undefined, { energy: 1, duration: 1 }), null);
    assert.equal(windowLevel({ energy: 1, duration: 1 }, { energy: 1, duration: 1 }), null);
  });
});

describe('SpeakerTracker', () => {
  const TICK = 250;
  /**
   * Feed readings `TICK` ms apart, from `start`; returns the speaker after each.
   * @param {SpeakerTracker} tracker
   * @param {Array<Record<string, number>>} readings
   * @param {number} [start]
   */
  const feed = (tracker, readings, start = 0) => readings.map((levels, i) => tracker.update(Object.entries(levels), start + i * TICK));

  test('silence: nobody', () => {
    assert.deepEqual(feed(new SpeakerTracker(), [{ a: 0.001, b: 0.005 }, {}, { a: 0.01 }]), [null, null, null]);
  });

  test('voice lasting past the attack makes a speaker; one loud reading (a cough) does not', () => {
    assert.deepEqual(feed(new SpeakerTracker(), [{ a: 0.2 }, { a: 0.001 }, { a: 0.001 }]), [null, null, null]);
    assert.deepEqual(feed(new SpeakerTracker(), [{ a: 0.2 }, { a: 0.1 }, { a: 0.1 }]), [null, 'a', 'a']);
  });

  test('pauses between words shorter than the hold keep the highlight; a longer silence ends it', () => {
    const tracker = new SpeakerTracker({ holdMs: 450 });
    // Loud, loud (speaker), then one quiet reading (250 ms), loud again: no flicker.
    assert.deepEqual(feed(tracker, [{ a: 0.1 }, { a: 0.1 }, { a: 0 }, { a: 0.1 }]), [null, 'a', 'a', 'a']);
    // Then silence: held at 250 ms, gone after 500 ms.
    assert.deepEqual(feed(tracker, [{ a: 0 }, { a: 0 }], 4 * TICK), ['a', null]);
  });

  test('a voice that comes and goes every other reading (the fake microphone’s beeps) stays highlighted', () => {
    const tracker = new SpeakerTracker();
    const readings = Array.from({ length: 16 }, (_, i) => ({ a: i % 2 === 0 ? 0.6 : 0.05 }));
    const speakers = feed(tracker, readings);
    assert.deepEqual(speakers.slice(1), Array(15).fill('a'));
  });

  test('when the speaker stops, the loudest of those speaking takes over', () => {
    const tracker = new SpeakerTracker();
    feed(tracker, [{ a: 0.3, b: 0.05 }, { a: 0.3, b: 0.05 }]);
    assert.equal(tracker.speaker, 'a');
    const after = feed(tracker, [{ a: 0, b: 0.05 }, { a: 0, b: 0.05 }, { a: 0, b: 0.05 }], 2 * TICK);
    assert.deepEqual(after, ['a', 'b', 'b']);
  });

  test('someone steadily louder takes over after the takeover time, not at once', () => {
    const tracker = new SpeakerTracker({ takeoverMs: 1000 });
    feed(tracker, [{ a: 0.05 }, { a: 0.05 }]);
    assert.equal(tracker.speaker, 'a');
    // b louder from t=500: a candidate from 750 (attack), takes over 1 s later.
    const speakers = feed(tracker, Array(8).fill({ a: 0.05, b: 0.4 }), 2 * TICK);
    assert.equal(speakers[0], 'a');
    assert.equal(speakers[4], 'a', 'not yet at 1.5 s');
    assert.equal(speakers[5], 'b', 'taken over 1 s after b became a candidate');
  });

  test('a brief louder burst of someone else does not take over', () => {
    const tracker = new SpeakerTracker();
    feed(tracker, [{ a: 0.05 }, { a: 0.05 }]);
    const speakers = feed(tracker, [{ a: 0.05, b: 0.5 }, { a: 0.05, b: 0.5 }, { a: 0.05 }, { a: 0.05 }, { a: 0.05 }, { a: 0.05 }], 2 * TICK);
    assert.deepEqual(speakers, Array(6).fill('a'));
  });

  test('reset forgets everyone', () => {
    const tracker = new SpeakerTracker();
    feed(tracker, [{ a: 0.3 }, { a: 0.3 }]);
    tracker.reset();
    assert.equal(tracker.speaker, null);
  });
});

describe('simulcast', () => {
  test('two layers, low to high, the top one named h (the one the SFU forwards), with capped bitrates', () => {
    assert.deepEqual(
      SIMULCAST_LAYERS.map((l) => l.rid),
      ['l', 'h'],
    );
    assert.equal(SIMULCAST_LAYERS[0]?.scaleResolutionDownBy, 2);
    const total = SIMULCAST_LAYERS.reduce((sum, l) => sum + (l.maxBitrate ?? Infinity), 0);
    assert.ok(total <= 900_000, `both layers fit a phone's 4G uplink: ${total}`);
  });

  test('a picture too small for two layers gets one', () => {
    assert.equal(simulcastFits({ width: 640, height: 480 }), true);
    assert.equal(simulcastFits({ width: 480, height: 640 }), true, 'a phone held upright');
    assert.equal(simulcastFits({ width: 320, height: 240 }), false);
    assert.equal(simulcastFits({}), true, 'unknown: the room asks for 640×480');
  });

  test('one layer from then on once the top layer starved for two windows in a row, after a grace', () => {
    const guard = new SimulcastGuard(0, 3000);
    assert.equal(guard.update({ top: 0, low: 40 }, 2000), false, 'the uplink estimate is still growing');
    assert.equal(guard.update({ top: 0, low: 0 }, 4000), false, 'camera off: nothing to judge');
    assert.equal(guard.update({ low: 40 }, 5000), false, 'no window yet for h');
    assert.equal(guard.update({ top: 5, low: 40 }, 6000), false, 'one starved window: not yet');
    assert.equal(guard.update({ top: 20, low: 40 }, 8000), false, 'half the frames: fine');
    assert.equal(guard.update({ top: 19, low: 40 }, 10_000), false);
    assert.equal(guard.update({ top: 0, low: 0 }, 12_000), false, 'nothing to judge does not break the run');
    assert.equal(guard.update({ top: 0, low: 38 }, 14_000), true, 'two starved windows');
  });


});

describe('reconnectDelay', () => {
  test('at once the first time, then 1 s, 2 s, 4 s … at most 15 s, plus up to 30 % jitter', () => {
    assert.equal(reconnectDelay(0, 0.99), 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 20].map((n) => reconnectDelay(n, 0)),
      [1000, 2000, 4000, 8000, 15_000, 15_000, 15_000],
    );
    assert.equal(reconnectDelay(1, 0.5), 1150);
    assert.ok(reconnectDelay(30, 0.999) <= 19_500);
  });
});
