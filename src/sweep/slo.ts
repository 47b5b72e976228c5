/**
 * Service-level objectives for `sweep`: `--slo p99=1ms`, repeatable, or
 * several at once `--slo p50=200us,p99=1ms`. A step meets the objective when
 * every listed percentile of its (coordinated-omission-correct) latency is at
 * or below its limit.
 */
import { parseDurationS } from '../cli/options.js';
import { UsageError } from '../protocol/errors.js';

/** Latency summary keys an objective may name (result.ts LatencySummaryUs). */
export const SLO_KEYS = ['p50', 'p90', 'p99', 'p999', 'p9999', 'max', 'mean'] as const;
export type SloKey = (typeof SLO_KEYS)[number];

export interface Slo {
  key: SloKey;
  limitUs: number;
}

const ALIASES: Record<string, SloKey> = { 'p99.9': 'p999', 'p99.99': 'p9999', p100: 'max', avg: 'mean' };

/** Parse the values of every `--slo` given; each may hold several `key=duration` pairs. */
export function parseSlos(values: readonly string[]): Slo[] {
  const out: Slo[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim();
      if (t === '') continue;
      const eq = t.indexOf('=');
      if (eq < 0) throw new UsageError(`--slo: ${JSON.stringify(t)} is not <percentile>=<duration> (e.g. p99=1ms)`);
      const rawKey = t.slice(0, eq).trim().toLowerCase();
      const key = (ALIASES[rawKey] ?? rawKey) as SloKey;
      if (!SLO_KEYS.includes(key)) throw new UsageError(`--slo: unknown percentile ${JSON.stringify(rawKey)}; use one of ${SLO_KEYS.join(', ')}`);
      const s = parseDurationS(t.slice(eq + 1));
      if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--slo: ${JSON.stringify(t.slice(eq + 1))} is not a positive duration (e.g. 1ms, 250us)`);
      const limitUs = Math.round(s * 1e9) / 1e3; // whole nanoseconds: 200us is 200, not 199.99999999999997
      const i = out.findIndex((o) => o.key === key);
      if (i >= 0) throw new UsageError(`--slo: ${key} given more than once`);
      out.push({ key, limitUs });
    }
  }
  return out;
}

export function formatSlo(s: Slo): string {
  return `${s.key}<=${formatUs(s.limitUs)}`;
}

export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '—';
  if (us >= 1e6) return `${+(us / 1e6).toFixed(2)}s`;
  if (us >= 1e3) return `${+(us / 1e3).toFixed(2)}ms`;
  return `${+us.toFixed(1)}us`;
}

/** The objectives a latency summary violates, as `p99 3.2ms > 1ms`. */
export function sloViolations(lat: Partial<Record<SloKey, number>>, slos: readonly Slo[]): string[] {
  const v: string[] = [];
  for (const s of slos) {
    const x = lat[s.key];
    if (x === undefined || !Number.isFinite(x)) v.push(`${s.key} not measured`);
    else if (x > s.limitUs) v.push(`${s.key} ${formatUs(x)} > ${formatUs(s.limitUs)}`);
  }
  return v;
}
