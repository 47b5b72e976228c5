/**
 * Neon pagebench's JSON summary, so dashboards that ingest pagebench output can
 * ingest ours. Shape (pageserver/pagebench/src/util/request_stats.rs, `Output`):
 *   { "request_count": u64, "latency_mean": "<humantime>",
 *     "latency_percentiles": { "p95": "<humantime>", "p99": …, "p99.9": …, "p99.99": … } }
 * pagebench records whole microseconds into an HdrHistogram(1, 1e9, 3) and
 * reports value_at_percentile, and the mean truncated to whole microseconds;
 * we read the same from our histogram (also microseconds, 3 digits).
 *
 * Known difference, on purpose: pagebench's LatencyPercentiles serializer
 * writes `latency_percentiles[0]` (the p95) under every key, so its p99,
 * p99.9 and p99.99 all repeat the p95. We write the real percentiles.
 */
import { decodeHistogram } from './histo.js';
import type { PagestreamResult, VariantName } from './result.js';
import { UsageError } from '../protocol/errors.js';

export interface PagebenchSummary {
  request_count: number;
  latency_mean: string;
  latency_percentiles: { p95: string; p99: string; 'p99.9': string; 'p99.99': string };
}

/**
 * humantime::format_duration: non-zero units largest first, separated by a
 * space: years, months, days (plural with "s" above 1), h, m, s, ms, us, ns;
 * "0s" for zero. Input in nanoseconds (integer).
 */
export function formatHumantime(nanos: number): string {
  const ns = Math.max(0, Math.round(nanos));
  if (ns === 0) return '0s';
  const secs = Math.floor(ns / 1e9);
  const sub = ns - secs * 1e9;
  const parts: string[] = [];
  const plural = (v: number, name: string): void => {
    if (v > 0) parts.push(`${v}${name}${v > 1 ? 's' : ''}`);
  };
  const item = (v: number, name: string): void => {
    if (v > 0) parts.push(`${v}${name}`);
  };
  const years = Math.floor(secs / 31_557_600);
  const ydays = secs % 31_557_600;
  const months = Math.floor(ydays / 2_630_016);
  const mdays = ydays % 2_630_016;
  const days = Math.floor(mdays / 86400);
  const daySecs = mdays % 86400;
  plural(years, 'year');
  plural(months, 'month');
  plural(days, 'day');
  item(Math.floor(daySecs / 3600), 'h');
  item(Math.floor((daySecs % 3600) / 60), 'm');
  item(daySecs % 60, 's');
  item(Math.floor(sub / 1e6), 'ms');
  item(Math.floor(sub / 1e3) % 1000, 'us');
  item(sub % 1000, 'ns');
  return parts.join(' ');
}

export function toPagebenchSummary(result: PagestreamResult, variant: VariantName): PagebenchSummary {
  const vr = result.variants[variant];
  if (!vr) throw new UsageError(`pagebench format: the result has no variant "${variant}" (has ${Object.keys(result.variants).join(', ')})`);
  const h = decodeHistogram(vr.latencyUs.histogram);
  const at = (p: number): string => formatHumantime(h.getValueAtPercentile(p) * 1000);
  return {
    request_count: h.totalCount,
    // Duration::from_micros(mean as u64): whole microseconds, truncated.
    latency_mean: formatHumantime(Math.floor(h.totalCount ? h.mean : 0) * 1000),
    latency_percentiles: { p95: at(95), p99: at(99), 'p99.9': at(99.9), 'p99.99': at(99.99) },
  };
}
