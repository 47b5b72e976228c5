/**
 * Synthetic sweep steps from a closed-form model, for testing the analysis
 * without a server: a server of capacity `capacity` requests/s with service
 * time `serviceUs`, offered an open-loop rate r. Below capacity latency stays
 * at the service time; above it the backlog grows for the whole window, so
 * latency climbs with (r - capacity) and responses/s stay at the capacity.
 */
import type { StepMeasurement, SweepStep } from '../../../src/sweep/types.js';

export interface ModelOptions {
  capacity: number;
  serviceUs: number;
  durationS?: number;
  /** A client that cannot send faster than this (responses/s), service time unaffected. */
  clientCap?: number;
  elu?: (rate: number) => number;
}

export function modelMeasurement(rate: number, o: ModelOptions): StepMeasurement {
  const d = o.durationS ?? 2;
  const clientCap = o.clientCap ?? Infinity;
  const sent = Math.min(rate, clientCap);
  const achieved = Math.min(sent, o.capacity);
  // Backlog at the end of the window (requests), and the wait it adds.
  const backlog = Math.max(0, sent - o.capacity) * d;
  const waitUs = (backlog / o.capacity) * 1e6;
  // A client that falls behind its schedule sees the lag in CO-correct latency too.
  const lagUs = rate > clientCap ? ((rate - clientCap) * d / rate) * 1e6 : 0;
  const base = o.serviceUs;
  const lat = (f: number): number => base * f + waitUs * Math.min(1, f / 1.2) + lagUs * Math.min(1, f / 1.2);
  const service = (f: number): number => base * f + waitUs * Math.min(1, f / 1.2);
  return {
    achievedRps: achieved,
    responses: Math.round(achieved * d),
    errors: 0,
    mismatches: 0,
    durationS: d,
    latencyUs: { p50: lat(1), p90: lat(1.05), p99: lat(1.1), p999: lat(1.2), max: lat(1.3), mean: lat(1) },
    serviceTimeUs: { p50: service(1), p90: service(1.05), p99: service(1.1), p999: service(1.2), max: service(1.3), mean: service(1) },
    behindSchedule: rate > clientCap ? Math.round((rate - clientCap) * d) : 0,
    maxWorkerElu: o.elu ? o.elu(rate) : 0.3,
    clientCpuPerResponseUs: 1.5,
  };
}

export function rateSweep(rates: number[], o: ModelOptions): SweepStep[] {
  return rates.map((rate, index) => ({ index, rate, connections: 4, pipeline: 32, variants: { v3: modelMeasurement(rate, o) } }));
}
