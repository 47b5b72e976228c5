/**
 * HdrHistogram helpers shared by report, merge, gate and the ecosystem formats.
 * Histograms travel in the result file in the standard compressed base64
 * encoding; values are microseconds.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { LatencySummaryUs } from './result.js';

export type { Histogram };

/**
 * Decode with 64-bit (float) counters: merged histograms of long runs can hold
 * more than 2^31 values in one bucket, which would wrap a 32-bit counter.
 */
export function decodeHistogram(base64: string): Histogram {
  return decodeFromCompressedBase64(base64, 64);
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** An empty histogram able to hold the sum of the given ones (auto-resizing, same precision). */
export function emptyLike(h: Histogram): Histogram {
  const digits = Math.min(5, Math.max(1, h.numberOfSignificantValueDigits)) as 1 | 2 | 3 | 4 | 5;
  return build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: digits });
}

/**
 * Exact HdrHistogram addition of encoded histograms. The sum goes through one
 * encode/decode round trip so that its min/max follow the same convention as
 * any histogram read from a file (hdr-histogram-js's add() of differently laid
 * out histograms records the lowest equivalent value of each bucket, decoding
 * reports the highest: without the round trip a merged max could read lower
 * than a shard's max by one bucket).
 */
export function addEncoded(encoded: readonly string[]): Histogram {
  if (encoded.length === 0) throw new Error('addEncoded: nothing to add');
  const parts = encoded.map(decodeHistogram);
  const sum = emptyLike(parts[0]!);
  for (const p of parts) sum.add(p);
  return decodeHistogram(encodeHistogram(sum));
}

/** The summary fields of LatencySummaryUs, recomputed from a histogram. */
export function summarize(h: Histogram): LatencySummaryUs {
  const empty = h.totalCount === 0;
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    p99999: h.getValueAtPercentile(99.999),
    max: h.maxValue,
    min: empty ? 0 : h.minNonZeroValue,
    mean: empty ? 0 : h.mean,
    stddev: empty ? 0 : h.stdDeviation,
    count: h.totalCount,
    histogram: encodeHistogram(h),
  };
}

/** "Nines" of a percentile: 90% -> 1, 99% -> 2, 99.9% -> 3 (HdrHistogram plot convention). */
export function ninesOf(percentile: number): number {
  return -Math.log10(1 - percentile / 100);
}

export function percentileOfNines(nines: number): number {
  return 100 * (1 - Math.pow(10, -nines));
}

export interface CurvePoint {
  nines: number;
  percentile: number;
  valueUs: number;
}

/**
 * The percentile curve from p50 to p99.999 sampled evenly on the nines axis.
 * It stops where the data stops: with n values, percentiles above 1 - 1/n are
 * all the maximum, so the curve ends at that point instead of inventing a tail.
 */
export function percentileCurve(h: Histogram, maxNines = 5, step = 0.05): CurvePoint[] {
  const out: CurvePoint[] = [];
  if (h.totalCount === 0) return out;
  const limit = Math.min(maxNines, Math.log10(h.totalCount));
  const start = ninesOf(50);
  for (let x = start; x < limit + 1e-9; x += step) {
    const p = percentileOfNines(x);
    out.push({ nines: x, percentile: p, valueUs: h.getValueAtPercentile(p) });
  }
  const last = out[out.length - 1];
  if (!last || last.nines < limit - 1e-9) {
    out.push({ nines: Math.max(limit, start), percentile: percentileOfNines(Math.max(limit, start)), valueUs: h.maxValue });
  }
  return out;
}
