/**
 * The CI regression gate: a current result against a baseline.
 *
 * Order matters. Same-run ratios come first: V3 over V2 is measured in rounds
 * that interleave the variants on one machine, so the machine cancels out and
 * the check means the same on a laptop and a CI runner. Absolute figures
 * (throughput, p99, CPU per response) come second: they compare two runs, maybe
 * on two machines, and are only as good as the machines are quiet.
 *
 * Noise: a check is "unreliable" when the run's own round-to-round spread is
 * as large as the limit (a regression of the limit's size could hide in it) or
 * when a breach is smaller than that spread. Unreliable breaches warn instead
 * of failing unless `strict` is set, and the verdict table says which checks
 * were unreliable and why.
 */
import { UsageError } from '../protocol/errors.js';
import { fmtInt, fmtNum, fmtSignedPct, fmtUs } from './format.js';
import { variantsOf } from './load.js';
import { mdTable } from './markdown.js';
import type { Comparison, PagestreamResult, RoundFigures, VariantName } from './result.js';

export interface GateThresholds {
  /** Percent: current throughput may be at most this much below the baseline's. */
  maxThroughputDrop: number;
  /** Percent: current p99 may be at most this much above the baseline's. */
  maxP99Rise: number;
  /** Percent: client CPU per response may rise at most this much. */
  maxCpuPerResponseRise: number;
  /** Percent: V3 throughput may be at most this much below V2's in the same run. */
  maxV3Overhead: number;
  /** Percent: V3 p99 may be at most this much above V2's in the same run. */
  maxV3P99Overhead: number;
  /** Percent: V3 client CPU per response may be at most this much above V2's. */
  maxV3CpuOverhead: number;
  /** Percent: V3 bytes per response may be at most this much above V2's (the echo costs ~0.5% of an 8 KiB page). */
  maxV3BytesOverhead: number;
  /** Responses that did not answer their request; any more fails. */
  maxMismatches: number;
  /** Percent of requests answered with an error. */
  maxErrorRate: number;
  /** Unreliable (noisy) breaches fail too, instead of warning. */
  strict: boolean;
}

export const DEFAULT_THRESHOLDS: GateThresholds = {
  maxThroughputDrop: 5,
  maxP99Rise: 10,
  maxCpuPerResponseRise: 5,
  maxV3Overhead: 2,
  maxV3P99Overhead: 10,
  maxV3CpuOverhead: 5,
  maxV3BytesOverhead: 1,
  maxMismatches: 0,
  maxErrorRate: 0.1,
  strict: false,
};

export type Verdict = 'pass' | 'fail' | 'warn';

export interface GateRow {
  check: string;
  kind: 'same-run ratio' | 'absolute' | 'correctness';
  variant: string;
  baseline: string;
  current: string;
  change: string;
  limit: string;
  verdict: Verdict;
  /** Why the check is unreliable on this machine, if it is. */
  unreliable?: string;
}

export interface GateReport {
  rows: GateRow[];
  notes: string[];
  exitCode: 0 | 1;
}

/** Settings that change what the figures mean; baseline and current must agree on them. */
export const GATE_CONFIG_KEYS = ['protocol', 'pattern', 'connections', 'pipeline', 'rate', 'batch', 'verifyChecksum', 'onMismatch'] as const;

export function checkGateCompatible(base: PagestreamResult, cur: PagestreamResult, baseName: string, curName: string): void {
  const diffs: string[] = [];
  for (const k of GATE_CONFIG_KEYS) {
    const a = base.config[k];
    const b = cur.config[k];
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${k} ${JSON.stringify(a ?? null)} vs ${JSON.stringify(b ?? null)}`);
  }
  const kind = (t: string): string => (t === 'embedded' ? 'embedded emulator' : 'external pageserver');
  if (kind(base.config.target) !== kind(cur.config.target)) diffs.push(`target ${kind(base.config.target)} vs ${kind(cur.config.target)}`);
  if (diffs.length) throw new UsageError(`${curName}: incompatible with baseline ${baseName}: ${diffs.join(', ')}`);
  const common = variantsOf(cur).filter((v) => base.variants[v]);
  if (common.length === 0) throw new UsageError(`${curName}: no protocol variant in common with baseline ${baseName}`);
  for (const [r, n] of [[base, baseName], [cur, curName]] as const) {
    if (r.partial) throw new UsageError(`${n}: partial result (${r.partialReason ?? 'interrupted'}), not fit to gate on`);
  }
}

/** Relative round-to-round spread (max - min) / median, in percent; undefined with fewer than 2 rounds. */
export function roundSpreadPct(rounds: readonly RoundFigures[] | undefined, f: (r: RoundFigures) => number): number | undefined {
  const v = (rounds ?? []).map(f).filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (v.length < 2) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return ((v[v.length - 1]! - v[0]!) / median) * 100;
}

const pct = (x: number): string => `${fmtNum(x, 1)}%`;
/** A difference of two percentages, in percentage points. */
const pts = (x: number, digits = 1): string => `${fmtSignedPct(x, digits).replace(/%$/, '')} pts`;

function absoluteRow(
  check: string, v: VariantName, base: number, cur: number, fmt: (x: number) => string, limitPct: number, worseIsUp: boolean,
  spreads: Array<number | undefined>, strict: boolean,
): GateRow {
  const changePct = (cur / base - 1) * 100;
  const worsening = worseIsUp ? changePct : -changePct;
  const breach = !(worsening <= limitPct);
  const known = spreads.filter((s): s is number => s !== undefined);
  const noise = known.length ? Math.max(...known) : undefined;
  let unreliable: string | undefined;
  if (noise !== undefined && breach && Math.abs(changePct) <= noise) unreliable = `the change is within the round-to-round spread (${pct(noise)})`;
  else if (noise !== undefined && !breach && noise >= limitPct) unreliable = `round-to-round spread ${pct(noise)} ≥ limit: a regression of ${pct(limitPct)} could hide in the noise`;
  const verdict: Verdict = !breach ? 'pass' : unreliable && !strict ? 'warn' : 'fail';
  return {
    check, kind: 'absolute', variant: v, baseline: fmt(base), current: fmt(cur), change: fmtSignedPct(changePct),
    limit: `${worseIsUp ? '≤ +' : '≥ -'}${fmtNum(limitPct, 1)}%`, verdict, ...(unreliable ? { unreliable } : {}),
  };
}

/**
 * A same-run ratio check: the overhead (as a percentage) must stay within the
 * limit. The per-round ratios (min … max) decide reliability: if some rounds
 * pass and some fail, the spread straddles the limit.
 */
function ratioRow(
  check: string, v: string, baseC: Comparison | undefined, c: Comparison, key: 'throughputRatio' | 'p99Ratio' | 'cpuPerResponseRatio',
  limitPct: number, worseIsUp: boolean, strict: boolean,
): GateRow | undefined {
  const ratio = c[key];
  if (ratio === undefined || !Number.isFinite(ratio)) return undefined;
  const overhead = (worseIsUp ? ratio - 1 : 1 - ratio) * 100;
  const breach = !(overhead <= limitPct);
  const sp = c.spread?.[key];
  let unreliable: string | undefined;
  if (sp) {
    const o1 = (worseIsUp ? sp.min - 1 : 1 - sp.max) * 100; // best round
    const o2 = (worseIsUp ? sp.max - 1 : 1 - sp.min) * 100; // worst round
    if (o1 <= limitPct && o2 > limitPct) unreliable = `per-round overhead ${fmtSignedPct(o1)} … ${fmtSignedPct(o2)} straddles the limit`;
  }
  const verdict: Verdict = !breach ? 'pass' : unreliable && !strict ? 'warn' : 'fail';
  const b = baseC?.[key];
  const fmtO = (x: number): string => `${fmtSignedPct((worseIsUp ? x - 1 : 1 - x) * 100)} (${x.toFixed(3)})`;
  return {
    check, kind: 'same-run ratio', variant: v, baseline: b !== undefined && Number.isFinite(b) ? fmtO(b) : '–', current: fmtO(ratio),
    change: b !== undefined && Number.isFinite(b) ? pts((worseIsUp ? ratio - b : b - ratio) * 100) : '–',
    limit: `overhead ≤ ${fmtNum(limitPct, 1)}%`, verdict, ...(unreliable ? { unreliable } : {}),
  };
}

export function evaluateGate(base: PagestreamResult, cur: PagestreamResult, t: GateThresholds): GateReport {
  const rows: GateRow[] = [];
  const notes: string[] = [];
  // 1. Same-run ratios: machine-independent.
  for (const v of ['v3', 'v3-noverify'] as const) {
    const c = cur.comparison?.[v];
    if (!c) continue;
    const bc = base.comparison?.[v];
    const push = (r: GateRow | undefined): void => void (r && rows.push(r));
    push(ratioRow(`${v} throughput overhead vs v2`, v, bc, c, 'throughputRatio', t.maxV3Overhead, false, t.strict));
    push(ratioRow(`${v} p99 overhead vs v2`, v, bc, c, 'p99Ratio', t.maxV3P99Overhead, true, t.strict));
    push(ratioRow(`${v} CPU/response overhead vs v2`, v, bc, c, 'cpuPerResponseRatio', t.maxV3CpuOverhead, true, t.strict));
    const cv = cur.variants[v];
    const c2 = cur.variants.v2;
    if (cv && c2 && c2.responseFrameBytes > 0) {
      // Bytes per response are counted, not timed: no noise, so never unreliable.
      const d = (cv.responseFrameBytes / c2.responseFrameBytes - 1) * 100;
      const bv = base.variants[v];
      const b2 = base.variants.v2;
      const bd = bv && b2 && b2.responseFrameBytes > 0 ? (bv.responseFrameBytes / b2.responseFrameBytes - 1) * 100 : undefined;
      rows.push({
        check: `${v} bytes/response overhead vs v2`, kind: 'same-run ratio', variant: v,
        baseline: bd !== undefined ? `${fmtSignedPct(bd, 2)} (${fmtNum(bv!.responseFrameBytes - b2!.responseFrameBytes, 1)} B)` : '–',
        current: `${fmtSignedPct(d, 2)} (${fmtNum(cv.responseFrameBytes - c2.responseFrameBytes, 1)} B)`,
        change: bd !== undefined ? pts(d - bd, 2) : '–', limit: `≤ ${fmtNum(t.maxV3BytesOverhead, 1)}%`,
        verdict: d <= t.maxV3BytesOverhead ? 'pass' : 'fail',
      });
    }
  }
  // 2. Correctness: never noisy.
  for (const v of variantsOf(cur)) {
    const x = cur.variants[v]!;
    rows.push({ check: 'mismatches', kind: 'correctness', variant: v, baseline: base.variants[v] ? fmtInt(base.variants[v]!.mismatches) : '–', current: fmtInt(x.mismatches), change: '', limit: `≤ ${fmtInt(t.maxMismatches)}`, verdict: x.mismatches <= t.maxMismatches ? 'pass' : 'fail' });
    const rate = x.responses + x.errors > 0 ? (x.errors / (x.responses + x.errors)) * 100 : 0;
    const b = base.variants[v];
    const brate = b && b.responses + b.errors > 0 ? (b.errors / (b.responses + b.errors)) * 100 : undefined;
    rows.push({ check: 'error rate', kind: 'correctness', variant: v, baseline: brate !== undefined ? `${fmtNum(brate, 3)}%` : '–', current: `${fmtNum(rate, 3)}%`, change: '', limit: `≤ ${fmtNum(t.maxErrorRate, 3)}%`, verdict: rate <= t.maxErrorRate ? 'pass' : 'fail' });
  }
  // 3. Absolute figures against the baseline.
  const common = variantsOf(cur).filter((v) => base.variants[v]);
  for (const v of common) {
    const b = base.variants[v]!;
    const c = cur.variants[v]!;
    rows.push(absoluteRow('throughput', v, b.throughputRps, c.throughputRps, (x) => `${fmtInt(x)}/s`, t.maxThroughputDrop, false,
      [roundSpreadPct(b.rounds, (r) => r.throughputRps), roundSpreadPct(c.rounds, (r) => r.throughputRps)], t.strict));
    rows.push(absoluteRow('p99 latency', v, b.latencyUs.p99, c.latencyUs.p99, fmtUs, t.maxP99Rise, true,
      [roundSpreadPct(b.rounds, (r) => r.p99Us), roundSpreadPct(c.rounds, (r) => r.p99Us)], t.strict));
    if (b.cpu?.perResponseUs > 0 && c.cpu?.perResponseUs > 0) {
      rows.push(absoluteRow('CPU/response', v, b.cpu.perResponseUs, c.cpu.perResponseUs, (x) => `${fmtNum(x, 2)} µs`, t.maxCpuPerResponseRise, true,
        [roundSpreadPct(b.rounds, (r) => r.cpuPerResponseUs), roundSpreadPct(c.rounds, (r) => r.cpuPerResponseUs)], t.strict));
    }
  }
  for (const v of variantsOf(base)) if (!cur.variants[v]) notes.push(`variant ${v} is in the baseline but not in the current result: not compared`);
  if (base.cpuModel !== cur.cpuModel || base.cpus !== cur.cpus) {
    notes.push(`different machines (baseline: ${base.cpus} × ${base.cpuModel ?? '?'}; current: ${cur.cpus} × ${cur.cpuModel ?? '?'}): absolute figures compare machines as much as code; the same-run ratios do not`);
  }
  if (cur.saturation?.clientLimited) notes.push(`the current run was limited by the load generator (${cur.saturation.reasons.join('; ')}): absolute figures describe the client`);
  if (base.saturation?.clientLimited) notes.push(`the baseline run was limited by the load generator: absolute figures describe the client`);
  const unreliable = rows.filter((r) => r.unreliable);
  if (unreliable.length) notes.push(`${unreliable.length} check(s) are unreliable on this machine (see the last column)${t.strict ? '; --strict: noisy breaches fail' : '; noisy breaches warn instead of failing (use --strict to fail them)'}`);
  return { rows, notes, exitCode: rows.some((r) => r.verdict === 'fail') ? 1 : 0 };
}

const ICON: Record<Verdict, string> = { pass: '✅ pass', fail: '❌ FAIL', warn: '⚠️ warn' };

export function renderGateMarkdown(rep: GateReport, baseName: string, curName: string): string {
  const fails = rep.rows.filter((r) => r.verdict === 'fail').length;
  const warns = rep.rows.filter((r) => r.verdict === 'warn').length;
  const head = fails ? `❌ regression: ${fails} check(s) failed` : warns ? `✅ pass, with ${warns} unreliable breach(es) as warnings` : '✅ pass';
  const lines = [
    `## pagestream-bench gate: ${head}`,
    '',
    `Current \`${curName}\` against baseline \`${baseName}\`. Same-run ratios (V3 over V2, machine-independent) first, absolute figures second.`,
    '',
    mdTable(
      ['check', 'kind', 'variant', 'baseline', 'current', 'change', 'limit', 'verdict', 'reliability'],
      rep.rows.map((r) => [r.check, r.kind, r.variant, r.baseline, r.current, r.change, r.limit, ICON[r.verdict], r.unreliable ? `unreliable: ${r.unreliable}` : 'ok']),
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  ];
  if (rep.notes.length) lines.push('', ...rep.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

/** Option names (kebab, as on the command line) to threshold keys. */
export const THRESHOLD_OPTIONS: ReadonlyArray<[string, keyof GateThresholds]> = [
  ['max-throughput-drop', 'maxThroughputDrop'],
  ['max-p99-rise', 'maxP99Rise'],
  ['max-cpu-per-response-rise', 'maxCpuPerResponseRise'],
  ['max-v3-overhead', 'maxV3Overhead'],
  ['max-v3-p99-overhead', 'maxV3P99Overhead'],
  ['max-v3-cpu-overhead', 'maxV3CpuOverhead'],
  ['max-v3-bytes-overhead', 'maxV3BytesOverhead'],
  ['max-mismatches', 'maxMismatches'],
  ['max-error-rate', 'maxErrorRate'],
  ['strict', 'strict'],
];

/**
 * The config-file form: a JSON object whose keys are the option names
 * (`"max-p99-rise": "10%"`) or their camelCase (`"maxP99Rise": 10`).
 */
export function parseGateConfig(text: string, name: string): Partial<GateThresholds> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${name}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${name}: expected a JSON object of thresholds, e.g. {"max-p99-rise": "10%"}`);
  const out: Partial<GateThresholds> = {};
  for (const [k, raw] of Object.entries(doc)) {
    const entry = THRESHOLD_OPTIONS.find(([kebab, camel]) => k === kebab || k === camel);
    if (!entry) throw new UsageError(`${name}: unknown threshold "${k}" (known: ${THRESHOLD_OPTIONS.map(([o]) => o).join(', ')})`);
    const key = entry[1];
    if (key === 'strict') {
      if (typeof raw !== 'boolean') throw new UsageError(`${name}: "${k}" must be true or false`);
      out.strict = raw;
      continue;
    }
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*%?\s*$/.test(raw) ? Number(raw.trim().replace(/%$/, '')) : NaN;
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name}: "${k}" must be a non-negative number or percentage like "5%", got ${JSON.stringify(raw)}`);
    out[key] = n;
  }
  return out;
}
