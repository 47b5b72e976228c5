/**
 * V3 and V3-noverify against V2 from the figures of one result. Used by `merge`
 * (which must recompute what the shards computed separately). Per-round ratios
 * pair round i of one variant with round i of V2: rounds interleave variants
 * (A B C A B C …), so drift of the machine cancels within a round.
 */
import type { Comparison, PagestreamResult, RoundFigures, Spread, VariantName, VariantResult } from './result.js';

export function spreadOf(values: readonly number[]): Spread | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]! };
}

function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

/**
 * Where the per-round CPU ratio of `x` against `base` comes from: the paired
 * per-cycle figure (time slices, RoundFigures.pairedCpu) when every round of
 * `x` has one against `baseName`, else each round's totals. All rounds one
 * way, so the spread compares like with like.
 */
export function cpuRatioSource(x: Pick<VariantResult, 'rounds'>, baseName: VariantName): 'cycles' | 'totals' {
  const rs = x.rounds ?? [];
  return rs.length > 0 && rs.every((r) => r.pairedCpu?.base === baseName && Number.isFinite(r.pairedCpu.ratio)) ? 'cycles' : 'totals';
}

/** Round `r`'s CPU-per-response ratio against the same round of the base `b` (see cpuRatioSource). */
export function roundCpuRatio(r: RoundFigures, b: RoundFigures, from: 'cycles' | 'totals'): number {
  return from === 'cycles' ? r.pairedCpu!.ratio : ratio(r.cpuPerResponseUs, b.cpuPerResponseUs);
}

function perRound(x: VariantResult, base: VariantResult, f: (r: RoundFigures, b: RoundFigures) => number): number[] {
  const byRound = new Map(base.rounds.map((r) => [r.round, r]));
  const out: number[] = [];
  for (const r of x.rounds ?? []) {
    const b = byRound.get(r.round);
    if (b) out.push(f(r, b));
  }
  return out;
}

/**
 * Same conventions as `run`: `bandwidthDeltaPct` is the change in bytes
 * received per response (what the echo adds to each frame, independent of
 * throughput); where per-round figures exist, the headline throughput, CPU and
 * bandwidth ratios are the median of the per-round ratios (robust to one
 * disturbed round), while p50/p99 ratios come from the whole-run histograms
 * (exact, also for merged results whose per-round percentiles are bounds).
 */
export function compareVariant(x: VariantResult, base: VariantResult): Comparison {
  const perResp = (v: { bytesReceived: number; responses: number }): number => (v.responses > 0 ? v.bytesReceived / v.responses : NaN);
  const c: Comparison = {
    throughputRatio: ratio(x.throughputRps, base.throughputRps),
    p50Ratio: ratio(x.latencyUs.p50, base.latencyUs.p50),
    p99Ratio: ratio(x.latencyUs.p99, base.latencyUs.p99),
    bandwidthDeltaPct: (ratio(perResp(x), perResp(base)) - 1) * 100,
    cpuPerResponseRatio: ratio(x.cpu.perResponseUs, base.cpu.perResponseUs),
    responseFrameBytesDeltaPct: (ratio(x.responseFrameBytes, base.responseFrameBytes) - 1) * 100,
  };
  if (x.rounds?.length && base.rounds?.length) {
    const spread: NonNullable<Comparison['spread']> = {};
    const put = (k: keyof NonNullable<Comparison['spread']>, f: (r: RoundFigures, b: RoundFigures) => number): void => {
      const s = spreadOf(perRound(x, base, f));
      if (s) spread[k] = s;
    };
    put('throughputRatio', (r, b) => ratio(r.throughputRps, b.throughputRps));
    put('p50Ratio', (r, b) => ratio(r.p50Us, b.p50Us));
    put('p99Ratio', (r, b) => ratio(r.p99Us, b.p99Us));
    const from = cpuRatioSource(x, 'v2');
    put('cpuPerResponseRatio', (r, b) => roundCpuRatio(r, b, from));
    put('cpuPerResponseRatioTotals', (r, b) => roundCpuRatio(r, b, 'totals'));
    c.cpuPerResponseRatioFrom = from;
    put('bandwidthDeltaPct', (r, b) => (ratio(perResp(r), perResp(b)) - 1) * 100);
    c.spread = spread;
    if (spread.throughputRatio) c.throughputRatio = spread.throughputRatio.median;
    if (spread.cpuPerResponseRatio) c.cpuPerResponseRatio = spread.cpuPerResponseRatio.median;
    if (spread.cpuPerResponseRatioTotals) c.cpuPerResponseRatioTotals = spread.cpuPerResponseRatioTotals.median;
    if (spread.bandwidthDeltaPct) c.bandwidthDeltaPct = spread.bandwidthDeltaPct.median;
  }
  return c;
}

export function computeComparison(r: Pick<PagestreamResult, 'variants'>): PagestreamResult['comparison'] {
  const out: PagestreamResult['comparison'] = {};
  const base = r.variants.v2;
  if (!base) return out;
  for (const v of ['v3', 'v3-noverify'] as const) {
    const x = r.variants[v];
    if (x) out[v] = compareVariant(x, base);
  }
  return out;
}
