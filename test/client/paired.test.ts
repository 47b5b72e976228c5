/**
 * The paired CPU ratio of a sliced round (src/client/paired.ts): per cycle,
 * one variant's CPU per response over the base's in the same cycle, and the
 * median over cycles. Expected values are worked out by hand below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedCpuRatio } from '../../src/client/paired.js';
type SliceLog = Parameters<typeof pairedCpuRatio>[0];

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('paired: per-cycle ratios in rotated order, median over cycles', () => {
  // Three variants, three cycles in the rotated order A B C | B C A | C A B.
  const log: SliceLog = {
    variant: [0, 1, 2, 1, 2, 0, 2, 0, 1],
    cpuUs: [100, 110, 999, 200, 999, 100, 999, 90, 135],
    responses: [100, 100, 1, 100, 1, 50, 1, 100, 100],
  };
  // Cycle 0: v1 1.10 / v0 1.00 = 1.1; cycle 1: v1 2.00 / v0 2.00 = 1.0; cycle 2: v1 1.35 / v0 0.90 = 1.5.
  const p = pairedCpuRatio(log, 3, 1, 0)!;
  close(p.ratio, 1.1, 'median of 1.1, 1.0, 1.5 (their mean would be 1.2)');
  assert.equal(p.cycles, 3);
  // Variant 2 (999 µs for 1 response) against 0: 999, 499.5, 1110 -> median 999.
  close(pairedCpuRatio(log, 3, 2, 0)!.ratio, 999, 'v2 against v0');
  // The other way round: the reciprocal ratios, 1/1.1, 1, 1/1.5 -> median 1/1.1.
  close(pairedCpuRatio(log, 3, 0, 1)!.ratio, 1 / 1.1, 'v0 against v1');
});

test('paired: a slice the machine slowed moves the ratio of totals, not the paired ratio', () => {
  // Two variants alternating, 5 cycles, the second costs 2 % more in every cycle.
  const variant: number[] = [];
  const cpuUs: number[] = [];
  const responses: number[] = [];
  for (let c = 0; c < 5; c++) {
    variant.push(0, 1);
    cpuUs.push(10_000, 10_200);
    responses.push(10_000, 10_000);
  }
  cpuUs[3] = 20_400; // cycle 1: variant 1's slice took twice the CPU (a neighbour took the cache)
  const p = pairedCpuRatio({ variant, cpuUs, responses }, 2, 1, 0)!;
  close(p.ratio, 1.02, 'paired');
  const totals = (cpuUs.filter((_, k) => variant[k] === 1).reduce((s, x) => s + x, 0)) / (cpuUs.filter((_, k) => variant[k] === 0).reduce((s, x) => s + x, 0));
  close(totals, 1.224, 'ratio of totals: (4 × 10,200 + 20,400) / 50,000');
});

test('paired: cycles without responses on either side do not count; an unfinished cycle is ignored; even counts take the middle mean', () => {
  const log: SliceLog = {
    variant: [0, 1, 0, 1, 0, 1, 0, 1, 0],
    cpuUs: [100, 130, 100, 500, 100, 110, 100, 120, 100],
    responses: [100, 100, 100, 0, 0, 100, 100, 100, 100],
  };
  // Cycle 0: 1.3; cycle 1: v1 received nothing; cycle 2: v0 received nothing; cycle 3: 1.2; slice 8 starts a cycle that never finished.
  const p = pairedCpuRatio(log, 2, 1, 0)!;
  assert.equal(p.cycles, 2);
  close(p.ratio, 1.25, 'mean of the middle two, 1.2 and 1.3');
  assert.equal(pairedCpuRatio({ variant: [0, 1], cpuUs: [1, 1], responses: [0, 5] }, 2, 1, 0), undefined, 'no cycle counts');
  assert.equal(pairedCpuRatio({ variant: [0], cpuUs: [1], responses: [5] }, 2, 1, 0), undefined, 'no whole cycle');
});
