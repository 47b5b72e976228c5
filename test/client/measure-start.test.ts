/**
 * The warm-up records as if measuring (so V8 compiles the hot path with the
 * measured branches' type feedback), and the worker zeroes the measured
 * figures when it leaves the warm-up (src/client/measure-start.ts).
 *
 * 1. One connection driven by an in-memory peer that answers exactly the
 *    requests it was sent: during the warm-up it counts responses, requests,
 *    reads and bytes and records latencies; at the first read that sees
 *    PHASE_MEASURE those figures restart from zero, while the all-phase
 *    counters and a warm-up mismatch stay.
 * 2. MeasureStart over several variants' stats: leaving the warm-up for the
 *    measurement or for a stop zeroes every one; leaving the measurement
 *    does not; the tick's observe() does it when no read comes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createControl, PHASE, PHASE_CONNECT, PHASE_MEASURE, PHASE_STOP, PHASE_WARMUP } from '../../src/client/control.js';
import { MeasureStart } from '../../src/client/measure-start.js';
import {
  C_ALL_BYTES_RECEIVED, C_ALL_RESPONSES, C_BYTES_RECEIVED, C_BYTES_SENT, C_MISMATCHES, C_READS, C_REQUESTS, C_RESPONSES, C_WRITES, ShardStats,
} from '../../src/client/shard-stats.js';
import { loopbackConnection, REQUEST_FRAME as REQUEST, RESPONSE_FRAME as FRAME } from './helpers/loopback-connection.js';

test('warm-up figures are recorded, then zeroed at the first read that sees the measurement; all-phase ones stay', () => {
  const depth = 4;
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_WARMUP);
  const stats = new ShardStats();
  const lc = loopbackConnection(depth, control, stats);
  const { conn, peer } = lc;
  const answer = (n: number): void => lc.answer(n);

  conn.enterStream();
  peer.corruptBlknoAt = 6; // the 7th request's answer echoes a wrong blkno: a mismatch in the warm-up
  answer(10);
  assert.equal(stats.c[C_RESPONSES], 10, 'the warm-up counts as if measuring');
  assert.equal(stats.interval.totalCount, 10, 'and records latencies');
  assert.equal(stats.c[C_REQUESTS], depth + 10);
  assert.equal(stats.c[C_MISMATCHES], 1);

  Atomics.store(control, PHASE, PHASE_MEASURE);
  answer(5);
  assert.equal(stats.c[C_RESPONSES], 5, 'measured: only the responses read after the phase changed');
  assert.equal(stats.interval.totalCount, 5);
  assert.equal(stats.latency.totalCount, 0, 'the round total (rotated into by the worker) starts empty');
  assert.equal(stats.c[C_READS], 5);
  assert.equal(stats.c[C_BYTES_RECEIVED], 5 * FRAME);
  assert.equal(stats.c[C_REQUESTS], 5, 'one refill request per measured response');
  assert.equal(stats.c[C_WRITES], 5);
  assert.equal(stats.c[C_BYTES_SENT], 5 * REQUEST);
  assert.equal(stats.c[C_ALL_RESPONSES], 15, 'all phases: kept');
  assert.equal(stats.c[C_ALL_BYTES_RECEIVED], 15 * FRAME);
  assert.equal(stats.c[C_MISMATCHES], 1, 'a mismatch is real in any phase: kept');
  conn.close();
});

test('MeasureStart: leaving the warm-up zeroes every variant\'s measured figures; leaving the measurement does not', () => {
  const fill = (st: ShardStats, n: number): void => {
    st.c[C_RESPONSES] = n;
    st.c[C_BYTES_SENT] = 47 * n;
    st.c[C_ALL_RESPONSES] = n;
    st.interval.recordValueWithCount(300, n);
    st.latency.recordValueWithCount(300, n);
    st.service.recordValueWithCount(200, n);
  };
  const a = new ShardStats();
  const b = new ShardStats();
  const m = new MeasureStart([a, b]);
  assert.equal(m.seen[0], PHASE_CONNECT);
  m.observe(PHASE_WARMUP);
  fill(a, 7);
  fill(b, 9);
  m.observe(PHASE_WARMUP);
  assert.equal(a.c[C_RESPONSES], 7, 'same phase: nothing happens');
  m.observe(PHASE_STOP); // stopped before measuring (Ctrl-C in the warm-up)
  for (const st of [a, b]) {
    assert.equal(st.c[C_RESPONSES], 0);
    assert.equal(st.c[C_BYTES_SENT], 0);
    assert.equal(st.interval.totalCount, 0);
    assert.equal(st.latency.totalCount, 0);
    assert.equal(st.service.totalCount, 0);
  }
  assert.deepEqual([a.c[C_ALL_RESPONSES], b.c[C_ALL_RESPONSES]], [7, 9], 'all-phase counters stay');

  const c = new ShardStats();
  const m2 = new MeasureStart([c]);
  m2.observe(PHASE_MEASURE); // straight from connecting (no warm-up seen): nothing to zero
  fill(c, 4);
  m2.observe(PHASE_STOP);
  assert.equal(c.c[C_RESPONSES], 4, 'measured figures survive the stop');
  assert.equal(c.interval.totalCount, 4);
});
