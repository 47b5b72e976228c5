/** The sweep's terminal table (stdout). */
import type { VariantName } from '../report/result.js';
import { describe } from './analyze.js';
import { formatUs } from './slo.js';
import type { SweepSummary } from './types.js';

export function renderSweepTable(s: SweepSummary): string {
  const L: string[] = [];
  const variants = Object.keys(s.variants) as VariantName[];
  for (const v of variants) {
    const sum = s.variants[v]!;
    L.push(`${v}: ${s.mode === 'rate' ? 'open loop, latency from intended send (CO-correct)' : 'closed loop'}; objective ${s.slo.length ? s.slo.map((o) => `${o.key} ≤ ${formatUs(o.limitUs)}`).join(', ') : 'none'}`);
    const head = ['step', 'offered', 'resp/s', 'p50', 'p90', 'p99', 'p99.9', 'ELU', 'verdict'];
    const rows: string[][] = [head];
    for (const st of s.steps) {
      const m = st.variants[v];
      if (!m) continue;
      const vd = m.verdict;
      let verdict = '';
      if (vd) verdict = vd.meetsSlo && vd.keepsUp ? 'ok' : `${vd.limitedBy === 'client' ? 'CLIENT-LIMITED' : 'FAIL'}: ${vd.reason ?? vd.violations.join(', ')}`;
      if (st.retried?.length) verdict = `${verdict} (measured ${st.retried.length + 1}×)`;
      if (sum.knee?.step === st.index) verdict = `${verdict} <- knee`;
      if (sum.maxSustainable?.step === st.index) verdict = `${verdict} <- max sustainable`;
      rows.push([
        String(st.index),
        describe(st, s.mode).replace(' offered', ''),
        m.achievedRps.toFixed(0),
        formatUs(m.latencyUs.p50),
        formatUs(m.latencyUs.p90 ?? NaN),
        formatUs(m.latencyUs.p99),
        formatUs(m.latencyUs.p999 ?? NaN),
        `${(m.maxWorkerElu * 100).toFixed(0)}%`,
        verdict,
      ]);
    }
    const w = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) L.push(r.map((x, c) => (c === r.length - 1 ? x : c <= 1 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ').trimEnd());
    L.push(`=> ${sum.conclusion}`);
    if (sum.knee) L.push(`   knee (max throughput/latency): ${describe(s.steps.find((x) => x.index === sum.knee!.step)!, s.mode)}, ${sum.knee.achievedRps.toFixed(0)} responses/s`);
    if (sum.suggestion) L.push(`   ${sum.suggestion}`);
    L.push('');
  }
  for (const [v, r] of Object.entries(s.capacityVsV2 ?? {})) {
    L.push(`${v} vs v2: max sustainable responses/s × ${r.toFixed(3)} (${((r - 1) * 100).toFixed(1)} %)`);
  }
  if (s.stoppedEarlyAfterStep !== undefined) L.push(`(stopped after step ${s.stoppedEarlyAfterStep}: consecutive steps failed for every variant)`);
  return L.join('\n') + '\n';
}
