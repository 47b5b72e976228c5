/**
 * recordValue without the floating-point calls. hdr-histogram-js computes the
 * bucket of a value with Math.log2 and Math.pow, which V8 runs as calls into
 * C++ (ieee754::log2 / ieee754::pow: ~6 % of the client's CPU in a perf
 * profile of `run`). For an integer value below 2^32 the same index follows
 * from Math.clz32 and shifts — the way the Java HdrHistogram computes it.
 *
 * Uses the library's own counters and min/max bookkeeping (JsHistogram
 * members), so the histogram stays a normal hdr-histogram-js histogram;
 * test/client/fast-record.test.ts checks bit-identical results against
 * recordValue. Only for histograms from createHistogram() (fixed bounds,
 * values already clamped into them).
 */
import type { Histogram } from 'hdr-histogram-js';
import { createHistogram } from './histogram.js';

interface JsHistogramMembers {
  unitMagnitude: number;
  subBucketHalfCountMagnitude: number;
  subBucketHalfCount: number;
  countsArrayLength: number;
  incrementCountAtIndex(index: number): void;
  addToCountAtIndex(index: number, count: number): void;
  updateMinAndMax(value: number): void;
  incrementTotalCount(): void;
  addToTotalCount(count: number): void;
}

const proto = createHistogram() as unknown as JsHistogramMembers;
const UNIT = proto.unitMagnitude;
const HALF_MAG = proto.subBucketHalfCountMagnitude;
const HALF = proto.subBucketHalfCount;
const SHIFT = HALF_MAG + UNIT;
if (typeof proto.incrementCountAtIndex !== 'function' || typeof proto.addToCountAtIndex !== 'function' ||
    typeof proto.addToTotalCount !== 'function' || !Number.isInteger(HALF_MAG) || !Number.isInteger(UNIT)) {
  throw new Error('hdr-histogram-js internals changed: fast-record.ts needs review');
}

/** The counts-array index of an integer value in [1, 2^32), as the Java HdrHistogram computes it. */
function countsIndex(value: number): number {
  let bucket = 31 - Math.clz32(value) - SHIFT;
  if (bucket < 0) bucket = 0;
  const sub = value >>> (bucket + UNIT);
  return ((bucket + 1) << HALF_MAG) + sub - HALF;
}

/** Record an integer value in [1, 2^32) — already clamped to the histogram's bounds. */
export function recordFast(h: Histogram, value: number): void {
  const m = h as unknown as JsHistogramMembers;
  m.incrementCountAtIndex(countsIndex(value));
  m.updateMinAndMax(value);
  m.incrementTotalCount();
}

/**
 * Record `count` occurrences of an integer value in [1, 2^32) — already
 * clamped to the histogram's bounds; count >= 1. What recordValueWithCount
 * does, without its floating-point calls.
 */
export function recordFastCount(h: Histogram, value: number, count: number): void {
  const m = h as unknown as JsHistogramMembers;
  m.addToCountAtIndex(countsIndex(value), count);
  m.updateMinAndMax(value);
  m.addToTotalCount(count);
}
