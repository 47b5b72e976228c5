/**
 * Realistic result fixtures for report, gate and merge tests, built with real
 * hdr-histogram-js histograms from recorded values (never hand-written base64).
 * Deterministic: a seeded PRNG, so a test failure reproduces.
 */
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { computeComparison } from '../../../src/report/compare.js';
import { summarize } from '../../../src/report/histo.js';
import type { PagestreamResult, RoundFigures, VariantName, VariantResult } from '../../../src/report/result.js';
import { RESULT_SCHEMA } from '../../../src/report/result.js';

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface VariantShape {
  /** Median latency in µs. */
  medianUs: number;
  throughputRps: number;
  responseFrameBytes: number;
  cpuPerResponseUs: number;
  mismatches?: Record<string, number>;
  errors?: Record<string, number>;
}

export interface FixtureOptions {
  seed?: number;
  /**
   * Share of the shape's throughput actually recorded (one histogram value per
   * response, so `responses` equals the histogram's count, as in a real run).
   */
  sampleScale?: number;
  rounds?: number;
  durationS?: number;
  startedAt?: string;
  variants?: Partial<Record<VariantName, VariantShape>>;
  /** Relative round-to-round noise of throughput (0.01 = ±1%). */
  roundNoise?: number;
  shard?: { index: number; count: number };
  saturated?: boolean;
  faults?: unknown;
  config?: Record<string, unknown>;
  intervals?: boolean;
  openLoop?: boolean;
}

export const DEFAULT_SHAPES: Record<VariantName, VariantShape> = {
  v2: { medianUs: 180, throughputRps: 52000, responseFrameBytes: 8214, cpuPerResponseUs: 9.6 },
  v3: { medianUs: 184, throughputRps: 51700, responseFrameBytes: 8255, cpuPerResponseUs: 9.9 },
  'v3-noverify': { medianUs: 182, throughputRps: 51850, responseFrameBytes: 8255, cpuPerResponseUs: 9.7 },
};

/** Log-normal latency with a rare slow tail, like a real page server. */
function recordLatencies(h: Histogram, rnd: () => number, medianUs: number, n: number, extra?: Histogram): void {
  for (let i = 0; i < n; i++) {
    const u1 = Math.max(rnd(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rnd());
    let v = medianUs * Math.exp(0.35 * z);
    if (rnd() < 0.002) v *= 4 + 20 * rnd();
    const us = Math.max(1, Math.round(v));
    h.recordValue(us);
    extra?.recordValue(us);
  }
}

function newHisto(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export function makeResult(opts: FixtureOptions = {}): PagestreamResult {
  const rnd = prng(opts.seed ?? 1);
  const rounds = opts.rounds ?? 3;
  const durationS = opts.durationS ?? 2;
  const scale = opts.sampleScale ?? 0.25;
  const noise = opts.roundNoise ?? 0.005;
  const shapes = opts.variants ?? DEFAULT_SHAPES;
  const names = (['v2', 'v3', 'v3-noverify'] as const).filter((v) => shapes[v]);
  const startedAt = opts.startedAt ?? '2026-11-21T10:00:00.000Z';
  const variants: PagestreamResult['variants'] = {};
  const intervals: NonNullable<PagestreamResult['intervals']> = {};
  for (const v of names) {
    const s = shapes[v]!;
    const total = newHisto();
    const roundFigs: RoundFigures[] = [];
    const ivs: Array<{ startS: number; durationS: number; histogram: string }> = [];
    let responses = 0;
    for (let r = 0; r < rounds; r++) {
      const startS = r * names.length * durationS + names.indexOf(v) * durationS;
      const rh = newHisto();
      const f = 1 + noise * (2 * rnd() - 1);
      // One interval histogram per second of this round.
      for (let sec = 0; sec < durationS; sec++) {
        const ih = newHisto();
        recordLatencies(ih, rnd, s.medianUs / f, Math.round(s.throughputRps * f * scale), rh);
        ivs.push({ startS: startS + sec, durationS: 1, histogram: encodeIntoCompressedBase64(ih) });
      }
      total.add(rh);
      const resp = rh.totalCount;
      const tput = resp / durationS;
      responses += resp;
      roundFigs.push({
        round: r, startS, durationS, responses: resp, errors: 0, mismatches: 0, throughputRps: tput,
        bytesReceived: resp * s.responseFrameBytes, bytesSent: resp * 33, p50Us: rh.getValueAtPercentile(50), p99Us: rh.getValueAtPercentile(99),
        cpuPerResponseUs: s.cpuPerResponseUs * (1 + noise * (2 * rnd() - 1)),
      });
    }
    const d = rounds * durationS;
    const mism = Object.values(s.mismatches ?? {}).reduce((a, b) => a + b, 0);
    const errs = Object.values(s.errors ?? {}).reduce((a, b) => a + b, 0);
    const vr: VariantResult = {
      responses, errors: errs, mismatches: mism, mismatchesByField: s.mismatches ?? {}, errorsByClass: s.errors ?? {}, reconnects: 0,
      durationS: d, throughputRps: responses / d, bytesReceived: responses * s.responseFrameBytes, bytesSent: responses * 33,
      responseFrameBytes: s.responseFrameBytes, requestFrameBytes: 33, bandwidthMiBps: (responses * s.responseFrameBytes) / d / 1048576,
      latencyUs: summarize(total),
      cpu: { userUs: responses * s.cpuPerResponseUs * 0.8, systemUs: responses * s.cpuPerResponseUs * 0.2, perResponseUs: s.cpuPerResponseUs },
      gc: { count: 3, pauseMs: 4.5, perMillionResponses: (3 / responses) * 1e6 },
      eventLoopUtilization: [0.62, 0.58], rounds: roundFigs,
    };
    if (opts.openLoop) {
      vr.serviceTimeUs = vr.latencyUs;
      vr.behindSchedule = 0;
    }
    variants[v] = vr;
    intervals[v] = ivs;
  }
  const totalS = rounds * names.length * durationS;
  const res: PagestreamResult = {
    schema: RESULT_SCHEMA,
    tool: { name: 'pagestream-bench', version: '0.1.0' },
    node: 'v20.19.0', cpus: 2, cpuModel: 'Test CPU @ 2.0GHz', platform: 'linux', hostname: 'loadhost-1',
    startedAt, finishedAt: new Date(Date.parse(startedAt) + totalS * 1000).toISOString(), partial: false,
    config: {
      target: 'embedded', rels: ['1663/5/16384'], protocol: names.length > 1 ? 'both' : names[0] === 'v2' ? 'v2' : 'v3', connections: 4, pipeline: 32, workers: 1,
      durationS, warmupS: 1, rounds, pattern: 'uniform', batch: 1, lsn: '0/169AD58', seed: 42, verifyChecksum: false, onMismatch: 'count',
      ...(opts.openLoop ? { rate: 40000 } : {}),
      ...(opts.shard ? { shard: opts.shard } : {}),
      ...(opts.config ?? {}),
    },
    variants,
    comparison: {},
    ...(opts.intervals === false ? {} : { intervals }),
  };
  res.comparison = computeComparison(res);
  if (opts.saturated) res.saturation = { clientLimited: true, reasons: ['worker event loop 97% busy'], maxWorkerElu: 0.97, suggestion: 'add --workers or load hosts (--shard)' };
  if (opts.faults !== undefined) res.faults = opts.faults;
  return res;
}

/** Shaped like `faults` writes it (src/faults/matrix.ts FaultStudy): matrix[kind][variant], clean runs, notes. */
export function faultFixture(): unknown {
  const kinds = ['drop', 'swap', 'stale', 'wrong-block', 'wrong-rel', 'wrong-lsn', 'corrupt', 'error', 'close'];
  const variants = ['v2', 'v2+checksum', 'v3', 'v3+checksum'];
  const visibleToAll = new Set(['error', 'close']);
  const matrix: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const k of kinds) {
    matrix[k] = {};
    for (const v of variants) {
      const checksum = v.endsWith('+checksum');
      const v3 = v.startsWith('v3');
      const caught = visibleToAll.has(k) || (v3 && k !== 'corrupt') || (checksum && (k === 'corrupt' || k === 'wrong-block' || k === 'wrong-rel'));
      matrix[k]![v] = {
        injected: 100, detected: caught ? 100 : 0, undetected: caught ? 0 : k === 'drop' || k === 'stale' ? 1700 : 100, falsePositives: 0,
        undetectedBasis: k === 'corrupt' ? 'inferred' : 'oracle', responses: 250000, throughputRps: 40000,
      };
    }
  }
  const clean: Record<string, Record<string, number>> = {};
  variants.forEach((v, i) => {
    clean[v] = { responses: 400000, throughputRps: 50000 - i * 600, cpuPerResponseUs: 9.5 + i * 0.4, p50Us: 180, p99Us: 420 + i * 5, responseFrameBytes: v.startsWith('v3') ? 8255 : 8214, falsePositives: 0, undetected: 0, throughputVsV2: 1 - i * 0.012, cpuPerResponseVsV2: 1 + i * 0.042 };
  });
  return { ratePerFault: 0.001, durationS: 2, connections: 4, pipeline: 32, onMismatch: 'reconnect', seed: 7, kinds, variants, matrix, clean, emulatorFaults: {}, notes: ['corrupt: undetected inferred from injected minus detected (the oracle reads the stamp, which corrupt leaves intact)'] };
}
