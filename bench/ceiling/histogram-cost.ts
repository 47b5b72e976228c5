/**
 * `node dist/bench/ceiling/histogram-cost.js`: what recording one latency
 * costs in the client's histogram (hdr-histogram-js, pure JS, as
 * src/stats/histogram.ts builds it), against the same bucket index computed
 * with integer arithmetic (Math.clz32) — the change docs/performance.md
 * proposes. It first checks that the integer index equals the library's
 * `countsArrayIndex` for every value 1 .. 2^22 and the fixed bounds' top, and
 * that both ways produce byte-identical encoded histograms, then times 5 M
 * records each way (user CPU, process.cpuUsage), interleaved over 3 rounds.
 */
import { createHistogram, encodeHistogram, HIST_HIGHEST_US } from '../../src/stats/histogram.js';
import type { Histogram } from '../../src/stats/histogram.js';

interface Internals {
  countsArrayIndex(v: number): number;
  incrementCountAtIndex(i: number): void;
  updateMinAndMax(v: number): void;
  incrementTotalCount(): void;
  subBucketHalfCountMagnitude: number;
  unitMagnitude: number;
  subBucketHalfCount: number;
}

/** The proposed record: same bucket as HdrHistogram, no Math.pow / Math.log2. */
function makeFastRecord(h: Histogram): (v: number) => void {
  const x = h as unknown as Internals;
  const shb = x.subBucketHalfCountMagnitude;
  const unit = x.unitMagnitude;
  const half = x.subBucketHalfCount;
  return (v: number): void => {
    let bucket = 31 - Math.clz32(v) - shb - unit;
    if (bucket < 0) bucket = 0;
    const index = ((bucket + 1) << shb) + (v >>> (bucket + unit)) - half;
    x.incrementCountAtIndex(index);
    x.updateMinAndMax(v);
    x.incrementTotalCount();
  };
}

function indexOf(h: Histogram, v: number): number {
  const x = h as unknown as Internals;
  let bucket = 31 - Math.clz32(v) - x.subBucketHalfCountMagnitude - x.unitMagnitude;
  if (bucket < 0) bucket = 0;
  return ((bucket + 1) << x.subBucketHalfCountMagnitude) + (v >>> (bucket + x.unitMagnitude)) - x.subBucketHalfCount;
}

// Latency-like values: mostly 50 us .. 5 ms, a tail to 60 s (xorshift, fixed seed).
const N = 5_000_000;
const values = new Int32Array(N);
let s = 0x9e3779b9 | 0;
for (let i = 0; i < N; i++) {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  const u = (s >>> 0) / 2 ** 32;
  values[i] = u < 0.999 ? 50 + Math.floor(u * 4950) : 1 + Math.floor(u * u * (HIST_HIGHEST_US - 1));
}

const probe = createHistogram();
const px = probe as unknown as Internals;
let bad = 0;
for (let v = 1; v <= 1 << 22; v++) if (indexOf(probe, v) !== px.countsArrayIndex(v)) bad++;
for (const v of [HIST_HIGHEST_US - 1, HIST_HIGHEST_US, 33554431, 33554432]) if (indexOf(probe, v) !== px.countsArrayIndex(v)) bad++;
if (bad) throw new Error(`integer index differs from countsArrayIndex for ${bad} values`);

const a = createHistogram();
const b = createHistogram();
const fastB = makeFastRecord(b);
for (let i = 0; i < 200_000; i++) {
  a.recordValue(values[i]!);
  fastB(values[i]!);
}
if (encodeHistogram(a) !== encodeHistogram(b)) throw new Error('encoded histograms differ');

const user = (): number => process.cpuUsage().user;
const lib: number[] = [];
const fast: number[] = [];
for (let round = 0; round < 3; round++) {
  const h1 = createHistogram();
  let t = user();
  for (let i = 0; i < N; i++) h1.recordValue(values[i]!);
  lib.push(((user() - t) * 1000) / N);
  const h2 = createHistogram();
  const rec = makeFastRecord(h2);
  t = user();
  for (let i = 0; i < N; i++) rec(values[i]!);
  fast.push(((user() - t) * 1000) / N);
}
const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[1]!;
process.stdout.write(
  JSON.stringify(
    {
      check: 'integer index == countsArrayIndex for 1..2^22 and the top; encoded histograms identical',
      records: N,
      rounds: 3,
      hdrRecordValueNsPerRecord: { median: +med(lib).toFixed(1), perRound: lib.map((x) => +x.toFixed(1)) },
      integerIndexNsPerRecord: { median: +med(fast).toFixed(1), perRound: fast.map((x) => +x.toFixed(1)) },
    },
    null,
    2,
  ) + '\n',
);
