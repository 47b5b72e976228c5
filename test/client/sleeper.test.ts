/**
 * AbortableSleeper (src/client/sleeper.ts), the time-slice loop's sleep: it
 * sleeps, an abort ends a pending sleep at once and every later one, and it
 * holds one abort listener for its whole life, not one per sleep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { AbortableSleeper } from '../../src/client/sleeper.js';

test('AbortableSleeper: sleeps at least the time asked, with one abort listener however many sleeps', async () => {
  const ac = new AbortController();
  const s = new AbortableSleeper(ac.signal);
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now();
    await s.sleep(2);
    // Timers fire no earlier than asked (Node rounds to whole ms; allow that rounding).
    assert.ok(performance.now() - t0 >= 1, `sleep ${k} returned early`);
  }
  assert.equal(getEventListeners(ac.signal, 'abort').length, 1, 'no listener per sleep');
  s.dispose();
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'dispose removes it');
});

test('AbortableSleeper: an abort ends a pending sleep now, and later sleeps do not wait', { timeout: 5_000 }, async () => {
  const ac = new AbortController();
  const s = new AbortableSleeper(ac.signal);
  let done = false;
  const pending = s.sleep(60_000).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'still sleeping before the abort');
  ac.abort();
  await pending; // would hang (test timeout) if the abort did not end it
  assert.equal(done, true);
  await s.sleep(60_000); // already aborted: at once
  s.dispose();
});

test('AbortableSleeper: dispose ends a pending sleep; no signal works too', { timeout: 5_000 }, async () => {
  const s = new AbortableSleeper(undefined);
  await s.sleep(1);
  const pending = s.sleep(60_000);
  s.dispose();
  await pending;
});
