/**
 * Response accounting end to end (real emulator process, real sockets): every
 * measured response is recorded exactly once in its variant's latency
 * histogram and in exactly one per-second interval histogram. The worker
 * records each response only into the current interval and adds a closed
 * interval into the total (HdrHistogram's Recorder pattern), so the counts
 * agree by construction — this test holds that construction to it, with
 * several workers (intervals merged by offset), rounds shorter and longer
 * than one interval, closed and open loop, and mismatches forcing reconnects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRunOptions, runBenchmark } from '../../src/client/run.js';
import type { RunOptions } from '../../src/client/options.js';
import { decodeHistogram } from '../../src/stats/histogram.js';
import type { PagestreamResult } from '../../src/report/result.js';

function assertConsistent(r: PagestreamResult, label: string): void {
  const names = Object.keys(r.variants) as Array<keyof PagestreamResult['variants']>;
  assert.ok(names.length > 0, `${label}: no variants`);
  for (const name of names) {
    const v = r.variants[name]!;
    assert.ok(v.responses > 0, `${label} ${name}: measured nothing`);
    assert.equal(v.rounds.reduce((s, x) => s + x.responses, 0), v.responses, `${label} ${name}: rounds`);
    assert.equal(decodeHistogram(v.latencyUs.histogram).totalCount, v.responses, `${label} ${name}: latency histogram`);
    assert.equal(v.latencyUs.count, v.responses, `${label} ${name}: latency count`);
    const ivs = r.intervals?.[name] ?? [];
    assert.ok(ivs.length > 0, `${label} ${name}: intervals`);
    const sum = ivs.reduce((s, iv) => s + decodeHistogram(iv.histogram).totalCount, 0);
    assert.equal(sum, v.responses, `${label} ${name}: per-second intervals cover every measured response once`);
    if (v.serviceTimeUs) assert.equal(decodeHistogram(v.serviceTimeUs.histogram).totalCount, v.responses, `${label} ${name}: service histogram`);
  }
}

const base = (o: Partial<RunOptions>): RunOptions => ({
  ...defaultRunOptions(2), warmupS: 0.1, connections: 4, pipeline: 16, ...o,
});

test('closed loop, 2 workers, rounds longer than one interval: responses = histogram = sum of intervals', async () => {
  // 3.6 s per variant over 2 rounds: each round has one full 1 s interval and a partial one.
  const r = await runBenchmark(base({ protocol: 'v3', durationS: 3.6, rounds: 2, workers: 2 }), { log: () => {} });
  assertConsistent(r, 'closed');
  assert.ok((r.intervals?.v3?.length ?? 0) >= 4, `expected >= 4 intervals, got ${r.intervals?.v3?.length}`);
});

test('every variant, rounds far shorter than one tick-aligned interval: still exact', async () => {
  const r = await runBenchmark(base({ protocol: 'both', durationS: 0.09, rounds: 3, workers: 1 }), { log: () => {} });
  assertConsistent(r, 'short');
});

// wrong-block, not swap: the emulator swaps only when the next response is already
// queued, which at 1,000 requests/s per connection is rare (reads of one request),
// so a swap run could inject nothing; wrong-block applies to every response it draws.
test('open loop (latency and service histograms) with mismatches and reconnects: still exact', async () => {
  const r = await runBenchmark(base({
    protocol: 'v3', durationS: 1.5, rounds: 1, workers: 1, rate: 4000, emulatorArgs: ['--faults', 'wrong-block=0.002', '--fault-seed', '5'],
  }), { log: () => {} });
  assertConsistent(r, 'open');
  assert.ok(r.variants.v3!.mismatches > 0, 'the fault run produced mismatches');
});

// The reader stashes only the head of a straddling GetPage response unless
// something reads the page: with --verify-checksum every page must arrive whole,
// so a clean run has zero checksum mismatches over real sockets (at 8 KiB frames
// nearly every read ends inside a frame, so thousands straddle).
test('--verify-checksum on a clean stream: every straddling page arrives whole, zero mismatches', async () => {
  const r = await runBenchmark(base({ protocol: 'both', durationS: 0.6, rounds: 1, workers: 1, verifyChecksum: true, onMismatch: 'count' }), { log: () => {} });
  assertConsistent(r, 'checksum');
  for (const name of ['v2', 'v3', 'v3-noverify'] as const) {
    const v = r.variants[name]!;
    assert.ok(v.responses > 1000, `${name}: measured ${v.responses}`);
    assert.equal(v.mismatches, 0, `${name}: ${JSON.stringify(v.mismatchesByField)}`);
  }
});
