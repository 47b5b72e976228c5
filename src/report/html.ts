/**
 * `renderHtml(result)`: one self-contained HTML page (inline CSS and SVG, no
 * script, no external resource) with the plots people look at. Histograms are
 * decoded here, at render time, so the page carries curves, not data blobs.
 */
import { decodeHistogram, percentileCurve, percentileOfNines } from './histo.js';
import { variantsOf } from './load.js';
import { barChart, esc, lineChart } from './svg.js';
import type { Series, Tick } from './svg.js';
import { fmtBytes, fmtInt, fmtNum, fmtRatio, fmtRatioPct, fmtSignedPct, fmtUs } from './format.js';
import { detectionRate, readFaultMatrix } from './faults.js';
import { scrub } from './scrub.js';
import type { Comparison, PagestreamResult, Spread, VariantName } from './result.js';

export const VARIANT_COLORS: Record<VariantName, string> = { v2: '#2f6db5', v3: '#d9480f', 'v3-noverify': '#2b8a3e' };

/** The nines axis: p50, p90, p99 … p99.999 at x = -log10(1 - p). */
export const NINES_TICKS: Tick[] = [50, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ v: -Math.log10(1 - p / 100), label: `p${p}` }));

const CSS = `
:root{--fg:#1d2329;--muted:#5c6670;--line:#d8dde3;--bg:#fff;--soft:#f5f7f9;--bad:#c92a2a;--warn:#b35c00;--good:#2b8a3e}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 14px}
.banner{padding:10px 14px;border-radius:6px;margin:10px 0;border-left:5px solid}
.banner.warn{background:#fff4e6;border-color:var(--warn)}.banner.bad{background:#fff5f5;border-color:var(--bad)}.banner.ok{background:#ebfbee;border-color:var(--good)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:14px 0}
.card{background:var(--soft);border-radius:8px;padding:12px 14px}.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:22px;font-weight:600}.card .s{color:var(--muted);font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:14px}.charts svg{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#333}svg .title{font-size:14px;font-weight:600;fill:var(--fg)}svg .axis{fill:var(--muted)}svg .tick{fill:#555;font-size:11px}
svg .grid line{stroke:#e9ecef}svg .frame{fill:none;stroke:#adb5bd}svg .legend rect{fill:#fff;fill-opacity:.92;stroke:#dee2e6}svg .note{fill:var(--muted);font-size:11px}svg .value{font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:8px 0 4px;font-variant-numeric:tabular-nums}th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}th{background:var(--soft);font-weight:600}td:first-child,th:first-child{text-align:left}
.scroll{overflow-x:auto}.muted{color:var(--muted)}.bad{color:var(--bad);font-weight:600}.good{color:var(--good)}.warn{color:var(--warn)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:0}
table.kv td,table.kv th{text-align:left;vertical-align:top}table.kv td:last-child{white-space:normal;max-width:640px;overflow-wrap:anywhere}table.kv td:first-child{color:var(--muted)}code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--soft);padding:10px;border-radius:6px;overflow-x:auto}
footer{margin-top:40px;color:var(--muted);font-size:12px}
`;

function swatch(v: VariantName): string {
  return `<span class="swatch" style="background:${VARIANT_COLORS[v]}"></span>${esc(v)}`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function spreadText(s: Spread | undefined, f: (x: number) => string): string {
  return s ? `<span class="muted">${esc(f(s.min))} … ${esc(f(s.max))}</span>` : '<span class="muted">–</span>';
}

function latencyCharts(r: PagestreamResult, vs: VariantName[]): string {
  const out: string[] = [];
  const curve = (key: 'latencyUs' | 'serviceTimeUs'): Series[] =>
    vs.flatMap((v) => {
      const lat = r.variants[v]![key];
      if (!lat) return [];
      const h = decodeHistogram(lat.histogram);
      return [{ name: v, color: VARIANT_COLORS[v], points: percentileCurve(h).map((p) => ({ x: p.nines, y: Math.max(p.valueUs, 1) })) }];
    });
  const openLoop = r.config.rate !== undefined;
  out.push(
    lineChart({
      id: 'chart-latency-nines',
      title: openLoop ? 'Latency by percentile (from intended send time, coordinated-omission corrected)' : 'Latency by percentile',
      xLabel: 'percentile ("nines" scale: each step is ten times rarer)',
      yLabel: 'latency (log scale)',
      series: curve('latencyUs'),
      xTicks: NINES_TICKS,
      xMin: NINES_TICKS[0]!.v,
      xMax: 5,
      yLog: true,
      yFormat: fmtUs,
      width: 1120,
      height: 400,
      legend: 'tl',
    }),
  );
  const svc = curve('serviceTimeUs');
  if (svc.length) {
    out.push(
      lineChart({ id: 'chart-service-nines', title: 'Service time by percentile (from actual send)', xLabel: 'percentile ("nines" scale)', yLabel: 'service time (log scale)', series: svc, xTicks: NINES_TICKS, xMin: NINES_TICKS[0]!.v, xMax: 5, yLog: true, yFormat: fmtUs, width: 1120, height: 360, legend: 'tl' }),
    );
  }
  return `<div class="charts">${out.join('')}</div>`;
}

function roundCharts(r: PagestreamResult, vs: VariantName[]): string {
  const withRounds = vs.filter((v) => (r.variants[v]!.rounds ?? []).length > 0);
  if (withRounds.length === 0) return '<p class="muted">This result has no per-round figures.</p>';
  const series = (f: (x: import('./result.js').RoundFigures) => number, fmt: (n: number) => string): Series[] =>
    withRounds.map((v) => ({
      name: v,
      color: VARIANT_COLORS[v],
      markers: true,
      points: r.variants[v]!.rounds.map((x) => ({ x: x.startS, y: f(x), label: `round ${x.round} at ${x.startS.toFixed(1)} s: ${fmt(f(x))}` })),
    }));
  const charts = [
    lineChart({ id: 'chart-round-throughput', title: 'Throughput per round', xLabel: 'seconds since start', yLabel: 'responses / s', series: series((x) => x.throughputRps, (n) => `${fmtInt(n)}/s`), yFormat: (n) => fmtInt(n), width: 553, height: 300, legend: 'br' }),
    lineChart({ id: 'chart-round-p99', title: 'p99 latency per round', xLabel: 'seconds since start', yLabel: 'p99', series: series((x) => x.p99Us, fmtUs), yFormat: fmtUs, width: 553, height: 300, legend: 'br' }),
  ];
  const iv = r.intervals;
  const ivs = iv ? vs.filter((v) => (iv[v] ?? []).length > 0) : [];
  if (iv && ivs.length) {
    charts.push(
      lineChart({
        id: 'chart-interval-throughput',
        title: 'Throughput per second (interval histograms)',
        xLabel: 'seconds since start',
        yLabel: 'responses / s',
        series: ivs.map((v) => ({
          name: v,
          color: VARIANT_COLORS[v],
          markers: true,
          gapOver: 1.5 * Math.max(...iv[v]!.map((i) => i.durationS || 1)),
          points: iv[v]!.map((i) => ({ x: i.startS + (i.durationS || 1) / 2, y: decodeHistogram(i.histogram).totalCount / (i.durationS || 1) })),
        })),
        yFormat: (n) => fmtInt(n),
        width: 1120,
        height: 280,
        legend: 'br',
      }),
    );
  }
  return `<div class="charts">${charts.join('')}</div>`;
}

function costCharts(r: PagestreamResult, vs: VariantName[]): string {
  const v2 = r.variants.v2;
  const bytes = barChart({
    id: 'chart-frame-bytes',
    title: 'Measured bytes per GetPage response',
    bars: vs.map((v) => {
      const x = r.variants[v]!;
      const d = v2 && v !== 'v2' ? x.responseFrameBytes - v2.responseFrameBytes : undefined;
      const delta = d !== undefined ? ` (${d >= 0 ? '+' : ''}${fmtNum(d, Number.isInteger(d) ? 0 : 1)})` : '';
      return { name: v, color: VARIANT_COLORS[v], value: x.responseFrameBytes, label: `${fmtNum(x.responseFrameBytes, Number.isInteger(x.responseFrameBytes) ? 0 : 1)} B${delta}` };
    }),
    note: 'mean frame size on the wire, from bytes received / responses',
  });
  const bw = barChart({
    id: 'chart-bandwidth',
    title: 'Bandwidth received',
    bars: vs.map((v) => ({ name: v, color: VARIANT_COLORS[v], value: r.variants[v]!.bandwidthMiBps, label: `${fmtNum(r.variants[v]!.bandwidthMiBps, 1)} MiB/s` })),
  });
  const cpu = barChart({
    id: 'chart-cpu',
    title: 'Client CPU per response',
    bars: vs.map((v) => ({ name: v, color: VARIANT_COLORS[v], value: r.variants[v]!.cpu?.perResponseUs ?? NaN, label: `${fmtNum(r.variants[v]!.cpu?.perResponseUs, 2)} µs` })),
    note: 'user + system CPU of all load-generator threads',
  });
  return `<div class="charts">${bytes}${bw}${cpu}</div>`;
}

function summaryTable(r: PagestreamResult, vs: VariantName[]): string {
  const head = ['variant', 'responses', 'throughput', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean', 'errors', 'mismatches'];
  const rows = vs.map((v) => {
    const x = r.variants[v]!;
    const l = x.latencyUs;
    return [swatch(v), fmtInt(x.responses), `${fmtInt(x.throughputRps)}/s`, fmtUs(l.p50), fmtUs(l.p90), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.p9999), fmtUs(l.max), fmtUs(l.mean),
      x.errors ? `<span class="bad">${fmtInt(x.errors)}</span>` : '0', x.mismatches ? `<span class="bad">${fmtInt(x.mismatches)}</span>` : '0'];
  });
  return table(head, rows);
}

function costTable(r: PagestreamResult, vs: VariantName[]): string {
  const head = ['variant', 'bytes / response', 'bytes / request', 'received', 'sent', 'bandwidth', 'CPU / response', 'GC / M resp', 'worker ELU'];
  const rows = vs.map((v) => {
    const x = r.variants[v]!;
    return [swatch(v), `${fmtNum(x.responseFrameBytes, 1)} B`, `${fmtNum(x.requestFrameBytes, 1)} B`, fmtBytes(x.bytesReceived), fmtBytes(x.bytesSent), `${fmtNum(x.bandwidthMiBps, 1)} MiB/s`,
      `${fmtNum(x.cpu?.perResponseUs, 2)} µs`, fmtNum(x.gc?.perMillionResponses, 1), (x.eventLoopUtilization ?? []).map((e) => `${Math.round(e * 100)}%`).join(' ') || '–'];
  });
  return table(head, rows);
}

function comparisonTable(r: PagestreamResult): string {
  const entries = (['v3', 'v3-noverify'] as const).filter((k) => r.comparison?.[k]);
  if (entries.length === 0) return '<p class="muted">No comparison: the run did not include V2 and a V3 variant.</p>';
  const cell = (v: string, sp: Spread | undefined, f: (x: number) => string): string => `${esc(v)}<br>${spreadText(sp, f)}`;
  const rows = entries.map((k) => {
    const c = r.comparison[k] as Comparison;
    const s = c.spread ?? {};
    return [swatch(k), cell(fmtRatio(c.throughputRatio), s.throughputRatio, fmtRatio), cell(fmtRatio(c.p50Ratio), s.p50Ratio, fmtRatio), cell(fmtRatio(c.p99Ratio), s.p99Ratio, fmtRatio),
      cell(fmtRatio(c.cpuPerResponseRatio), s.cpuPerResponseRatio, fmtRatio), cell(fmtSignedPct(c.bandwidthDeltaPct, 2), s.bandwidthDeltaPct, (x) => fmtSignedPct(x, 2)), fmtSignedPct(c.responseFrameBytesDeltaPct, 2)];
  });
  return table(['vs v2', 'throughput ratio', 'p50 ratio', 'p99 ratio', 'CPU / resp ratio', 'bandwidth Δ', 'bytes / resp Δ'], rows) +
    '<p class="muted">Ratios are V3 over V2 in the same run; the grey line under each figure is the min … max of the per-round ratio (variants interleave within a round, so machine drift cancels). A spread that crosses 1.000 means the difference is within the noise.' +
    (entries.some((k) => r.comparison[k]?.cpuPerResponseRatioFrom === 'cycles') ? ' The CPU ratio of a round is paired: the median over its cycles (one ' + Math.round((r.config.sliceS ?? 0) * 1000) + ' ms slice of each variant) of V3\'s CPU per response over V2\'s in the same cycle; the ratio of the round totals is <code>cpuPerResponseRatioTotals</code> in the result file.' : '') + '</p>';
}

function errorSection(r: PagestreamResult, vs: VariantName[]): string {
  const total = vs.reduce((a, v) => a + r.variants[v]!.mismatches + r.variants[v]!.errors, 0);
  const parts: string[] = [];
  if (total === 0) parts.push('<div class="banner ok">No mismatches and no errors: every response answered its request.</div>');
  const rows: string[][] = [];
  for (const v of vs) {
    const x = r.variants[v]!;
    for (const [f, n] of Object.entries(x.mismatchesByField ?? {})) if (n) rows.push([swatch(v), 'mismatch', esc(f), `<span class="bad">${fmtInt(n)}</span>`]);
    for (const [c, n] of Object.entries(x.errorsByClass ?? {})) if (n) rows.push([swatch(v), 'error', esc(c), `<span class="bad">${fmtInt(n)}</span>`]);
    if (x.reconnects) rows.push([swatch(v), 'reconnects', '', fmtInt(x.reconnects)]);
    if (x.undetected) rows.push([swatch(v), 'undetected (oracle)', 'wrong page accepted', `<span class="bad">${fmtInt(x.undetected)}</span>`]);
  }
  if (rows.length) parts.push(table(['variant', 'kind', 'field / class', 'count'], rows));
  return parts.join('');
}

function faultSection(r: PagestreamResult): string {
  if (r.faults === undefined) return '';
  const m = readFaultMatrix(r.faults);
  if (!m) return `<h2 id="faults">Fault study</h2><pre>${esc(JSON.stringify(scrub(r.faults), null, 2))}</pre>`;
  const isVariant = (v: string): v is VariantName => v === 'v2' || v === 'v3' || v === 'v3-noverify';
  const head = ['fault kind', ...m.variants.map((v) => (isVariant(v) ? swatch(v) : esc(v)))];
  let anyInferred = false;
  const rows = m.kinds.map((k) => [
    `<code>${esc(k)}</code>`,
    ...m.variants.map((v) => {
      const c = m.cell(k, v);
      if (!c) return '<span class="muted">–</span>';
      const rate = detectionRate(c);
      const cls = c.undetected > 0 ? 'bad' : rate === 1 ? 'good' : '';
      const main = rate === undefined ? 'none injected' : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}% detected`;
      const inf = m.inferred(k, v);
      anyInferred ||= inf;
      return `<span class="${cls}">${main}</span><br><span class="muted">${fmtInt(c.injected)} inj · ${fmtInt(c.detected)} det · ${fmtInt(c.undetected)}${inf ? '†' : ''} undet · ${fmtInt(c.falsePositives)} FP</span>`;
    }),
  ]);
  const parts = [
    `<h2 id="faults">Fault study</h2><p class="sub">Each mismatch kind injected by the emulator (ground truth${m.seed !== undefined ? `, seed ${m.seed}` : ''}${m.ratePerFault !== undefined ? `, rate ${m.ratePerFault} per response` : ''}), and what each protocol variant caught. Undetected = wrong pages accepted as correct (checked against each page's identity stamp); FP = detections nothing injected explains.</p>`,
    table(head, rows),
  ];
  if (anyInferred) parts.push('<p class="muted">† inferred, not counted by the oracle (see the notes).</p>');
  if (m.clean.length) {
    const f = (x: Record<string, number>, k: string, fmt: (n: number) => string): string => (x[k] === undefined ? '–' : fmt(x[k]!));
    parts.push(
      '<h3>Clean runs (nothing injected): what verification costs</h3>',
      table(
        ['variant', 'responses', 'throughput', 'vs v2', 'CPU / response', 'vs v2', 'p50', 'p99', 'bytes / response', 'false positives', 'undetected'],
        m.clean.map(({ variant, figures: x }) => [
          esc(variant), f(x, 'responses', fmtInt), f(x, 'throughputRps', (n) => `${fmtInt(n)}/s`), f(x, 'throughputVsV2', fmtRatio), f(x, 'cpuPerResponseUs', (n) => `${fmtNum(n, 2)} µs`),
          f(x, 'cpuPerResponseVsV2', fmtRatio), f(x, 'p50Us', fmtUs), f(x, 'p99Us', fmtUs), f(x, 'responseFrameBytes', (n) => `${fmtNum(n, 1)} B`),
          f(x, 'falsePositives', (n) => (n ? `<span class="bad">${fmtInt(n)}</span>` : '0')), f(x, 'undetected', (n) => (n ? `<span class="bad">${fmtInt(n)}</span>` : '0')),
        ]),
      ),
    );
  }
  if (m.notes.length) parts.push(`<ul class="notes">${m.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return parts.join('');
}

function configSection(r: PagestreamResult): string {
  const cfg = scrub(r.config) as Record<string, unknown>;
  const kv = (o: Record<string, unknown>): string =>
    table(['setting', 'value'], Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [esc(k), `<code>${esc(typeof v === 'string' ? v : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : JSON.stringify(v))}</code>`]), 'kv');
  const env = scrub({ tool: `${r.tool?.name ?? 'pagestream-bench'} ${r.tool?.version ?? ''}`, node: r.node, platform: r.platform, cpus: r.cpus, cpuModel: r.cpuModel, hostname: r.hostname, startedAt: r.startedAt, finishedAt: r.finishedAt, partial: r.partial, partialReason: r.partialReason });
  const merged = r.mergedFrom?.length ? `<h3>Merged from ${r.mergedFrom.length} shards</h3>${table(['file', 'shard'], r.mergedFrom.map((m) => [esc(m.file), m.shard ? `${m.shard.index}/${m.shard.count}` : '–']))}` : '';
  return `<h2 id="config">Configuration</h2><div class="charts"><div>${kv(cfg)}</div><div>${kv(env as Record<string, unknown>)}</div></div>${merged}`;
}

function headline(r: PagestreamResult): string {
  const c = r.comparison?.v3;
  const v2 = r.variants.v2;
  const v3 = r.variants.v3;
  if (!c || !v2 || !v3) return '';
  const card = (k: string, v: string, s: string): string => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div><div class="s">${s}</div></div>`;
  const sp = c.spread ?? {};
  return `<div class="cards">${[
    card('V3 throughput vs V2', fmtRatioPct(c.throughputRatio), sp.throughputRatio ? `rounds ${fmtRatioPct(sp.throughputRatio.min)} … ${fmtRatioPct(sp.throughputRatio.max)}` : ''),
    card('V3 p99 vs V2', fmtRatioPct(c.p99Ratio), `${esc(fmtUs(v2.latencyUs.p99))} → ${esc(fmtUs(v3.latencyUs.p99))}`),
    card('V3 bytes per response', `${v3.responseFrameBytes - v2.responseFrameBytes >= 0 ? '+' : ''}${fmtNum(v3.responseFrameBytes - v2.responseFrameBytes, 1)} B`, `${fmtNum(v2.responseFrameBytes, 1)} → ${fmtNum(v3.responseFrameBytes, 1)} B (${fmtSignedPct(c.responseFrameBytesDeltaPct ?? (v3.responseFrameBytes / v2.responseFrameBytes - 1) * 100, 2)})`),
    card('V3 CPU per response vs V2', fmtRatioPct(c.cpuPerResponseRatio), `${fmtNum(v2.cpu?.perResponseUs, 2)} → ${fmtNum(v3.cpu?.perResponseUs, 2)} µs${c.cpuPerResponseRatioFrom === 'cycles' ? `; paired per cycle (totals ${esc(fmtRatioPct(c.cpuPerResponseRatioTotals))})` : ''}`),
  ].join('')}</div>`;
}

export function renderHtml(result: PagestreamResult): string {
  const r = result;
  const vs = variantsOf(r);
  const cfg = scrub(r.config);
  const banners: string[] = [];
  if (r.partial) banners.push(`<div class="banner warn"><b>Partial result.</b> The run was interrupted${r.partialReason ? ` (${esc(r.partialReason)})` : ''}; figures cover what was measured until then.</div>`);
  if (r.saturation?.clientLimited) {
    banners.push(`<div class="banner warn" id="saturation"><b>The load generator, not the server, limited this measurement</b> (max worker event-loop utilisation ${fmtNum(r.saturation.maxWorkerElu * 100, 0)}%). Throughput and latency describe the client. ${r.saturation.reasons.map(esc).join('; ')}${r.saturation.suggestion ? `<br>${esc(r.saturation.suggestion)}` : ''}</div>`);
  }
  const mism = vs.reduce((a, v) => a + r.variants[v]!.mismatches, 0);
  if (mism) banners.push(`<div class="banner bad"><b>${fmtInt(mism)} responses did not answer their request.</b> See <a href="#errors">mismatches and errors</a>.</div>`);
  const title = `pagestream-bench: ${vs.join(' vs ')} against ${cfg.target}`;
  const sub = `${esc(r.startedAt)} · ${esc(String(cfg.connections))} connections × pipeline ${esc(String(cfg.pipeline))} · ${cfg.rate !== undefined ? `open loop at ${fmtInt(Number(cfg.rate))} req/s` : 'closed loop'} · pattern ${esc(String(cfg.pattern))} · ${esc(String(cfg.durationS))} s per variant × ${esc(String(cfg.rounds))} rounds${r.config.shard ? ` · shard ${r.config.shard.index}/${r.config.shard.count}` : ''}${r.mergedFrom?.length ? ` · merged from ${r.mergedFrom.length} shards` : ''}`;
  const body = [
    `<h1>${esc(title)}</h1><p class="sub">${sub}</p>`,
    banners.join(''),
    headline(r),
    `<h2 id="latency">Latency</h2>`,
    latencyCharts(r, vs),
    summaryTable(r, vs),
    `<h2 id="time">Over time</h2><p class="sub">Rounds interleave the variants, so a drifting machine affects all of them alike.</p>`,
    roundCharts(r, vs),
    `<h2 id="cost">What V3 costs</h2>`,
    costCharts(r, vs),
    costTable(r, vs),
    `<h2 id="comparison">V3 vs V2</h2>`,
    comparisonTable(r),
    `<h2 id="errors">Mismatches and errors</h2>`,
    errorSection(r, vs),
    faultSection(r),
    configSection(r),
    `<footer>Generated by ${esc(r.tool?.name ?? 'pagestream-bench')} ${esc(r.tool?.version ?? '')} from result schema ${esc(r.schema)}. Latency percentiles are HdrHistogram values (3 significant digits); the nines axis puts p${percentileOfNines(1).toFixed(0)}, p99, p99.9 … at equal steps.</footer>`,
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
${body}
</main></body></html>
`;
}
