/**
 * The terminal table `run` prints on stdout: V2 | V3 | V3-noverify | V3 vs V2,
 * the deltas as median over rounds with their min–max spread.
 */
import type { PagestreamResult, Spread, VariantName, VariantResult } from './result.js';

const HEAD: Record<VariantName, string> = { v2: 'V2', v3: 'V3', 'v3-noverify': 'V3-noverify' };

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const num = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const us = (n: number): string => `${int(n)} us`;
const pct = (r: number | undefined): string => (r === undefined || !Number.isFinite(r) ? '-' : `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`);
const spreadPct = (s: Spread | undefined): string => (s ? ` [${pct(s.min)}..${pct(s.max)}]` : '');
const spreadAbs = (s: Spread | undefined): string => (s ? ` [${s.min >= 0 ? '+' : ''}${s.min.toFixed(2)}..${s.max >= 0 ? '+' : ''}${s.max.toFixed(2)}]` : '');

interface Row {
  label: string;
  cell(v: VariantResult): string;
  delta?: (r: PagestreamResult) => string;
}

const ROWS: Row[] = [
  { label: 'responses', cell: (v) => int(v.responses) },
  { label: 'throughput (resp/s)', cell: (v) => int(v.throughputRps), delta: (r) => pct(r.comparison.v3?.throughputRatio) + spreadPct(r.comparison.v3?.spread?.throughputRatio) },
  { label: 'latency p50', cell: (v) => us(v.latencyUs.p50), delta: (r) => pct(r.comparison.v3?.p50Ratio) + spreadPct(r.comparison.v3?.spread?.p50Ratio) },
  { label: 'latency p90', cell: (v) => us(v.latencyUs.p90) },
  { label: 'latency p99', cell: (v) => us(v.latencyUs.p99), delta: (r) => pct(r.comparison.v3?.p99Ratio) + spreadPct(r.comparison.v3?.spread?.p99Ratio) },
  { label: 'latency p99.9', cell: (v) => us(v.latencyUs.p999) },
  { label: 'latency max', cell: (v) => us(v.latencyUs.max) },
  { label: 'bytes / response frame', cell: (v) => num(v.responseFrameBytes, 1), delta: (r) => {
    const c = r.comparison.v3;
    if (!c) return '-';
    return `${c.bandwidthDeltaPct >= 0 ? '+' : ''}${c.bandwidthDeltaPct.toFixed(2)}%${spreadAbs(c.spread?.bandwidthDeltaPct)}`;
  } },
  { label: 'received (MiB/s)', cell: (v) => num(v.bandwidthMiBps, 1) },
  { label: 'client CPU / response', cell: (v) => `${num(v.cpu.perResponseUs, 3)} us`, delta: (r) => pct(r.comparison.v3?.cpuPerResponseRatio) + spreadPct(r.comparison.v3?.spread?.cpuPerResponseRatio) + (r.comparison.v3?.cpuPerResponseRatioFrom === 'cycles' ? ' paired' : '') },
  { label: 'mismatches', cell: (v) => int(v.mismatches) },
  { label: 'errors', cell: (v) => int(v.errors) },
  { label: 'reconnects', cell: (v) => int(v.reconnects) },
  { label: 'GC / M responses', cell: (v) => num(v.gc.perMillionResponses, 1) },
  { label: 'worker ELU (max)', cell: (v) => `${Math.round(Math.max(0, ...v.eventLoopUtilization) * 100)}%` },
];

export function renderTable(r: PagestreamResult): string {
  const names = (['v2', 'v3', 'v3-noverify'] as VariantName[]).filter((n) => r.variants[n]);
  const withDelta = !!r.comparison.v3;
  const openLoop = names.some((n) => r.variants[n]!.serviceTimeUs);
  const rows: Row[] = [...ROWS];
  if (openLoop) {
    rows.splice(7, 0,
      { label: 'service time p99', cell: (v) => (v.serviceTimeUs ? us(v.serviceTimeUs.p99) : '-') },
      { label: 'send lag p50 / p99', cell: (v) => (v.sendLagUs ? `${us(v.sendLagUs.p50)} / ${us(v.sendLagUs.p99)}` : '-') },
      { label: 'sends behind schedule', cell: (v) => int(v.behindSchedule ?? 0) });
  }
  const server = (v: VariantResult): { cpuPerResponseUs: number } | undefined => (v as VariantResult & { server?: { cpuPerResponseUs: number } }).server;
  if (names.some((n) => server(r.variants[n]!))) {
    const at = rows.findIndex((row) => row.label === 'client CPU / response') + 1;
    rows.splice(at, 0, { label: 'emulator CPU / response', cell: (v) => (server(v) ? `${num(server(v)!.cpuPerResponseUs, 3)} us` : '-') });
  }
  if (r.comparison.v3?.cpuPerResponseRatioFrom === 'cycles') {
    // The CPU delta above is paired cycle by cycle (src/client/paired.ts); the ratio of the cells' totals below it.
    const at = rows.findIndex((row) => row.label === 'client CPU / response') + 1;
    rows.splice(at, 0, { label: '  ratio of totals', cell: () => '', delta: (x) => pct(x.comparison.v3?.cpuPerResponseRatioTotals) + spreadPct(x.comparison.v3?.spread?.cpuPerResponseRatioTotals) });
  }
  if (names.some((n) => r.variants[n]!.undetected !== undefined)) rows.push({ label: 'wrong pages accepted', cell: (v) => int(v.undetected ?? 0) });
  const header = ['', ...names.map((n) => HEAD[n]), ...(withDelta ? ['V3 vs V2 (median [min..max] over rounds)'] : [])];
  const body = rows.map((row) => [row.label, ...names.map((n) => row.cell(r.variants[n]!)), ...(withDelta ? [row.delta ? row.delta(r) : ''] : [])]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  const fmtLine = (line: string[]): string => line.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [fmtLine(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmtLine)];
  const cfg = r.config;
  out.unshift(`pagestream-bench run: ${cfg.target}, ${cfg.connections} conn × ${cfg.pipeline} in flight, ${cfg.rounds} round(s), ${cfg.durationS} s per variant${cfg.interleave === 'slices' && cfg.sliceS ? ` in ${Math.round(cfg.sliceS * 1000)} ms slices` : ''}${cfg.rate ? `, open loop ${cfg.rate} req/s` : ''}${r.partial ? '  [PARTIAL: ' + (r.partialReason ?? 'interrupted') + ']' : ''}`, '');
  const mism = names.filter((n) => r.variants[n]!.mismatches > 0);
  for (const n of mism) {
    const byField = Object.entries(r.variants[n]!.mismatchesByField).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`${HEAD[n]}: ${r.variants[n]!.mismatches} response(s) did not answer their request (${byField})`);
  }
  for (const n of names) {
    const e = Object.entries(r.variants[n]!.errorsByClass).sort((a, b) => b[1] - a[1]).slice(0, 3);
    if (e.length) out.push(`${HEAD[n]} errors: ${e.map(([k, v]) => `${k} ×${v}`).join('; ')}`);
  }
  if (r.saturation?.clientLimited) out.push(`NOTE: ${r.saturation.reasons.join('; ')}${r.saturation.suggestion ? ' — ' + r.saturation.suggestion : ''}`);
  return out.join('\n') + '\n';
}
