/**
 * The sweep's HTML page: per variant, latency percentiles (log scale) against
 * achieved responses/s, one point per step, the objectives as horizontal
 * lines, the knee and the highest sustainable step marked. Self-contained:
 * inline SVG and CSS, no script, nothing fetched — it opens offline.
 */
import type { VariantName } from '../report/result.js';
import { describe } from './analyze.js';
import { formatUs } from './slo.js';
import type { SweepSummary } from './types.js';

const PCTS = [
  { key: 'p50', color: '#1f77b4' },
  { key: 'p90', color: '#2ca02c' },
  { key: 'p99', color: '#d62728' },
  { key: 'p999', color: '#9467bd' },
] as const;

const W = 760;
const H = 420;
const M = { l: 70, r: 20, t: 30, b: 50 };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceTicks(max: number, n: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let x = 0; x <= max + 1e-9; x += step) out.push(x);
  return out;
}

const fmtRps = (x: number): string => (x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${+x.toFixed(0)}`);

/** One SVG chart for one variant. */
export function renderVariantSvg(s: SweepSummary, variant: VariantName): string {
  const pts = s.steps.filter((st) => st.variants[variant] && st.variants[variant]!.responses > 0).map((st) => ({ st, m: st.variants[variant]! }));
  const sum = s.variants[variant];
  const xMax = Math.max(1, ...pts.map((p) => p.m.achievedRps)) * 1.08;
  const lats: number[] = [];
  for (const p of pts) for (const q of PCTS) {
    const v = p.m.latencyUs[q.key];
    if (v !== undefined && v > 0) lats.push(v);
  }
  for (const o of s.slo) lats.push(o.limitUs);
  const yLo = Math.pow(10, Math.floor(Math.log10(Math.max(1, Math.min(...lats, 1e9)))));
  const yHi = Math.pow(10, Math.ceil(Math.log10(Math.max(10, ...lats))));
  const px = (x: number): number => M.l + (x / xMax) * (W - M.l - M.r);
  const py = (y: number): number => {
    const t = (Math.log10(Math.max(y, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo));
    return H - M.b - t * (H - M.t - M.b);
  };
  const L: string[] = [];
  L.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`latency against throughput, ${variant}`)}" data-variant="${variant}">`);
  L.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  // Axes and grid.
  for (const t of niceTicks(xMax, 6)) {
    L.push(`<line x1="${px(t).toFixed(1)}" y1="${M.t}" x2="${px(t).toFixed(1)}" y2="${H - M.b}" stroke="#eee"/>`);
    L.push(`<text x="${px(t).toFixed(1)}" y="${H - M.b + 16}" font-size="11" text-anchor="middle">${fmtRps(t)}</text>`);
  }
  for (let y = yLo; y <= yHi * 1.0001; y *= 10) {
    L.push(`<line x1="${M.l}" y1="${py(y).toFixed(1)}" x2="${W - M.r}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`);
    L.push(`<text x="${M.l - 6}" y="${(py(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${formatUs(y)}</text>`);
  }
  L.push(`<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/>`);
  L.push(`<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>`);
  L.push(`<text x="${(M.l + W - M.r) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">achieved responses/s</text>`);
  L.push(`<text x="16" y="${(M.t + H - M.b) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(M.t + H - M.b) / 2})">latency (${s.mode === 'rate' ? 'from intended send, CO-correct' : 'closed loop'}), log scale</text>`);
  // Objectives.
  for (const o of s.slo) {
    const y = py(o.limitUs).toFixed(1);
    L.push(`<g class="slo" data-key="${o.key}" data-limit-us="${o.limitUs}"><line x1="${M.l}" y1="${y}" x2="${W - M.r}" y2="${y}" stroke="#555" stroke-dasharray="6 4"/><text x="${W - M.r - 4}" y="${(+y - 4).toFixed(1)}" font-size="11" text-anchor="end">SLO ${o.key} ≤ ${formatUs(o.limitUs)}</text></g>`);
  }
  // Percentile lines.
  PCTS.forEach((q, qi) => {
    const xy = pts.filter((p) => p.m.latencyUs[q.key] !== undefined).map((p) => `${px(p.m.achievedRps).toFixed(1)},${py(p.m.latencyUs[q.key]!).toFixed(1)}`);
    if (xy.length === 0) return;
    L.push(`<g class="pct" data-key="${q.key}"><polyline fill="none" stroke="${q.color}" stroke-width="2" points="${xy.join(' ')}"/>`);
    for (const p of pts) {
      const v = p.m.latencyUs[q.key];
      if (v === undefined) continue;
      L.push(`<circle cx="${px(p.m.achievedRps).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${q.color}"><title>${esc(`${describe(p.st, s.mode)}: ${fmtRps(p.m.achievedRps)} responses/s, ${q.key} ${formatUs(v)}`)}</title></circle>`);
    }
    L.push(`</g>`);
    L.push(`<text x="${M.l + 10 + qi * 60}" y="${M.t - 10}" font-size="12" fill="${q.color}">● ${q.key}</text>`);
  });
  // Knee and highest sustainable step.
  if (sum?.knee) {
    const x = px(sum.knee.achievedRps).toFixed(1);
    L.push(`<g class="knee" data-step="${sum.knee.step}" data-rps="${sum.knee.achievedRps.toFixed(0)}"><line x1="${x}" y1="${M.t}" x2="${x}" y2="${H - M.b}" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="4 3"/><text x="${(+x + 4).toFixed(1)}" y="${M.t + 14}" font-size="12" fill="#ff7f0e">knee ${fmtRps(sum.knee.achievedRps)}/s</text></g>`);
  }
  if (sum?.maxSustainable) {
    const x = px(sum.maxSustainable.achievedRps).toFixed(1);
    const y = py(sum.maxSustainable.latencyUs.p99).toFixed(1);
    L.push(`<g class="max-sustainable" data-step="${sum.maxSustainable.step}" data-rps="${sum.maxSustainable.achievedRps.toFixed(0)}"><circle cx="${x}" cy="${y}" r="8" fill="none" stroke="#000" stroke-width="2"/><text x="${(+x + 10).toFixed(1)}" y="${(+y + 16).toFixed(1)}" font-size="12">max sustainable</text></g>`);
  }
  L.push('</svg>');
  return L.join('\n');
}

export function renderSweepHtml(s: SweepSummary, title: string): string {
  const variants = Object.keys(s.variants) as VariantName[];
  const L: string[] = [];
  L.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  L.push(`<title>${esc(title)}</title>`);
  L.push('<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}.fail{color:#b00}.client{color:#b60}</style>');
  L.push('</head><body>');
  L.push(`<h1>${esc(title)}</h1>`);
  L.push(`<p>Mode: ${s.mode === 'rate' ? 'open-loop offered rate (latency from intended send time, coordinated-omission correct)' : 'closed-loop load shapes (connections × pipeline)'}. Objective: ${s.slo.length ? s.slo.map((o) => `${o.key} ≤ ${formatUs(o.limitUs)}`).join(', ') : 'none (keep up with the offered load)'}.</p>`);
  for (const [v, r] of Object.entries(s.capacityVsV2 ?? {})) {
    L.push(`<p class="capacity">${esc(v)} vs v2: max sustainable responses/s × ${r.toFixed(3)} (${((r - 1) * 100).toFixed(1)} %)</p>`);
  }
  for (const v of variants) {
    const sum = s.variants[v]!;
    L.push(`<h2>${esc(v)}</h2>`);
    L.push(`<p class="conclusion">${esc(sum.conclusion)}</p>`);
    if (sum.suggestion) L.push(`<p class="client">${esc(sum.suggestion)}</p>`);
    L.push(renderVariantSvg(s, v));
    L.push('<table><tr><th>step</th><th>offered</th><th>responses/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max ELU</th><th class="l">verdict</th></tr>');
    for (const st of s.steps) {
      const m = st.variants[v];
      if (!m) continue;
      const vd = m.verdict;
      const cls = vd && (!vd.meetsSlo || !vd.keepsUp) ? (vd.limitedBy === 'client' ? 'client' : 'fail') : '';
      L.push(
        `<tr class="${cls}"><td>${st.index}</td><td>${esc(describe(st, s.mode))}</td><td>${m.achievedRps.toFixed(0)}</td><td>${formatUs(m.latencyUs.p50)}</td><td>${formatUs(m.latencyUs.p90 ?? NaN)}</td><td>${formatUs(m.latencyUs.p99)}</td><td>${formatUs(m.latencyUs.p999 ?? NaN)}</td><td>${(m.maxWorkerElu * 100).toFixed(0)} %</td><td class="l">${esc(vd ? (vd.meetsSlo && vd.keepsUp ? 'ok' : (vd.reason ?? vd.violations.join(', '))) : '')}</td></tr>`,
      );
    }
    L.push('</table>');
  }
  L.push('</body></html>');
  return L.join('\n') + '\n';
}
