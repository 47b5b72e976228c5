/**
 * Latency histograms: hdr-histogram-js, pure-JS implementation (the wasm one
 * crosses into WebAssembly memory through wrappers; the JS one is proven not to
 * allocate in recordValue by test/client/hot-loop.test.ts), in microseconds,
 * with FIXED bounds so that histograms from every worker, round and host merge
 * exactly: 1 us .. 60 s, 3 significant digits, no auto-resize.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { LatencySummaryUs } from '../report/result.js';

export const HIST_LOWEST_US = 1;
export const HIST_HIGHEST_US = 60_000_000;
export const HIST_DIGITS = 3;

export type { Histogram };

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 64, // Float64Array counts: no overflow at 2^32 samples per bucket
    autoResize: false,
    lowestDiscernibleValue: HIST_LOWEST_US,
    highestTrackableValue: HIST_HIGHEST_US,
    numberOfSignificantValueDigits: HIST_DIGITS,
    useWebAssembly: false,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(b64: string): Histogram {
  return hdr.decodeFromCompressedBase64(b64, 64, false);
}

/** Merge encoded histograms into one fresh histogram with the fixed bounds. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const out = createHistogram();
  for (const e of encoded) if (e) out.add(decodeHistogram(e));
  return out;
}

export function summarize(h: Histogram): LatencySummaryUs {
  const n = h.totalCount;
  const at = (p: number): number => (n === 0 ? 0 : h.getValueAtPercentile(p));
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    p9999: at(99.99),
    p99999: at(99.999),
    max: n === 0 ? 0 : h.maxValue,
    min: n === 0 ? 0 : h.minNonZeroValue,
    mean: n === 0 ? 0 : round3(h.mean),
    stddev: n === 0 ? 0 : round3(h.stdDeviation),
    count: n,
    histogram: encodeHistogram(h),
  };
}

/** HdrHistogram's standard percentile-distribution text (the .hgrm format), values in microseconds. */
export function percentileDistribution(h: Histogram): string {
  return h.outputPercentileDistribution(5, 1);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
