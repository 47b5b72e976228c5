/**
 * HdrHistogram interval log (format version 1.3, as written by HdrHistogram's
 * HistogramLogWriter and read by HistogramLogProcessor / HistogramLogAnalyzer):
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1795773600.000 (seconds since epoch), 2026-11-21T10:00:00.000Z]
 *   #[BaseTime: 1795773600.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   Tag=v2,0.000,1.000,0.812,HISTFAAAA…
 *
 * Timestamps are seconds relative to BaseTime (the run's start); Interval_Max
 * is in milliseconds (values are microseconds, divided by 1000, the usual
 * "max value unit ratio"); one line per second per variant, sorted by time so
 * range queries in log readers work; the tag is the variant name.
 */
import { decodeHistogram } from './histo.js';
import { writeFileAtomic } from './atomic.js';
import { VARIANT_NAMES } from './result.js';
import type { PagestreamResult } from './result.js';
import { UsageError } from '../protocol/errors.js';

export function renderHlog(result: PagestreamResult): string {
  const iv = result.intervals;
  if (!iv || !VARIANT_NAMES.some((v) => (iv[v] ?? []).length > 0)) {
    throw new UsageError('hlog: the result has no per-second interval histograms ("intervals")');
  }
  const startMs = Date.parse(result.startedAt);
  const base = (startMs / 1000).toFixed(3);
  const lines: string[] = [
    `#[Logged with ${result.tool?.name ?? 'pagestream-bench'} ${result.tool?.version ?? ''}; values in microseconds, Interval_Max in milliseconds]`,
    '#[Histogram log format version 1.3]',
    `#[StartTime: ${base} (seconds since epoch), ${new Date(startMs).toISOString()}]`,
    `#[BaseTime: ${base} (seconds since epoch)]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
  ];
  const rows: Array<{ t: number; order: number; line: string }> = [];
  VARIANT_NAMES.forEach((v, order) => {
    for (const i of iv[v] ?? []) {
      const h = decodeHistogram(i.histogram);
      rows.push({ t: i.startS, order, line: `Tag=${v},${i.startS.toFixed(3)},${i.durationS.toFixed(3)},${(h.maxValue / 1000).toFixed(3)},${i.histogram}` });
    }
  });
  rows.sort((a, b) => a.t - b.t || a.order - b.order);
  for (const r of rows) lines.push(r.line);
  return lines.join('\n') + '\n';
}

/** Write the interval log of a result to `path` (atomically). */
export function writeHlog(result: PagestreamResult, path: string): void {
  writeFileAtomic(path, renderHlog(result));
}
