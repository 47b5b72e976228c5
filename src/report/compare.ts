/**
 * V3 and V3-noverify against V2 from the figures of one result: the one
 * comparison behind `run` (client/aggregate.ts) and `merge` (which must
 * recompute what the shards computed separately). Per-round ratios pair
 * round i of one variant with round i of V2: rounds interleave variants
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

export interface CompareOptions {
  /**
   * Where the p50 and p99 ratios come from: the median of the per-round
   * ratios (`run`, whose rounds carry their own exact percentiles) or the
   * whole-run histograms (`merge`: a merged round's percentiles are bounds,
   * the merged whole-run histogram is exact).
   */
  latencyFrom: 'rounds' | 'totals';
  /** Applied to every figure written (`run` rounds to 6 decimals); none by default. */
  round?: (x: number) => number;
}

const AS_IS = (x: number): number => x;

/**
 * `x` against `base`, the one implementation behind `run` and `merge`:
 * `bandwidthDeltaPct` is the change in bytes received per response (what the
 * echo adds to each frame, independent of throughput). Where per-round
 * figures exist, each headline ratio is the median of the per-round ratios
 * (robust to one disturbed round; the latency ratios as `opts.latencyFrom`
 * says), with its min–max in `spread`; the CPU ratio is paired per cycle when
 * every round has a paired figure (cpuRatioSource), and the ratio of the
 * round totals is kept beside it.
 */
export function compareVariant(x: VariantResult, base: VariantResult, opts: CompareOptions = { latencyFrom: 'totals' }): Comparison {
  const rd = opts.round ?? AS_IS;
  const rs = (s: Spread | undefined): Spread | undefined => s && { median: rd(s.median), min: rd(s.min), max: rd(s.max) };
  const perResp = (v: { bytesReceived: number; responses: number }): number => (v.responses > 0 ? v.bytesReceived / v.responses : NaN);
  const rounds = (x.rounds?.length ?? 0) > 0 && (base.rounds?.length ?? 0) > 0;
  const spread: NonNullable<Comparison['spread']> = {};
  const put = (k: keyof NonNullable<Comparison['spread']>, f: (r: RoundFigures, b: RoundFigures) => number): void => {
    const s = rounds ? rs(spreadOf(perRound(x, base, f))) : undefined;
    if (s) spread[k] = s;
  };
  put('throughputRatio', (r, b) => ratio(r.throughputRps, b.throughputRps));
  put('p50Ratio', (r, b) => ratio(r.p50Us, b.p50Us));
  put('p99Ratio', (r, b) => ratio(r.p99Us, b.p99Us));
  const from = cpuRatioSource(x, 'v2');
  put('cpuPerResponseRatio', (r, b) => roundCpuRatio(r, b, from));
  put('cpuPerResponseRatioTotals', (r, b) => roundCpuRatio(r, b, 'totals'));
  put('bandwidthDeltaPct', (r, b) => (ratio(perResp(r), perResp(b)) - 1) * 100);
  const headline = (s: Spread | undefined, whole: number): number => (s ? s.median : rd(whole));
  const byRounds = opts.latencyFrom === 'rounds';
  const cpuTotals = ratio(x.cpu.perResponseUs, base.cpu.perResponseUs);
  return {
    throughputRatio: headline(spread.throughputRatio, ratio(x.throughputRps, base.throughputRps)),
    p50Ratio: headline(byRounds ? spread.p50Ratio : undefined, ratio(x.latencyUs.p50, base.latencyUs.p50)),
    p99Ratio: headline(byRounds ? spread.p99Ratio : undefined, ratio(x.latencyUs.p99, base.latencyUs.p99)),
    bandwidthDeltaPct: headline(spread.bandwidthDeltaPct, (ratio(perResp(x), perResp(base)) - 1) * 100),
    cpuPerResponseRatio: headline(spread.cpuPerResponseRatio, cpuTotals),
    cpuPerResponseRatioFrom: from,
    cpuPerResponseRatioTotals: headline(spread.cpuPerResponseRatioTotals, cpuTotals),
    responseFrameBytesDeltaPct: rd((ratio(x.responseFrameBytes, base.responseFrameBytes) - 1) * 100),
    spread,
  };
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
