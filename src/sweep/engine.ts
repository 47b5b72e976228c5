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
  /**
   * Measure a failing step again, up to this many times, before it counts as
   * failed. On a shared machine a step can fail because another process took
   * the CPU for a moment; a load the server truly cannot sustain fails again.
   */
  retries?: number;
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
    const retried: string[] = [];
    let step: SweepStep;
    let oks: Map<VariantName, boolean>;
    for (let attempt = 0; ; attempt++) {
      const variants = await measure(plan);
      step = { ...plan, variants, ...(retried.length ? { retried: [...retried] } : {}) };
      oks = new Map();
      const failed: string[] = [];
      for (const v of o.variants) {
        const m = variants[v];
        if (!m) continue;
        const verdict = judgeSteps([...steps, step], v, o).at(-1);
        const ok = verdict ? verdict.meetsSlo && verdict.keepsUp : false;
        oks.set(v, ok);
        if (!ok) failed.push(`${v}: ${verdict?.reason ?? verdict?.violations.join(', ') ?? 'failed'}`);
        o.log?.(
          `sweep: step ${plan.index} ${describe(plan, o.mode)} ${v}${attempt ? ` (again, ${attempt + 1})` : ''}: ${m.achievedRps.toFixed(0)} responses/s, p50 ${(m.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(m.latencyUs.p99 / 1000).toFixed(2)} ms${ok ? '' : ` — ${verdict?.reason ?? verdict?.violations.join(', ') ?? 'failed'}`}`,
        );
      }
      if (failed.length === 0 || attempt >= (o.retries ?? 0) || o.signal?.aborted) break;
      retried.push(failed.join('; '));
    }
    steps.push(step);
    for (const v of o.variants) if (oks.has(v)) failStreak.set(v, oks.get(v) ? 0 : (failStreak.get(v) ?? 0) + 1);
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
  const base = summary.variants.v2?.maxSustainable?.achievedRps;
  if (base) {
    const c: NonNullable<SweepSummary['capacityVsV2']> = {};
    for (const v of ['v3', 'v3-noverify'] as const) {
      const x = summary.variants[v]?.maxSustainable?.achievedRps;
      if (x) c[v] = x / base;
    }
    if (Object.keys(c).length) summary.capacityVsV2 = c;
  }
  return summary;
}
