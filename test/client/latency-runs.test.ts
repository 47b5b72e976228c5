/**
 * Closed-loop latency is recorded as runs of equal values (PageStreamCore:
 * one clock per read, one send time per write batch). The histogram must be
 * exactly the one a per-response recordValue gives. The expected latencies
 * come from an independent model of the closed loop — a FIFO of send times:
 * the pipeline's first fill is sent at start, each answered request is
 * replaced by one sent at the time of the read that answered it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PageStreamCore, MODE_V3, ON_MISMATCH_COUNT } from '../../src/client/stream-core.js';
import type { CoreOwner, StreamSpec } from '../../src/client/stream-core.js';
import { BlockChooser, makeKeySpace } from '../../src/client/keys.js';
import { C_MISMATCHES, C_RESPONSES, ShardStats } from '../../src/client/shard-stats.js';
import { RowField } from '../../src/protocol/getpage.js';
import { createHistogram, encodeHistogram, HIST_HIGHEST_US, HIST_LOWEST_US } from '../../src/stats/histogram.js';

const DEPTH = 8;
/** V3 GetPage response payload (protocol.md §3): tag 102, reqid, request_lsn, not_modified_since, RelTag, blkno, page. */
const PAYLOAD = 1 + 8 + 8 + 8 + 13 + 4 + 8192;

function setup() {
  const stats = new ShardStats();
  const spec: StreamSpec = {
    mode: MODE_V3, pipeline: DEPTH, verifyChecksum: false, oracle: false, onMismatch: ON_MISMATCH_COUNT,
    rels: { spcnode: Uint32Array.of(1663), dbnode: Uint32Array.of(5), relnode: Uint32Array.of(16400), forknum: Uint8Array.of(0) },
    lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x1000, rateRps: 0, reqidHi: 3,
  };
  const owner: CoreOwner = { flush: () => true, onMismatchAction() {}, onErrorResponse() {} };
  const core = new PageStreamCore(spec, stats, new BlockChooser(makeKeySpace([1]), { kind: 'uniform', s: 0 }, 1, 1, 0, 1), owner);
  const res = Buffer.alloc(PAYLOAD);
  res[0] = 102;
  res.writeUInt32BE(3, 1); // reqid hi
  res.writeUInt32BE(0xffffffff, 9); // request_lsn = Lsn::MAX
  res.writeUInt32BE(0xffffffff, 13);
  res.writeUInt32BE(0x1000, 21); // not_modified_since 0/1000
  res.writeUInt32BE(1663, 25);
  res.writeUInt32BE(5, 29);
  res.writeUInt32BE(16400, 33); // fork 0, blkno 0 (zeros)
  const answer = (): void => {
    const i = core.ring.head & core.ring.mask;
    res.writeUInt32BE(core.ring.req.get(i, RowField.reqidLo) >>> 0, 5);
    core.onResponse(res, 0, PAYLOAD);
  };
  return { core, stats, answer };
}

/** Reads: [clock advance in µs, responses in the read]. */
function check(reads: Array<[number, number]>): void {
  const { core, stats, answer } = setup();
  let nowUs = 1_000_000;
  core.start(nowUs / 1000, true);
  core.measuring = true;
  const sent: number[] = Array.from({ length: DEPTH }, () => nowUs); // the model: send times, oldest first
  const expected = createHistogram();
  for (const [advance, count] of reads) {
    nowUs += advance;
    core.clock[0] = nowUs / 1000;
    for (let k = 0; k < count; k++) {
      answer();
      const us = Math.min(HIST_HIGHEST_US, Math.max(HIST_LOWEST_US, nowUs - sent.shift()!));
      expected.recordValue(us);
      sent.push(nowUs);
    }
    core.endBatch();
  }
  assert.equal(stats.c[C_MISMATCHES], 0, 'the responses answer their requests');
  assert.equal(stats.c[C_RESPONSES], expected.totalCount);
  assert.equal(stats.interval.totalCount, expected.totalCount);
  assert.equal(stats.interval.maxValue, expected.maxValue);
  assert.equal(stats.interval.minNonZeroValue, expected.minNonZeroValue);
  assert.equal(encodeHistogram(stats.interval), encodeHistogram(expected));
}

test('latency runs: a hand-worked sequence gives 1500 us x3, 2000 x5, 500 x2, 750 x1, 250 x5', () => {
  // start: 8 sent at t0. +1.5 ms: 3 answered (1500 each), 3 sent. +0.5 ms: the
  // other 5 of t0 (2000 each), then 2 of those sent at +1.5 (500 each) — two
  // runs in one read. +0.25 ms: the last of +1.5 (750), then 5 sent at +2.0 (250).
  check([[1500, 3], [500, 7], [250, 6]]);
});

test('latency runs: the histogram equals per-response recording for random reads', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: DEPTH })), { minLength: 1, maxLength: 60 }),
    (reads) => check(reads),
  ), { numRuns: 300 });
});

test('latency runs: responses recorded but not yet flushed show up only at endBatch', () => {
  const { core, stats, answer } = setup();
  core.start(0, true);
  core.measuring = true;
  core.clock[0] = 2;
  for (let k = 0; k < 4; k++) answer();
  assert.equal(stats.c[C_RESPONSES], 4);
  assert.ok(stats.interval.totalCount < 4, 'the pending run is held until the read ends');
  core.endBatch();
  assert.equal(stats.interval.totalCount, 4);
  assert.equal(stats.interval.maxValue, 2000);
  core.endBatch();
  assert.equal(stats.interval.totalCount, 4, 'a second endBatch records nothing twice');
});
