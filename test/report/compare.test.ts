/**
 * The one V3-vs-V2 comparison behind `run` (client/aggregate.ts compare) and
 * `merge` (report/compare.ts compareVariant). Figures are hand-picked so that
 * every convention gives a different number: the median of the per-round
 * ratios differs from the ratio of the totals, the paired CPU ratio from the
 * round totals, and a whole-run p50 ratio from the per-round one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare } from '../../src/client/aggregate.js';
import { compareVariant } from '../../src/report/compare.js';
import type { PairedCpu, RoundFigures, VariantResult } from '../../src/report/result.js';

function round(n: number, rps: number, p50: number, cpu: number, bytesPerResp: number, paired?: PairedCpu): RoundFigures {
  return {
    round: n, startS: n, durationS: 1, responses: 1000, errors: 0, mismatches: 0, throughputRps: rps,
    bytesReceived: 1000 * bytesPerResp, bytesSent: 47_000, p50Us: p50, p99Us: 2 * p50, cpuPerResponseUs: cpu,
    ...(paired ? { pairedCpu: paired } : {}),
  };
}

function variant(rounds: RoundFigures[], whole: { rps: number; p50: number; cpu: number; frame: number; bytesPerResp: number }): VariantResult {
  return {
    responses: 3000, errors: 0, mismatches: 0, mismatchesByField: {}, errorsByClass: {}, reconnects: 0, durationS: 3,
    throughputRps: whole.rps, bytesReceived: 3000 * whole.bytesPerResp, bytesSent: 141_000, responseFrameBytes: whole.frame,
    requestFrameBytes: 47, bandwidthMiBps: 1,
    latencyUs: { p50: whole.p50, p90: whole.p50, p99: 2 * whole.p50, p999: 3 * whole.p50, max: 4 * whole.p50, mean: whole.p50, count: 3000, histogram: '' },
    cpu: { userUs: 0, systemUs: 0, perResponseUs: whole.cpu }, gc: { count: 0, pauseMs: 0, perMillionResponses: 0 },
    eventLoopUtilization: [0.5], rounds,
  };
}

// V2: three rounds of 100k responses/s, p50 100 µs, 2.0 µs CPU, 8,200 bytes per response.
const v2 = variant(
  [round(0, 100_000, 100, 2.0, 8200), round(1, 100_000, 100, 2.0, 8200), round(2, 100_000, 100, 2.0, 8200)],
  { rps: 100_000, p50: 100, cpu: 2.0, frame: 8200, bytesPerResp: 8200 },
);
// V3, per round against V2:
//   throughput 0.90, 0.99, 1.02 -> median 0.99 (ratio of the totals given: 0.95)
//   p50 110, 103, 130 -> 1.10, 1.03, 1.30 -> median 1.10 (whole-run p50 120 -> 1.20)
//   CPU totals 2.06, 2.02, 2.10 -> 1.03, 1.01, 1.05 -> median 1.03 (whole-run 2.1 -> 1.05)
//   paired 1.012, 1.008, 1.030 -> median 1.012
//   bytes per response 8241 in every round -> +0.5 % (41 / 8200)
const v3Rounds = [
  round(0, 90_000, 110, 2.06, 8241, { base: 'v2', ratio: 1.012, cycles: 100 }),
  round(1, 99_000, 103, 2.02, 8241, { base: 'v2', ratio: 1.008, cycles: 100 }),
  round(2, 102_000, 130, 2.10, 8241, { base: 'v2', ratio: 1.03, cycles: 100 }),
];
const v3 = variant(v3Rounds, { rps: 95_000, p50: 120, cpu: 2.1, frame: 8241, bytesPerResp: 8241 });

test('run: every headline ratio is the median over rounds, the CPU one paired per cycle, rounded to 6 digits', () => {
  const c = compare(v3, v2);
  assert.equal(c.throughputRatio, 0.99);
  assert.equal(c.p50Ratio, 1.1);
  assert.equal(c.p99Ratio, 1.1);
  assert.equal(c.cpuPerResponseRatio, 1.012);
  assert.equal(c.cpuPerResponseRatioFrom, 'cycles');
  assert.equal(c.cpuPerResponseRatioTotals, 1.03);
  assert.equal(c.bandwidthDeltaPct, 0.5);
  assert.equal(c.responseFrameBytesDeltaPct, 0.5);
  assert.deepEqual(c.spread?.throughputRatio, { median: 0.99, min: 0.9, max: 1.02 });
  assert.deepEqual(c.spread?.p50Ratio, { median: 1.1, min: 1.03, max: 1.3 });
  assert.deepEqual(c.spread?.cpuPerResponseRatio, { median: 1.012, min: 1.008, max: 1.03 });
  assert.deepEqual(c.spread?.cpuPerResponseRatioTotals, { median: 1.03, min: 1.01, max: 1.05 });
});

test('merge: latency ratios from the whole-run histograms, the rest as run, nothing rounded', () => {
  const c = compareVariant(v3, v2);
  assert.equal(c.p50Ratio, 1.2);
  assert.equal(c.p99Ratio, 1.2);
  // Still the median over rounds (with its spread), not the ratio of the totals.
  assert.equal(c.throughputRatio, 0.99);
  assert.equal(c.cpuPerResponseRatio, 1.012);
  assert.deepEqual(c.spread?.p50Ratio, { median: 1.1, min: 1.03, max: 1.3 });
  // Unrounded: 41/8200 is exactly 0.5 %, so check a figure that is not round.
  const odd = variant(v3Rounds, { rps: 95_000, p50: 120, cpu: 2.1, frame: 8241.3, bytesPerResp: 8241 });
  assert.equal(compareVariant(odd, v2).responseFrameBytesDeltaPct, (8241.3 / 8200 - 1) * 100);
  assert.equal(compare(odd, v2).responseFrameBytesDeltaPct, 0.503659);
});

test('one round without a paired figure: the CPU ratio comes from the round totals in every round', () => {
  const mixed = variant([v3Rounds[0]!, round(1, 99_000, 103, 2.02, 8241), v3Rounds[2]!], { rps: 95_000, p50: 120, cpu: 2.1, frame: 8241, bytesPerResp: 8241 });
  const c = compare(mixed, v2);
  assert.equal(c.cpuPerResponseRatioFrom, 'totals');
  assert.equal(c.cpuPerResponseRatio, 1.03);
  assert.equal(c.cpuPerResponseRatioTotals, 1.03);
});

test('no rounds (a partial result): the ratios of the totals, an empty spread', () => {
  const whole = { rps: 95_000, p50: 120, cpu: 2.1, frame: 8241, bytesPerResp: 8241 };
  for (const c of [compare(variant([], whole), v2), compareVariant(variant([], whole), v2)]) {
    assert.equal(c.throughputRatio, 0.95);
    assert.equal(c.p50Ratio, 1.2);
    assert.equal(c.cpuPerResponseRatio, 1.05);
    assert.equal(c.cpuPerResponseRatioFrom, 'totals');
    assert.equal(c.cpuPerResponseRatioTotals, 1.05);
    assert.deepEqual(c.spread, {});
  }
});
