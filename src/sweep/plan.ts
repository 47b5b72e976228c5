/**
 * The steps of a sweep: offered open-loop rates from --rate-start to
 * --rate-end (linear or geometric), or closed-loop load shapes
 * connections × pipeline (`--shapes 1x1,4x1,4x8,4x32`).
 */
import { UsageError } from '../protocol/errors.js';

export interface SweepStepPlan {
  index: number;
  /** Open-loop offered load (requests/s); undefined in shape mode. */
  rate?: number;
  connections: number;
  pipeline: number;
}

export function rateSteps(start: number, end: number, steps: number, scale: 'linear' | 'log', connections: number, pipeline: number): SweepStepPlan[] {
  if (!(start > 0)) throw new UsageError('--rate-start: must be > 0');
  if (!(end >= start)) throw new UsageError(`--rate-end: must be >= --rate-start (${start})`);
  if (!(steps >= 1)) throw new UsageError('--steps: must be >= 1');
  if (steps === 1 && end !== start) throw new UsageError('--steps: a sweep from --rate-start to a different --rate-end needs at least 2 steps');
  const out: SweepStepPlan[] = [];
  for (let i = 0; i < steps; i++) {
    const f = steps === 1 ? 0 : i / (steps - 1);
    const r = scale === 'log' ? start * Math.pow(end / start, f) : start + (end - start) * f;
    out.push({ index: i, rate: Math.round(r), connections, pipeline });
  }
  return out;
}

/** `4x1,4x8,8x32` → shapes, in the order given (meant to be increasing concurrency). */
export function shapeSteps(spec: string): SweepStepPlan[] {
  const out: SweepStepPlan[] = [];
  for (const part of spec.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const m = /^(\d+)\s*[x×*]\s*(\d+)$/i.exec(t);
    if (!m) throw new UsageError(`--shapes: ${JSON.stringify(t)} is not <connections>x<pipeline> (e.g. 4x32)`);
    const connections = Number(m[1]);
    const pipeline = Number(m[2]);
    if (connections < 1 || pipeline < 1) throw new UsageError(`--shapes: ${JSON.stringify(t)} needs connections and pipeline >= 1`);
    out.push({ index: out.length, connections, pipeline });
  }
  if (out.length === 0) throw new UsageError('--shapes: no shape given');
  return out;
}

/** Offered load of a step on the x axis of its own mode: rate, or requests in flight. */
export function offeredLoad(s: SweepStepPlan): number {
  return s.rate ?? s.connections * s.pipeline;
}

/** `--rates 1000,1500,1800,2000`: explicit offered rates (increasing), e.g. dense around an expected capacity. */
export function listedRateSteps(spec: string, connections: number, pipeline: number): SweepStepPlan[] {
  const out: SweepStepPlan[] = [];
  for (const part of spec.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const r = Number(t);
    if (!/^\d+(\.\d+)?$/.test(t) || !(r > 0)) throw new UsageError(`--rates: ${JSON.stringify(t)} is not a rate > 0 (requests/s)`);
    if (out.length && r <= out.at(-1)!.rate!) throw new UsageError(`--rates: ${t} is not above the previous rate ${out.at(-1)!.rate}`);
    out.push({ index: out.length, rate: Math.round(r), connections, pipeline });
  }
  if (out.length === 0) throw new UsageError('--rates: no rate given');
  return out;
}
