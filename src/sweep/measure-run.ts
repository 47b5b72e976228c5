/**
 * One sweep step = one `runBenchmark` (the CO-correct open-loop mode of `run`
 * when the step has a rate; closed loop for load shapes), against a target
 * started once for the whole sweep so every step sees the same server.
 */
import type { PagestreamResult, VariantName, VariantResult, LatencySummaryUs } from '../report/result.js';
import type { RunOptions } from '../client/options.js';
import type { SweepStepPlan } from './plan.js';
import type { LatencyFigures, StepMeasurement } from './types.js';

type RunBenchmark = (o: RunOptions) => Promise<PagestreamResult>;

function figures(l: LatencySummaryUs): LatencyFigures {
  return {
    p50: l.p50,
    p90: l.p90,
    p99: l.p99,
    p999: l.p999,
    ...(l.p9999 !== undefined ? { p9999: l.p9999 } : {}),
    max: l.max,
    mean: l.mean,
  };
}

/** The figures a sweep judges, from one variant of a run's result. */
export function stepFromVariant(v: VariantResult, saturation?: PagestreamResult['saturation']): StepMeasurement {
  const elu = v.eventLoopUtilization ?? [];
  return {
    achievedRps: v.throughputRps,
    responses: v.responses,
    errors: v.errors,
    mismatches: v.mismatches,
    durationS: v.durationS,
    latencyUs: figures(v.latencyUs),
    ...(v.serviceTimeUs ? { serviceTimeUs: figures(v.serviceTimeUs) } : {}),
    ...(v.behindSchedule !== undefined ? { behindSchedule: v.behindSchedule } : {}),
    maxWorkerElu: elu.length ? Math.max(...elu) : 0,
    clientCpuPerResponseUs: v.cpu.perResponseUs,
    ...(saturation ? { runSaturation: { clientLimited: saturation.clientLimited, reasons: saturation.reasons } } : {}),
  };
}

export function stepFromResult(r: PagestreamResult, variants: readonly VariantName[]): Partial<Record<VariantName, StepMeasurement>> {
  const out: Partial<Record<VariantName, StepMeasurement>> = {};
  for (const name of variants) {
    const v = r.variants[name];
    if (v) out[name] = stepFromVariant(v, r.saturation);
  }
  return out;
}

/** RunOptions for one step: the base options with this step's load. */
export function stepRunOptions(base: RunOptions, step: SweepStepPlan): RunOptions {
  const o: RunOptions = { ...base, connections: step.connections, pipeline: step.pipeline };
  if (step.rate !== undefined) o.rate = step.rate;
  else delete o.rate;
  return o;
}

export async function loadRunBenchmark(): Promise<RunBenchmark> {
  const mod = (await import('../client/run.js' as string)) as { runBenchmark?: RunBenchmark };
  if (typeof mod.runBenchmark !== 'function') throw new Error('src/client/run.ts has no runBenchmark');
  return mod.runBenchmark;
}

/** Measure a step; keeps the step's full result (the caller may keep the one at max sustainable). */
export function runMeasurer(base: RunOptions, variants: readonly VariantName[], runBenchmark: RunBenchmark, keep: (step: SweepStepPlan, r: PagestreamResult) => void) {
  return async (step: SweepStepPlan): Promise<Partial<Record<VariantName, StepMeasurement>>> => {
    const r = await runBenchmark(stepRunOptions(base, step));
    keep(step, r);
    return stepFromResult(r, variants);
  };
}
