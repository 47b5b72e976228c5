/**
 * The refill deferral of the closed loop (`run --refill-defer`, stream-core.ts
 * endRead): a read that ends inside a frame holds the refill of the slots it
 * freed, until the read that ends on a frame boundary (the server's burst has
 * fully arrived) or until the first held refill has waited refillDeferMs.
 *
 * One V3 connection against the in-memory peer (helpers/loopback-stream.ts),
 * 4 in flight, whose 4-response burst (4 × 8239 = 32,956 bytes) arrives in
 * reads of 10,000 bytes: 10,000 | 10,000 | 10,000 | 2,956. Frame ends at
 * 8,239, 16,478, 24,717 and 32,956, so reads 1–3 each complete one response
 * and end inside the next, and read 4 completes the last one on the boundary.
 * The expected writes below are worked out by hand from those offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createControl, PHASE, PHASE_MEASURE } from '../../src/client/control.js';
import { C_MISMATCHES, C_RESPONSES, ShardStats } from '../../src/client/shard-stats.js';
import { loopbackConnection, RESPONSE_FRAME } from './helpers/loopback-connection.js';

const DEPTH = 4;
const CHUNK = 10_000;

function setup(refillDeferMs: number, opts: { chunkBytes?: number; rateRps?: number; depth?: number } = {}) {
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_MEASURE);
  const stats = new ShardStats();
  const lc = loopbackConnection(opts.depth ?? DEPTH, control, stats, 0, { chunkBytes: opts.chunkBytes ?? CHUNK, refillDeferMs, rateRps: opts.rateRps });
  lc.conn.enterStream(); // the initial fill: one write (closed loop: of the whole pipeline)
  if (!opts.rateRps) assert.deepEqual(lc.writes, [opts.depth ?? DEPTH]);
  lc.writes.length = 0;
  return { lc, stats };
}

test('deferral on: reads ending inside a frame write nothing; the burst\'s last read refills every freed slot in one write', () => {
  const { lc, stats } = setup(0.2);
  for (let cycle = 0; cycle < 3; cycle++) {
    lc.answer(3, 0.01);
    assert.deepEqual(lc.writes, [], `cycle ${cycle}: three responses read, each read ended inside a frame: held`);
    assert.equal(lc.conn.core.ring.inFlight, 1);
    lc.answer(1, 0.01);
    assert.deepEqual(lc.writes, [4], `cycle ${cycle}: the boundary read sends all four`);
    lc.writes.length = 0;
  }
  assert.equal(stats.c[C_RESPONSES], 12);
  assert.equal(stats.c[C_MISMATCHES], 0, 'every response answered the request sent for it');
});

test('deferral off: a write after every read that freed a slot', () => {
  const { lc, stats } = setup(0);
  lc.answer(4, 0.01);
  assert.deepEqual(lc.writes, [1, 1, 1, 1]);
  assert.equal(lc.conn.core.ring.inFlight, DEPTH);
  assert.equal(stats.c[C_MISMATCHES], 0);
});

test('the hold is bounded: once the first held refill has waited refillDeferMs, a read inside a frame refills', () => {
  // Reads 0.15 ms apart, bound 0.2 ms: read 1 holds (0 ms), read 2 holds (0.15),
  // read 3 (0.30 >= 0.2) sends the three freed slots, read 4 (boundary) the last.
  const { lc, stats } = setup(0.2);
  lc.answer(2, 0.15);
  assert.deepEqual(lc.writes, []);
  lc.answer(1, 0.15);
  assert.deepEqual(lc.writes, [3]);
  lc.answer(1, 0.15);
  assert.deepEqual(lc.writes, [3, 1]);
  // The bound restarts with each refill: the next cycle holds again from its first read.
  lc.writes.length = 0;
  lc.answer(2, 0.15);
  assert.deepEqual(lc.writes, []);
  assert.equal(stats.c[C_MISMATCHES], 0);
});

test('held requests are issued when sent: their send time, so their latency, starts at the write', () => {
  const { lc } = setup(0.2);
  lc.answer(3, 0.01);
  const ring = lc.conn.core.ring;
  const heldAt = lc.now;
  lc.answer(1, 0.05);
  const sentAt = lc.now;
  assert.ok(sentAt > heldAt);
  for (let k = 0; k < DEPTH; k++) {
    const i = (ring.tail - 1 - k) & ring.mask;
    assert.equal(ring.sendTime[i], sentAt, `slot ${i}: send time is the boundary read's clock`);
  }
});

test('a timer tick sends held refills (no read ends the hold)', () => {
  const { lc } = setup(0.2);
  lc.answer(1, 0.01);
  assert.deepEqual(lc.writes, []);
  lc.conn.tick((lc.now += 0.05));
  assert.deepEqual(lc.writes, [1]);
});

test('open loop ignores the deferral: the schedule decides every send', () => {
  // 1 M requests/s on one connection: due every 0.001 ms, so every read finds slots due.
  // The schedule's start sent one request; the first read answers it and ends inside the next frame.
  const { lc } = setup(0.2, { rateRps: 1_000_000 });
  assert.equal(lc.sent, 1);
  lc.answer(1, 0.01);
  assert.equal(lc.writes.length, 1, 'the read inside a frame still wrote');
  assert.equal(lc.conn.core.ring.inFlight, DEPTH, 'every due send, up to the pipeline');
});

test('any read size and pace: no mismatch, a boundary read leaves the pipeline full, a held read sends nothing', () => {
  fc.assert(fc.property(
    fc.integer({ min: 500, max: 70_000 }), fc.integer({ min: 1, max: 8 }), fc.double({ min: 0.001, max: 0.3, noNaN: true }),
    (chunkBytes, depth, stepMs) => {
      const { lc, stats } = setup(0.2, { chunkBytes, depth });
      // Offsets of the peer's chunk ends within its cycle of `depth` frames.
      const ends: number[] = [];
      for (let off = 0, n = lc.peer.chunks.length, k = 0; k < n; k++) ends.push((off += lc.peer.chunkLen[k]!));
      let heldSince = -1;
      for (let r = 0; r < 60; r++) {
        const end = ends[r % ends.length]!;
        const before = lc.sent;
        lc.answer(1, stepMs);
        const boundary = end % RESPONSE_FRAME === 0;
        const ring = lc.conn.core.ring;
        if (boundary) {
          assert.equal(ring.inFlight, depth, 'a read ending on a frame boundary refills every freed slot');
          heldSince = -1;
        } else if (lc.sent === before) {
          if (ring.inFlight < depth && heldSince < 0) heldSince = lc.now;
          assert.ok(heldSince < 0 || lc.now - heldSince < 0.2 + 1e-9, 'held past the bound');
        } else {
          assert.equal(ring.inFlight, depth);
          heldSince = -1;
        }
      }
      assert.equal(stats.c[C_MISMATCHES], 0);
    },
  ), { numRuns: 200 });
});
