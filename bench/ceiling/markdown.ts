/** The Markdown table bench:ceiling prints. */
import type { CeilingResult } from './result.js';
import type { Spread } from './stats.js';

const f = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const sp = (s: Spread | undefined, d: number): string => (s && Number.isFinite(s.median) ? `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})` : '—');

export function renderCeilingMarkdown(r: CeilingResult): string {
  const c = r.config;
  const L: string[] = [];
  L.push(`## Ceiling: ${c.connections} connections × ${c.pipeline} in flight, ${c.rounds} interleaved rounds of ${c.durationS} s`);
  L.push('');
  L.push(`${r.cpus} × ${r.cpuModel}, Node ${r.node}, load average at end ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
  L.push('');
  L.push('| arm | responses/s | client CPU µs/response | (user + system) | server CPU µs/response | client reads + writes /response | server reads + writes /response |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  const med = (xs: Array<number | undefined>): number => {
    const s = xs.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
  };
  for (const [, a] of Object.entries(r.arms)) {
    const us = med(a.rounds.map((x) => x.clientUserPerResponseUs));
    const sy = med(a.rounds.map((x) => x.clientSystemPerResponseUs));
    const cr = med(a.rounds.map((x) => x.clientReadsPerResponse));
    const cw = med(a.rounds.map((x) => x.clientWritesPerResponse));
    const sr = med(a.rounds.map((x) => x.serverReadsPerResponse));
    const sw = med(a.rounds.map((x) => x.serverWritesPerResponse));
    L.push(`| ${a.label} | ${sp(a.throughputRps, 0)} | ${sp(a.clientCpuPerResponseUs, 2)} | ${f(us, 2)} + ${f(sy, 2)} | ${sp(a.serverCpuPerResponseUs, 2)} | ${f(cr, 3)} + ${f(cw, 3)} | ${f(sr, 3)} + ${f(sw, 3)} |`);
  }
  for (const [name, why] of Object.entries(r.unavailable ?? {})) L.push(`| ${name} | unavailable: ${why} | | |`);
  L.push('');
  L.push('Medians over rounds, (min–max) in brackets.');
  L.push('');
  L.push('| ratio (median of per-round ratios) | median | min–max | target | met |');
  L.push('|---|---:|---:|---|---|');
  for (const t of r.targets) {
    const s = r.spreads[t.ratio];
    L.push(`| ${t.what} | ${s ? f(s.median, 3) : '—'} | ${s ? `${f(s.min, 3)}–${f(s.max, 3)}` : '—'} | ${t.op} ${f(t.limit, 3)} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`);
  }
  for (const k of [
    'throughputVsAutocannon',
    'serverCpuPerResponseVsRaw',
    'rawClientCpuPerResponseVsAutocannon',
    'clientCpuPerResponseVsRawOnEmulator',
    'throughputVsRawOnEmulator',
    'rawOnEmulatorThroughputVsRaw',
    'rawOnEmulatorClientCpuPerResponseVsRaw',
  ]) {
    const s = r.spreads[k];
    if (s) L.push(`| ${k} | ${f(s.median, 3)} | ${f(s.min, 3)}–${f(s.max, 3)} | | |`);
  }
  for (const [name, a] of Object.entries(r.arms)) for (const x of a.failures ?? []) L.push(``, `- ${name} ${x}`);
  return L.join('\n') + '\n';
}
