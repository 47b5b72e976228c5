/**
 * Open-loop pacing (`run --pacing native`): between socket reads the worker
 * sleeps until the earliest due send over its connections
 * (PageStreamConnection.pace / PageStreamCore.nextSendDue), on the native
 * helper's sub-millisecond one-shot timer (native/pacer.c). Here:
 * - the due-time bookkeeping, on one connection at 1,000 requests/s (due
 *   every 1 ms from the schedule's start t0), worked by hand;
 * - the timer itself: it fires once per arm, a new arm replaces the old one,
 *   stop cancels, it runs on a worker thread's own loop, an exception in its
 *   callback is that thread's uncaught exception.
 * Whether it is precise is a speed figure, measured in docs/run.md, not here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { createControl, PHASE, PHASE_MEASURE } from '../../src/client/control.js';
import { C_BEHIND, ShardStats } from '../../src/client/shard-stats.js';
import { nativeAddon } from '../../src/native/addon.js';
import { loopbackConnection } from './helpers/loopback-connection.js';

function openLoop(rateRps: number, depth: number) {
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_MEASURE);
  const stats = new ShardStats();
  const lc = loopbackConnection(depth, control, stats, 0, { rateRps });
  return { lc, stats, control };
}

test('pace(now): sends exactly what the schedule made due, in one write, and returns the next due time', () => {
  const { lc, stats } = openLoop(1000, 4);
  const core = lc.conn.core;
  assert.equal(core.nextSendDue(), Infinity, 'not streaming yet');
  lc.conn.enterStream(); // the schedule starts now (t0, the connection's clock): the first send is due at once
  assert.equal(lc.sent, 1);
  const t0 = core.nextSendDue() - 1;
  assert.ok(Number.isFinite(t0));
  assert.equal(lc.conn.pace(t0 + 0.5), t0 + 1, 'nothing due yet');
  assert.equal(lc.sent, 1);
  assert.equal(lc.conn.pace(t0 + 1.2), t0 + 2);
  assert.equal(lc.sent, 2);
  // t0+2 and t0+3 are due by t0+3.5: both go, in one write; the first left 1.5 ms late (> 1 ms: behind), the second 0.5 ms.
  lc.writes.length = 0;
  assert.equal(lc.conn.pace(t0 + 3.5), Infinity, 'four in flight = the pipeline: only a response can make room');
  assert.deepEqual(lc.writes, [2]);
  assert.equal(stats.c[C_BEHIND], 1);
  assert.equal(core.nextSendDue(), Infinity);
  // A response frees a slot; its read sends what is due (nothing before t0+4), and the clock takes over again.
  lc.now = t0 + 3.6;
  lc.answer(1, 0.1); // read at t0+3.7
  assert.equal(lc.sent, 4);
  assert.equal(core.nextSendDue(), t0 + 4);
  assert.equal(lc.conn.pace(t0 + 4.05), Infinity, 'the pipeline is full again');
  assert.equal(lc.sent, 5);
  assert.equal(stats.c[C_BEHIND], 1, '0.05 ms late is on time');
  // Every send's lag behind its intended time (µs; on time is recorded as 1): the start's, then 0.2, 1.5, 0.5, 0.05 ms.
  const lag = stats.sendLag;
  assert.equal(lag.totalCount, 5);
  assert.equal(lag.minNonZeroValue, 1);
  assert.equal(lag.maxValue, 1500);
  for (const [p, us] of [[20, 1], [40, 50], [60, 200], [80, 500]] as const) assert.equal(lag.getValueAtPercentile(p), us, `p${p}`);
});

test('nextSendDue is Infinity in closed loop, and while another variant holds the time slice', () => {
  const closed = openLoop(0, 4);
  closed.lc.conn.enterStream();
  assert.equal(closed.lc.conn.core.nextSendDue(), Infinity);
  const { lc } = openLoop(1000, 4);
  lc.conn.enterStream();
  lc.conn.core.issuing = false;
  assert.equal(lc.conn.core.nextSendDue(), Infinity);
  assert.equal(lc.conn.pace(5000), Infinity);
  assert.equal(lc.sent, 1, 'nothing sent outside the slice');
});

const native = nativeAddon();
const noPacer = native === null || typeof native.pacerStart !== 'function' ? 'the native helper is not built' : false;

test('native pacer: one fire per arm, a new arm replaces the old, stop cancels', { skip: noPacer }, async () => {
  const a = native!;
  let fired = 0;
  assert.equal(a.pacerStart(() => fired++), 0);
  try {
    assert.throws(() => a.pacerStart(() => undefined), /already started/);
    assert.equal(a.pacerArm(300), 0);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(fired, 1, 'a one-shot fires once');
    // Armed for 10 s, then re-armed for 200 µs: only the second arm stands.
    a.pacerArm(10_000_000);
    a.pacerArm(200);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(fired, 2);
    // Before Node's own 50 ms timer: the pacer is not a 1 ms-tick timer in disguise.
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      a.pacerStop();
      a.pacerStart(() => order.push('pacer'));
      a.pacerArm(500);
      setTimeout(() => {
        order.push('timeout');
        resolve();
      }, 50);
    });
    assert.deepEqual(order, ['pacer', 'timeout']);
    a.pacerArm(1000);
    a.pacerStop();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(order, ['pacer', 'timeout'], 'a stopped pacer never fires');
  } finally {
    a.pacerStop();
  }
});

test('native pacer on a worker thread: its own loop; a throwing callback is the worker\'s uncaught error', { skip: noPacer }, async () => {
  const addonUrl = new URL('../../src/native/addon.js', import.meta.url).href;
  const run = (body: string): Promise<{ messages: unknown[]; error: Error | null; code: number }> => new Promise((resolve) => {
    const w = new Worker(`import('${addonUrl}').then(({ nativeAddon }) => { const a = nativeAddon(); const { parentPort } = require('node:worker_threads'); ${body} });`, { eval: true });
    const messages: unknown[] = [];
    let error: Error | null = null;
    w.on('message', (m) => messages.push(m));
    w.on('error', (e) => (error = e));
    w.on('exit', (code) => resolve({ messages, error, code }));
  });
  const ok = await run(`let n = 0; a.pacerStart(() => { if (++n < 5) a.pacerArm(100); else { a.pacerStop(); parentPort.postMessage(n); } }); a.pacerArm(100);`);
  assert.deepEqual(ok.messages, [5]);
  assert.equal(ok.error, null);
  assert.equal(ok.code, 0, 'a stopped pacer does not hold the worker open');
  const bad = await run(`a.pacerStart(() => { throw new Error('boom from the pacer'); }); a.pacerArm(100);`);
  assert.match(String(bad.error), /boom from the pacer/);
  assert.equal(bad.code, 1);
});
