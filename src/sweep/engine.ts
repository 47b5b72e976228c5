/**
 * The sweep loop: measure each planned step in turn (lowest load first),
 * judge it, and stop early once every variant has failed `stopAfter`
 * consecutive steps (past the knee more load only adds queueing). The
 * measurement itself is injected (measure-run.ts calls `runBenchmark`), so the
 * loop and its verdicts are testable on synthetic steps.
 */
import type { VariantName } from '../report/result.js';
import { summarizeVariant, judgeSteps, describe, type AnalyzeOptions } from './analyze.js';
import type { SweepStepPlan } from './plan.js';
import type { Slo } from './slo.js';
import type { StepMeasurement, SweepStep, SweepSummary } from './types.js';

export interface SweepEngineOptions extends AnalyzeOptions {
  plan: SweepStepPlan[];
  variants: VariantName[];
  slo: Slo[];
  /** Stop after this many consecutive failing steps for every variant; 0 = measure every step. */
  stopAfter: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export type MeasureStep = (step: SweepStepPlan) => Promise<Partial<Record<VariantName, StepMeasurement>>>;

export async function runSweep(o: SweepEngineOptions, measure: MeasureStep): Promise<SweepSummary> {
  const steps: SweepStep[] = [];
  let stoppedEarlyAfterStep: number | undefined;
  const failStreak = new Map<VariantName, number>();
  for (const plan of o.plan) {
    if (o.signal?.aborted) break;
    const variants = await measure(plan);
    const step: SweepStep = { ...plan, variants };
    steps.push(step);
    for (const v of o.variants) {
      const m = variants[v];
      if (!m) continue;
      const verdict = judgeSteps(steps, v, o).at(-1);
      const ok = verdict ? verdict.meetsSlo && verdict.keepsUp : false;
      failStreak.set(v, ok ? 0 : (failStreak.get(v) ?? 0) + 1);
      o.log?.(
        `sweep: step ${plan.index} ${describe(plan, o.mode)} ${v}: ${m.achievedRps.toFixed(0)} responses/s, p50 ${(m.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(m.latencyUs.p99 / 1000).toFixed(2)} ms${ok ? '' : ` — ${verdict?.reason ?? verdict?.violations.join(', ') ?? 'failed'}`}`,
      );
    }
    if (o.stopAfter > 0 && o.variants.every((v) => (failStreak.get(v) ?? 0) >= o.stopAfter) && plan !== o.plan.at(-1)) {
      stoppedEarlyAfterStep = plan.index;
      break;
    }
  }
  const summary: SweepSummary = {
    schema: 'pagestream-bench.sweep/v1',
    mode: o.mode,
    slo: o.slo,
    tolerance: o.tolerance,
    ...(stoppedEarlyAfterStep !== undefined ? { stoppedEarlyAfterStep } : {}),
    steps,
    variants: {},
  };
  for (const v of o.variants) if (steps.some((s) => s.variants[v])) summary.variants[v] = summarizeVariant(steps, v, o);
  return summary;
}
