/** results/bench-ceiling.json (`pagestream-bench.ceiling/v1`). */
import type { ArmRound } from './child-arm.js';
import type { Spread } from './stats.js';

export interface ArmSummary {
  label: string;
  rounds: ArmRound[];
  throughputRps: Spread;
  clientCpuPerResponseUs: Spread;
  serverCpuPerResponseUs: Spread;
  failures?: string[];
  /** Arm-specific extras (e.g. the pagestream arm's own saturation verdict). */
  extra?: Record<string, unknown>;
}

export interface CeilingTarget {
  what: string;
  ratio: string;
  op: '<=' | '>=';
  limit: number;
  measured: number | null;
  met: boolean | null;
}

export interface CeilingResult {
  schema: 'pagestream-bench.ceiling/v1';
  command: string;
  startedAt: string;
  finishedAt: string;
  node: string;
  cpus: number;
  cpuModel: string;
  loadAverage: number[];
  config: { connections: number; pipeline: number; rounds: number; durationS: number; warmupS: number; arms: string[]; emulatorArgs: string[]; rawPages: number; rawSplit: boolean; /** Clients pinned to CPU 0, servers to CPU 1 (--pin). */ pinned?: boolean };
  arms: Record<string, ArmSummary>;
  unavailable?: Record<string, string>;
  /** Medians over rounds of the per-round ratios; null when an arm is missing. */
  ratios: Record<string, number | null>;
  /** The same ratios with min–max and the per-round values. */
  spreads: Record<string, Spread | undefined>;
  targets: CeilingTarget[];
}
