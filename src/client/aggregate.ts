/**
 * From worker results to the result file's figures: per (round, variant)
 * phase figures, per variant totals over rounds, and the V3-vs-V2 comparison
 * (each ratio the median over rounds, with min–max, since the rounds
 * interleave the variants and drift hits them alike).
 */
import { VERIFY_CODE_NAMES, VERIFY_CODES } from '../protocol/getpage.js';
import type { Comparison, PairedCpu, RoundFigures, Spread, VariantName, VariantResult } from '../report/result.js';
import { compareVariant, spreadOf as exactSpreadOf } from '../report/compare.js';
import {
  C_BEHIND, C_BYTES_RECEIVED, C_BYTES_SENT, C_COUNT, C_ERRORS, C_MISMATCHES, C_RECONNECTS, C_REQUESTS, C_RESPONSES,
  C_READS, C_STREAM_BYTES_RECEIVED, C_UNDETECTED, C_WRITES,
} from './shard-stats.js';
import { mergeEncoded, summarize } from '../stats/histogram.js';
import type { Histogram } from '../stats/histogram.js';
import type { ShardResult } from './task.js';

/** One variant in one round, all workers together. */
export interface PhaseFigures {
  variant: VariantName;
  round: number;
  startS: number;
  durationS: number;
  counters: Float64Array;
  byCode: Float64Array;
  errorsByClass: Record<string, number>;
  latency: Histogram;
  service: Histogram | null;
  sendLag: Histogram | null;
  cpuUserUs: number;
  cpuSystemUs: number;
  gcCount: number;
  gcPauseMs: number;
  elu: number[];
  /** Per-second merged interval histograms, startS relative to the run start. */
  intervals: Array<{ startS: number; durationS: number; histogram: string }>;
  workers: ShardResult[];
  /** Time slices: CPU per response against the round's first variant, paired per cycle (paired.ts). */
  pairedCpu?: PairedCpu;
  /** Embedded emulator: its CPU (µs) over this phase's measured time. */
  serverCpuUs?: number;
}

/** The counters a worker, a phase and a variant each carry, summed at every level. */
interface Counts {
  counters: Float64Array;
  byCode: Float64Array;
  errorsByClass: Record<string, number>;
}

function emptyCounts(): Counts {
  return { counters: new Float64Array(C_COUNT), byCode: new Float64Array(VERIFY_CODES), errorsByClass: {} };
}

/** Add one worker's or one phase's counters into `into`. */
function addCounts(into: Counts, from: { counters: ArrayLike<number>; byCode: ArrayLike<number>; errorsByClass: Record<string, number> }): void {
  for (let i = 0; i < from.counters.length; i++) into.counters[i]! += from.counters[i]!;
  for (let i = 0; i < from.byCode.length; i++) into.byCode[i]! += from.byCode[i]!;
  for (const [k, v] of Object.entries(from.errorsByClass)) into.errorsByClass[k] = (into.errorsByClass[k] ?? 0) + v;
}

export function phaseFromWorkers(
  variant: VariantName, round: number, startS: number, durationS: number, results: ShardResult[],
  cpu: { user: number; system: number }, mainGc: { count: number; pauseMs: number },
): PhaseFigures {
  const sum = emptyCounts();
  let gcCount = mainGc.count;
  let gcPauseMs = mainGc.pauseMs;
  const byOffset = new Map<number, { durationS: number; hist: string[] }>();
  for (const r of results) {
    addCounts(sum, r);
    gcCount += r.gcCount;
    gcPauseMs += r.gcPauseMs;
    r.intervals.forEach((iv, k) => {
      const slot = byOffset.get(k) ?? { durationS: iv.durationS, hist: [] };
      slot.hist.push(iv.histogram);
      slot.durationS = Math.max(slot.durationS, iv.durationS);
      byOffset.set(k, slot);
    });
  }
  const intervals = [...byOffset.entries()].sort((a, b) => a[0] - b[0]).map(([k, s]) => ({
    startS: round6(startS + k), durationS: round6(s.durationS), histogram: summarize(mergeEncoded(s.hist)).histogram,
  }));
  const service = results.some((r) => r.service) ? mergeEncoded(results.map((r) => r.service ?? '')) : null;
  const sendLag = results.some((r) => r.sendLag) ? mergeEncoded(results.map((r) => r.sendLag ?? '')) : null;
  return {
    variant, round, startS, durationS, ...sum,
    latency: mergeEncoded(results.map((r) => r.latency)), service, sendLag,
    cpuUserUs: cpu.user, cpuSystemUs: cpu.system, gcCount, gcPauseMs,
    elu: results.map((r) => round6(r.elu)), intervals, workers: results,
  };
}

export function roundFigures(p: PhaseFigures): RoundFigures {
  const c = p.counters;
  const responses = c[C_RESPONSES]!;
  const lat = p.latency;
  return {
    round: p.round,
    startS: round6(p.startS),
    durationS: round6(p.durationS),
    responses,
    errors: c[C_ERRORS]!,
    mismatches: c[C_MISMATCHES]!,
    throughputRps: round3(p.durationS > 0 ? responses / p.durationS : 0),
    bytesReceived: c[C_BYTES_RECEIVED]!,
    bytesSent: c[C_BYTES_SENT]!,
    p50Us: lat.totalCount ? lat.getValueAtPercentile(50) : 0,
    p99Us: lat.totalCount ? lat.getValueAtPercentile(99) : 0,
    cpuPerResponseUs: round6(responses > 0 ? (p.cpuUserUs + p.cpuSystemUs) / responses : 0),
    ...(p.pairedCpu ? { pairedCpu: { ...p.pairedCpu, ratio: round6(p.pairedCpu.ratio) } } : {}),
    readsPerResponse: round6(responses > 0 ? c[C_READS]! / responses : 0),
    ...(p.serverCpuUs !== undefined && responses > 0 ? { serverCpuPerResponseUs: round6(p.serverCpuUs / responses) } : {}),
  };
}

export function variantResult(phases: PhaseFigures[], oracle: boolean): VariantResult {
  const sum = emptyCounts();
  const { counters: c, byCode, errorsByClass } = sum;
  let durationS = 0, user = 0, system = 0, gcCount = 0, gcPauseMs = 0;
  const nWorkers = Math.max(0, ...phases.map((p) => p.elu.length));
  const eluSum = new Array<number>(nWorkers).fill(0);
  const eluN = new Array<number>(nWorkers).fill(0);
  const latency = mergeEncoded([]);
  let service: Histogram | null = null;
  let sendLag: Histogram | null = null;
  for (const p of phases) {
    addCounts(sum, p);
    durationS += p.durationS;
    user += p.cpuUserUs;
    system += p.cpuSystemUs;
    gcCount += p.gcCount;
    gcPauseMs += p.gcPauseMs;
    latency.add(p.latency);
    if (p.service) {
      service ??= mergeEncoded([]);
      service.add(p.service);
    }
    if (p.sendLag) {
      sendLag ??= mergeEncoded([]);
      sendLag.add(p.sendLag);
    }
    p.elu.forEach((e, i) => {
      eluSum[i]! += e;
      eluN[i]!++;
    });
  }
  const responses = c[C_RESPONSES]!;
  const mismatchesByField: Record<string, number> = {};
  byCode.forEach((v, code) => {
    if (v > 0) mismatchesByField[VERIFY_CODE_NAMES[code]!] = v;
  });
  const out: VariantResult = {
    responses,
    errors: c[C_ERRORS]!,
    mismatches: c[C_MISMATCHES]!,
    mismatchesByField,
    errorsByClass,
    reconnects: c[C_RECONNECTS]!,
    durationS: round6(durationS),
    throughputRps: round3(durationS > 0 ? responses / durationS : 0),
    bytesReceived: c[C_BYTES_RECEIVED]!,
    bytesSent: c[C_BYTES_SENT]!,
    responseFrameBytes: round3(responses > 0 ? c[C_STREAM_BYTES_RECEIVED]! / responses : 0),
    requestFrameBytes: round3(c[C_REQUESTS]! > 0 ? c[C_BYTES_SENT]! / c[C_REQUESTS]! : 0),
    bandwidthMiBps: round3(durationS > 0 ? c[C_BYTES_RECEIVED]! / durationS / 1048576 : 0),
    latencyUs: summarize(latency),
    cpu: { userUs: Math.round(user), systemUs: Math.round(system), perResponseUs: round6(responses > 0 ? (user + system) / responses : 0) },
    gc: { count: gcCount, pauseMs: round3(gcPauseMs), perMillionResponses: round3(responses > 0 ? (gcCount * 1e6) / responses : 0) },
    eventLoopUtilization: eluSum.map((s, i) => round6(eluN[i]! > 0 ? s / eluN[i]! : 0)),
    rounds: phases.map(roundFigures),
  };
  if (service) {
    out.serviceTimeUs = summarize(service);
    out.behindSchedule = c[C_BEHIND]!;
  }
  if (sendLag) out.sendLagUs = summarize(sendLag);
  if (oracle) out.undetected = c[C_UNDETECTED]!;
  // Syscall batching, measured: socket reads and writes per response.
  out.readsPerResponse = round3(responses > 0 ? c[C_READS]! / responses : 0);
  out.writesPerResponse = round3(responses > 0 ? c[C_WRITES]! / responses : 0);
  return out;
}

/** report/compare.ts's median and min–max over the finite values, rounded to 6 digits for the result file. */
export function spreadOf(values: number[]): Spread | undefined {
  const s = exactSpreadOf(values);
  return s && { median: round6(s.median), min: round6(s.min), max: round6(s.max) };
}

/** `x` against v2 as `run` reports it: report/compare.ts's compareVariant, latency ratios per round, 6 decimals. */
export function compare(x: VariantResult, v2: VariantResult): Comparison {
  return compareVariant(x, v2, { latencyFrom: 'rounds', round: round6 });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
