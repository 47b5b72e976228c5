/**
 * The `sweep` field of a result file (result.ts `PagestreamResult.sweep`),
 * schema `pagestream-bench.sweep/v1`. Additive to `pagestream-bench.result/v1`.
 */
import type { VariantName } from '../report/result.js';
import type { Slo, SloKey } from './slo.js';
import type { SweepStepPlan } from './plan.js';

export type LatencyFigures = Partial<Record<SloKey, number>> & { p50: number; p99: number };

/** What one variant measured at one step. */
export interface StepMeasurement {
  achievedRps: number;
  responses: number;
  errors: number;
  mismatches: number;
  durationS: number;
  /** Closed loop: from actual send. Open loop: from intended send (coordinated-omission correct). */
  latencyUs: LatencyFigures;
  /** Open loop: from actual send. */
  serviceTimeUs?: LatencyFigures;
  behindSchedule?: number;
  /** Highest event-loop utilisation over the load generator's workers (0..1). */
  maxWorkerElu: number;
  clientCpuPerResponseUs: number;
  /** The run's own verdict (ELU > 90 %), when it gave one. */
  runSaturation?: { clientLimited: boolean; reasons: string[] };
}

export type Limiter = 'none' | 'server' | 'client';

export interface StepVerdict {
  meetsSlo: boolean;
  violations: string[];
  /** Rate mode: achieved >= (1 - tolerance) × offered. Shape mode: throughput still scaled with concurrency. */
  keepsUp: boolean;
  limitedBy: Limiter;
  reason?: string;
}

export interface SweepStep extends SweepStepPlan {
  /** Why earlier attempts at this step failed, when it was measured again (--retries). */
  retried?: string[];
  variants: Partial<Record<VariantName, StepMeasurement & { verdict?: StepVerdict }>>;
}

export interface SweepPoint {
  step: number;
  offered: number;
  achievedRps: number;
  latencyUs: LatencyFigures;
}

export interface VariantSweepSummary {
  /** Highest step (from the bottom, before the first failing step) that met every objective and kept up. */
  maxSustainable: SweepPoint | null;
  /** The knee: the step with the highest "power" (throughput / latency of the first objective's percentile), Kleinrock's optimal operating point. */
  knee: SweepPoint | null;
  /** True when the load generator, not the server, limited a step (see reasons). */
  clientLimited: boolean;
  reasons: string[];
  suggestion?: string;
  /** One sentence for the table and the report. */
  conclusion: string;
}

export interface SweepSummary {
  schema: 'pagestream-bench.sweep/v1';
  mode: 'rate' | 'shape';
  slo: Slo[];
  /** Rate mode: a step keeps up when achieved >= (1 - tolerance) × offered. */
  tolerance: number;
  /** Steps skipped after this many consecutive failing steps. */
  stoppedEarlyAfterStep?: number;
  steps: SweepStep[];
  variants: Partial<Record<VariantName, VariantSweepSummary>>;
  /** Path of the HTML plot, when written. */
  html?: string;
  /**
   * Max sustainable achieved responses/s of `v3` and `v3-noverify` over `v2`
   * (when each has one): what the V3 echo costs in capacity.
   */
  capacityVsV2?: Partial<Record<'v3' | 'v3-noverify', number>>;
}
