/**
 * Merge the results of several load hosts (`run --shard i/n`) into one.
 *
 * Exact where exactness is possible: latency histograms are added
 * (HdrHistogram add), counters summed, and percentiles recomputed from the
 * sum. Rates are sums of the shards' rates (the shards ran in parallel over
 * the same window). Per-second interval histograms are added by wall-clock
 * second. Per-round p50/p99 cannot be recomputed without per-round histograms,
 * so a merged round carries the worst shard's (an upper bound, said so in
 * `mergeNotes`).
 */
import { UsageError } from '../protocol/errors.js';
import { computeComparison } from './compare.js';
import { addEncoded, encodeHistogram, summarize } from './histo.js';
import { variantsOf } from './load.js';
import type { PagestreamResult, PairedCpu, RoundFigures, VariantName, VariantResult } from './result.js';
import { RESULT_SCHEMA } from './result.js';

export interface MergeInput {
  file: string;
  result: PagestreamResult;
}

/** Config fields that may differ between shards of one run. */
const PER_SHARD_KEYS = new Set(['shard', 'out', 'report', 'hlog', 'json', 'format', 'quiet', 'hostname', 'mgmt',
  // With --lsn latest each host reads last_record_lsn when it starts; an ingesting pageserver moves it.
  'lsnSource',
  // Facts of each load host's kernel: whether it autotunes receive buffers, and the buffer it granted for --rcvbuf.
  'tcpRcvbufAutotuning', 'rcvbuf']);

function configKey(r: PagestreamResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r.config).sort()) if (!PER_SHARD_KEYS.has(k)) out[k] = r.config[k];
  return out;
}

/** Throws a one-line UsageError naming the file when the inputs cannot be merged. Returns warnings. */
export function checkMergeable(inputs: readonly MergeInput[]): string[] {
  const warnings: string[] = [];
  if (inputs.length < 2) throw new UsageError(`merge: needs at least two result files, got ${inputs.length}`);
  const first = inputs[0]!;
  const k0 = configKey(first.result);
  for (const { file, result } of inputs.slice(1)) {
    const k = configKey(result);
    const keys = [...new Set([...Object.keys(k0), ...Object.keys(k)])].sort();
    const diffs = keys.filter((key) => JSON.stringify(k0[key]) !== JSON.stringify(k[key])).map((key) => `${key} ${JSON.stringify(k[key] ?? null)} (${first.file}: ${JSON.stringify(k0[key] ?? null)})`);
    if (diffs.length) throw new UsageError(`${file}: configuration differs from ${first.file}: ${diffs.join(', ')}`);
    const va = variantsOf(first.result).join(',');
    const vb = variantsOf(result).join(',');
    if (va !== vb) throw new UsageError(`${file}: measured variants ${vb}, but ${first.file} measured ${va}`);
  }
  const seen = new Map<number, string>();
  let count: number | undefined;
  for (const { file, result } of inputs) {
    const s = result.config.shard;
    if (!s) throw new UsageError(`${file}: not a shard (the run had no --shard i/n); merge combines the shards of one distributed run`);
    if (count === undefined) count = s.count;
    else if (s.count !== count) throw new UsageError(`${file}: shard ${s.index}/${s.count} is from a run split ${s.count} ways, ${inputs[0]!.file} from one split ${count} ways`);
    const dup = seen.get(s.index);
    if (dup !== undefined) throw new UsageError(`${file}: shard ${s.index}/${s.count} given twice (also ${dup})`);
    seen.set(s.index, file);
    if (result.faults !== undefined) throw new UsageError(`${file}: fault-study results cannot be merged`);
    if (result.mergedFrom?.length) throw new UsageError(`${file}: already a merged result`);
  }
  if (count !== undefined && seen.size < count) {
    const missing = [...Array(count).keys()].filter((i) => !seen.has(i));
    warnings.push(`merging ${seen.size} of ${count} shards: shard(s) ${missing.join(', ')} missing, so the totals cover part of the load`);
  }
  // Time windows: shards of one run measure at the same time. Every pair must overlap.
  const win = inputs.map(({ file, result }) => ({ file, a: Date.parse(result.startedAt), b: Date.parse(result.finishedAt) }));
  const latestStart = win.reduce((x, y) => (y.a > x.a ? y : x));
  const earliestEnd = win.reduce((x, y) => (y.b < x.b ? y : x));
  if (latestStart.a >= earliestEnd.b) {
    throw new UsageError(
      `${latestStart.file}: time window ${new Date(latestStart.a).toISOString()} – ${new Date(latestStart.b).toISOString()} does not overlap ${earliestEnd.file} (${new Date(earliestEnd.a).toISOString()} – ${new Date(earliestEnd.b).toISOString()}): not shards of one run`,
    );
  }
  return warnings;
}

function sumRecord(records: Array<Record<string, number> | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, n] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + n;
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function mergeRounds(parts: VariantResult[]): RoundFigures[] {
  const byRound = new Map<number, RoundFigures[]>();
  for (const p of parts) for (const r of p.rounds ?? []) byRound.set(r.round, [...(byRound.get(r.round) ?? []), r]);
  return [...byRound.keys()].sort((a, b) => a - b).map((round) => {
    const rs = byRound.get(round)!;
    const responses = sum(rs.map((r) => r.responses));
    return {
      round,
      startS: Math.min(...rs.map((r) => r.startS)),
      durationS: Math.max(...rs.map((r) => r.durationS)),
      responses,
      errors: sum(rs.map((r) => r.errors)),
      mismatches: sum(rs.map((r) => r.mismatches)),
      throughputRps: sum(rs.map((r) => r.throughputRps)),
      bytesReceived: sum(rs.map((r) => r.bytesReceived)),
      bytesSent: sum(rs.map((r) => r.bytesSent)),
      // Upper bounds: per-round histograms are not in the result.
      p50Us: Math.max(...rs.map((r) => r.p50Us)),
      p99Us: Math.max(...rs.map((r) => r.p99Us)),
      cpuPerResponseUs: responses > 0 ? sum(rs.map((r) => r.cpuPerResponseUs * r.responses)) / responses : 0,
      ...mergePaired(rs, responses),
    };
  });
}

/**
 * Shards' paired CPU ratios of one round (each a median over that shard's
 * cycles): their mean weighted by responses, when every shard has one against
 * the same base; otherwise none (the comparison then uses the totals).
 */
function mergePaired(rs: RoundFigures[], responses: number): { pairedCpu?: PairedCpu } {
  const base = rs[0]?.pairedCpu?.base;
  if (base === undefined || responses <= 0 || !rs.every((r) => r.pairedCpu?.base === base)) return {};
  return { pairedCpu: { base, ratio: sum(rs.map((r) => r.pairedCpu!.ratio * r.responses)) / responses, cycles: sum(rs.map((r) => r.pairedCpu!.cycles)) } };
}

function mergeVariant(parts: VariantResult[]): VariantResult {
  const responses = sum(parts.map((p) => p.responses));
  const weighted = (f: (p: VariantResult) => number): number => (responses > 0 ? sum(parts.map((p) => f(p) * p.responses)) / responses : 0);
  const userUs = sum(parts.map((p) => p.cpu?.userUs ?? 0));
  const systemUs = sum(parts.map((p) => p.cpu?.systemUs ?? 0));
  const gcCount = sum(parts.map((p) => p.gc?.count ?? 0));
  const out: VariantResult = {
    responses,
    errors: sum(parts.map((p) => p.errors)),
    mismatches: sum(parts.map((p) => p.mismatches)),
    mismatchesByField: sumRecord(parts.map((p) => p.mismatchesByField)),
    errorsByClass: sumRecord(parts.map((p) => p.errorsByClass)),
    reconnects: sum(parts.map((p) => p.reconnects ?? 0)),
    durationS: Math.max(...parts.map((p) => p.durationS)),
    throughputRps: sum(parts.map((p) => p.throughputRps)),
    bytesReceived: sum(parts.map((p) => p.bytesReceived)),
    bytesSent: sum(parts.map((p) => p.bytesSent)),
    responseFrameBytes: weighted((p) => p.responseFrameBytes),
    requestFrameBytes: weighted((p) => p.requestFrameBytes ?? 0),
    bandwidthMiBps: sum(parts.map((p) => p.bandwidthMiBps ?? 0)),
    latencyUs: summarize(addEncoded(parts.map((p) => p.latencyUs.histogram))),
    cpu: { userUs, systemUs, perResponseUs: responses > 0 ? (userUs + systemUs) / responses : 0 },
    gc: { count: gcCount, pauseMs: sum(parts.map((p) => p.gc?.pauseMs ?? 0)), perMillionResponses: responses > 0 ? (gcCount / responses) * 1e6 : 0 },
    eventLoopUtilization: parts.flatMap((p) => p.eventLoopUtilization ?? []),
    rounds: mergeRounds(parts),
  };
  if (parts.every((p) => p.serviceTimeUs)) out.serviceTimeUs = summarize(addEncoded(parts.map((p) => p.serviceTimeUs!.histogram)));
  if (parts.every((p) => p.sendLagUs)) out.sendLagUs = summarize(addEncoded(parts.map((p) => p.sendLagUs!.histogram)));
  if (parts.some((p) => p.behindSchedule !== undefined)) out.behindSchedule = sum(parts.map((p) => p.behindSchedule ?? 0));
  if (parts.some((p) => p.undetected !== undefined)) out.undetected = sum(parts.map((p) => p.undetected ?? 0));
  return out;
}

/** Interval histograms added per wall-clock second (shards started at slightly different times). */
function mergeIntervals(inputs: readonly MergeInput[], base: number): PagestreamResult['intervals'] {
  if (!inputs.some((i) => i.result.intervals)) return undefined;
  const out: NonNullable<PagestreamResult['intervals']> = {};
  for (const v of variantsOf(inputs[0]!.result)) {
    const slots = new Map<number, { durationS: number; parts: string[] }>();
    for (const { result } of inputs) {
      const offset = (Date.parse(result.startedAt) - base) / 1000;
      for (const iv of result.intervals?.[v] ?? []) {
        const at = Math.round(iv.startS + offset);
        const slot = slots.get(at) ?? { durationS: iv.durationS, parts: [] };
        slot.durationS = Math.max(slot.durationS, iv.durationS);
        slot.parts.push(iv.histogram);
        slots.set(at, slot);
      }
    }
    if (slots.size) {
      out[v] = [...slots.keys()].sort((a, b) => a - b).map((at) => {
        const s = slots.get(at)!;
        return { startS: at, durationS: s.durationS, histogram: s.parts.length === 1 ? s.parts[0]! : encodeHistogram(addEncoded(s.parts)) };
      });
    }
  }
  return out;
}

export interface MergeOutcome {
  result: PagestreamResult;
  warnings: string[];
}

export function mergeResults(inputs: readonly MergeInput[]): MergeOutcome {
  const warnings = checkMergeable(inputs);
  const rs = inputs.map((i) => i.result);
  const first = rs[0]!;
  const startMs = Math.min(...rs.map((r) => Date.parse(r.startedAt)));
  const endMs = Math.max(...rs.map((r) => Date.parse(r.finishedAt)));
  const variants: PagestreamResult['variants'] = {};
  for (const v of variantsOf(first)) variants[v as VariantName] = mergeVariant(rs.map((r) => r.variants[v]!));
  const config = { ...first.config };
  delete config.shard;
  const sat = rs.filter((r) => r.saturation);
  const merged: PagestreamResult = {
    schema: RESULT_SCHEMA,
    tool: first.tool,
    node: first.node,
    // Load-generating capacity of all hosts together.
    cpus: sum(rs.map((r) => r.cpus ?? 0)),
    ...(first.cpuModel !== undefined ? { cpuModel: [...new Set(rs.map((r) => r.cpuModel ?? '?'))].join(' + ') } : {}),
    platform: first.platform,
    hostname: [...new Set(rs.map((r) => r.hostname ?? '?'))].join(','),
    startedAt: new Date(startMs).toISOString(),
    finishedAt: new Date(endMs).toISOString(),
    partial: rs.some((r) => r.partial),
    ...(rs.some((r) => r.partial) ? { partialReason: inputs.filter((i) => i.result.partial).map((i) => `${i.file}: ${i.result.partialReason ?? 'interrupted'}`).join('; ') } : {}),
    config: { ...config, shards: rs[0]!.config.shard!.count, mergeNotes: 'per-round p50/p99 are the worst shard\'s (upper bounds); whole-run percentiles are exact (histograms added)' },
    variants,
    comparison: {},
    mergedFrom: inputs.map((i) => ({ file: i.file, ...(i.result.config.shard ? { shard: i.result.config.shard } : {}) })),
  };
  if (sat.length) {
    merged.saturation = {
      clientLimited: sat.some((r) => r.saturation!.clientLimited),
      reasons: inputs.flatMap((i) => (i.result.saturation?.clientLimited ? i.result.saturation.reasons.map((x) => `shard ${i.result.config.shard?.index}: ${x}`) : [])),
      maxWorkerElu: Math.max(...sat.map((r) => r.saturation!.maxWorkerElu)),
    };
  }
  const intervals = mergeIntervals(inputs, startMs);
  if (intervals) merged.intervals = intervals;
  merged.comparison = computeComparison(merged);
  return { result: merged, warnings };
}
