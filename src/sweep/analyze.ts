/**
 * Reading a sweep: per step, whether it met the objectives and kept up with the
 * offered load, and what limited it; per variant, the highest sustainable load,
 * the knee, and whether the load generator — not the server — was the limit.
 *
 * Telling client from server when responses/s stop scaling with offered load:
 *  - a saturated SERVER queues requests, so the service time (actual send to
 *    response) grows with the load;
 *  - a saturated CLIENT cannot send on schedule, so responses/s fall behind
 *    the offered rate while the server still answers as fast as at low load
 *    (service time flat), or its workers' event loops are busy (ELU > 90 %).
 */
import type { VariantName } from '../report/result.js';
import type { Slo } from './slo.js';
import { sloViolations, formatUs } from './slo.js';
import { offeredLoad } from './plan.js';
import type { StepMeasurement, StepVerdict, SweepPoint, SweepStep, VariantSweepSummary } from './types.js';

export interface AnalyzeOptions {
  mode: 'rate' | 'shape';
  slo: readonly Slo[];
  /** Rate mode: achieved >= (1 - tolerance) × offered counts as keeping up. */
  tolerance: number;
  /** Worker event-loop utilisation above this means the client was saturated. */
  eluLimit: number;
  /** Service time this many times its low-load baseline means the server is queueing. */
  serviceGrowth: number;
  workers?: number;
}

export const ANALYZE_DEFAULTS: Omit<AnalyzeOptions, 'mode' | 'slo'> = { tolerance: 0.05, eluLimit: 0.9, serviceGrowth: 2 };

const kneeKey = (slo: readonly Slo[]): 'p50' | 'p99' | NonNullable<Slo['key']> => slo[0]?.key ?? 'p99';

/** Judge every step of one variant (in step order); returns the verdicts in the same order. */
export function judgeSteps(steps: readonly SweepStep[], variant: VariantName, o: AnalyzeOptions): Array<StepVerdict | undefined> {
  const ms = steps.map((s) => s.variants[variant]);
  // Baseline service time: the lowest p50 among steps that kept up (low load).
  const serviceP50 = (m: StepMeasurement): number => (m.serviceTimeUs ?? m.latencyUs).p50;
  let baseline = Infinity;
  for (let i = 0; i < steps.length; i++) {
    const m = ms[i];
    if (!m || m.responses === 0) continue;
    const keeps = o.mode === 'rate' ? m.achievedRps >= (1 - o.tolerance) * steps[i]!.rate! : true;
    if (keeps) baseline = Math.min(baseline, serviceP50(m));
  }
  return steps.map((s, i) => {
    const m = ms[i];
    if (!m) return undefined;
    const violations = sloViolations(m.latencyUs, o.slo);
    if (m.errors > 0) violations.push(`${m.errors} errors`);
    if (m.responses === 0) violations.push('no responses');
    let keepsUp: boolean;
    let stall = '';
    if (o.mode === 'rate') {
      keepsUp = m.achievedRps >= (1 - o.tolerance) * s.rate!;
      if (!keepsUp) stall = `responses/s ${m.achievedRps.toFixed(0)} fell behind the offered ${s.rate}/s`;
    } else {
      // Shape mode (closed loop): throughput must grow when concurrency grows.
      // Up to a tenth of the growth in concurrency counts as still scaling.
      const prev = i > 0 ? ms[i - 1] : undefined;
      const f = i > 0 ? offeredLoad(s) / offeredLoad(steps[i - 1]!) : 1;
      keepsUp = !(prev && f >= 1.2 && m.achievedRps < prev.achievedRps * (1 + 0.1 * (f - 1)));
      if (!keepsUp) stall = `responses/s stopped scaling: ${prev!.achievedRps.toFixed(0)} → ${m.achievedRps.toFixed(0)} while in-flight requests grew ×${f.toFixed(1)}`;
    }
    let limitedBy: StepVerdict['limitedBy'] = 'none';
    let reason: string | undefined;
    const runSays = m.runSaturation?.clientLimited === true;
    if (m.maxWorkerElu > o.eluLimit || runSays) {
      limitedBy = 'client';
      reason = `load generator saturated: worker event-loop utilisation ${(m.maxWorkerElu * 100).toFixed(0)} % > ${(o.eluLimit * 100).toFixed(0)} %`;
      if (runSays && !(m.maxWorkerElu > o.eluLimit)) reason = `load generator saturated: ${m.runSaturation!.reasons.join('; ')}`;
      if (stall) reason = `${stall}; ${reason}`;
    } else if (!keepsUp) {
      const sp = serviceP50(m);
      if (o.mode === 'rate' && Number.isFinite(baseline) && sp <= o.serviceGrowth * baseline) {
        limitedBy = 'client';
        reason = `${stall} while the service time stayed flat (p50 ${formatUs(sp)}, ${formatUs(baseline)} at low load): the load generator, not the server, could not keep the schedule`;
      } else {
        limitedBy = 'server';
        reason = Number.isFinite(baseline) ? `${stall}; service time p50 grew from ${formatUs(baseline)} to ${formatUs(sp)}: the server is queueing` : stall;
      }
    } else if (violations.length) {
      limitedBy = 'server';
      reason = `objective missed: ${violations.join(', ')}`;
    }
    return { meetsSlo: violations.length === 0, violations, keepsUp, limitedBy, ...(reason ? { reason } : {}) };
  });
}

function point(s: SweepStep, m: StepMeasurement): SweepPoint {
  return { step: s.index, offered: offeredLoad(s), achievedRps: m.achievedRps, latencyUs: m.latencyUs };
}

/** Summarise one variant: max sustainable load, knee, and who limited the sweep. */
export function summarizeVariant(steps: readonly SweepStep[], variant: VariantName, o: AnalyzeOptions): VariantSweepSummary {
  const verdicts = judgeSteps(steps, variant, o);
  steps.forEach((s, i) => {
    const m = s.variants[variant];
    if (m && verdicts[i]) m.verdict = verdicts[i];
  });
  const idx = steps.map((_, i) => i).filter((i) => steps[i]!.variants[variant] && verdicts[i]);

  // Highest sustainable: walk up from the lowest load and stop at the first
  // failure, so a lucky step above a failing one never counts.
  let best = -1;
  let firstFail = -1;
  for (const i of idx) {
    const v = verdicts[i]!;
    if (v.meetsSlo && v.keepsUp) best = i;
    else {
      firstFail = i;
      break;
    }
  }
  const passAfterFail = firstFail >= 0 && idx.some((i) => i > firstFail && verdicts[i]!.meetsSlo && verdicts[i]!.keepsUp);

  // Knee: maximum power = throughput / latency (Kleinrock). Before saturation
  // throughput grows faster than latency; past it, throughput stalls and
  // latency climbs, so power peaks where the curve bends.
  const key = kneeKey(o.slo);
  let knee = -1;
  let bestPower = -Infinity;
  for (const i of idx) {
    const m = steps[i]!.variants[variant]!;
    const lat = m.latencyUs[key] ?? m.latencyUs.p99;
    if (!(m.responses > 0) || !(lat > 0)) continue;
    const power = m.achievedRps / lat;
    if (power > bestPower) {
      bestPower = power;
      knee = i;
    }
  }

  const clientSteps = idx.filter((i) => verdicts[i]!.limitedBy === 'client');
  const reasons = clientSteps.map((i) => `step ${steps[i]!.index} (${describe(steps[i]!, o.mode)}): ${verdicts[i]!.reason}`);
  const clientLimited = clientSteps.length > 0;
  const maxSustainable = best >= 0 ? point(steps[best]!, steps[best]!.variants[variant]!) : null;
  const kneePoint = knee >= 0 ? point(steps[knee]!, steps[knee]!.variants[variant]!) : null;

  const objective = o.slo.length ? `the objective (${o.slo.map((s) => `${s.key} ≤ ${formatUs(s.limitUs)}`).join(', ')})` : o.mode === 'rate' ? 'the objective (keep up with the offered load)' : 'the objective (throughput still scaling with load)';
  let conclusion: string;
  if (!maxSustainable) conclusion = `no step met ${objective}; lower --rate-start`;
  else if (firstFail < 0) conclusion = `every step up to ${describe(steps[best]!, o.mode)} met ${objective}: the capacity is above the swept range; raise --rate-end`;
  else {
    conclusion = `highest load meeting ${objective}: ${describe(steps[best]!, o.mode)} (${maxSustainable.achievedRps.toFixed(0)} responses/s); it failed at ${describe(steps[firstFail]!, o.mode)}: ${verdicts[firstFail]!.reason ?? verdicts[firstFail]!.violations.join(', ')}`;
    if (verdicts[firstFail]!.limitedBy === 'client') conclusion += ' — the LOAD GENERATOR limited this measurement, so this is a lower bound of the server\'s capacity';
  }
  if (passAfterFail) conclusion += '; a higher step passed again after the first failure (noise? re-run with a longer --duration)';
  const suggestion = clientLimited
    ? `the load generator limited the measurement: add --workers${o.workers ? ` (now ${o.workers})` : ''} if cores are free, or shard the load over hosts (run --shard + merge)`
    : undefined;
  return { maxSustainable, knee: kneePoint, clientLimited, reasons, ...(suggestion ? { suggestion } : {}), conclusion };
}

export function describe(s: { rate?: number; connections: number; pipeline: number }, mode: 'rate' | 'shape'): string {
  return mode === 'rate' ? `${s.rate}/s offered` : `${s.connections}×${s.pipeline} in flight`;
}
