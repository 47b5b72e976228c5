/**
 * `renderMarkdown(result)`: GitHub-flavoured Markdown for a job summary
 * ($GITHUB_STEP_SUMMARY): headings, tables and blockquotes only, no HTML.
 */
import { variantsOf } from './load.js';
import { fmtInt, fmtNum, fmtRatio, fmtSignedPct, fmtUs } from './format.js';
import { detectionRate, readFaultMatrix } from './faults.js';
import { scrub } from './scrub.js';
import type { PagestreamResult, Spread } from './result.js';

/** A table cell: no pipes or newlines, and no HTML interpretation of < >. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function mdTable(head: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `|${a.map((x) => (x === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

function spread(s: Spread | undefined, f: (x: number) => string): string {
  return s ? ` (${f(s.min)} … ${f(s.max)})` : '';
}

export function renderMarkdown(result: PagestreamResult): string {
  const r = result;
  const vs = variantsOf(r);
  const cfg = scrub(r.config);
  const out: string[] = [];
  out.push(`## pagestream-bench: ${vs.join(' vs ')} against ${cfg.target}`);
  out.push('');
  out.push(
    `${r.startedAt} · ${cfg.connections} connections × pipeline ${cfg.pipeline} · ${cfg.rate !== undefined ? `open loop at ${fmtInt(Number(cfg.rate))} req/s` : 'closed loop'} · pattern ${cfg.pattern} · ${cfg.durationS} s per variant × ${cfg.rounds} rounds${r.mergedFrom?.length ? ` · merged from ${r.mergedFrom.length} shards` : ''}`,
  );
  out.push('');
  if (r.partial) out.push(`> **Warning:** partial result, the run was interrupted${r.partialReason ? ` (${r.partialReason})` : ''}.`, '');
  if (r.saturation?.clientLimited) {
    out.push(`> **Warning:** the load generator, not the server, limited this measurement (max worker event-loop utilisation ${fmtNum(r.saturation.maxWorkerElu * 100, 0)}%): ${r.saturation.reasons.join('; ')}.${r.saturation.suggestion ? ` ${r.saturation.suggestion}` : ''}`, '');
  }
  out.push('### Results', '');
  out.push(
    mdTable(
      ['variant', 'responses', 'throughput', 'p50', 'p99', 'p99.9', 'p99.99', 'max', 'errors', 'mismatches', 'bytes/resp', 'bandwidth', 'CPU/resp'],
      vs.map((v) => {
        const x = r.variants[v]!;
        const l = x.latencyUs;
        return [v, fmtInt(x.responses), `${fmtInt(x.throughputRps)}/s`, fmtUs(l.p50), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.p9999), fmtUs(l.max), fmtInt(x.errors), fmtInt(x.mismatches),
          `${fmtNum(x.responseFrameBytes, 1)} B`, `${fmtNum(x.bandwidthMiBps, 1)} MiB/s`, `${fmtNum(x.cpu?.perResponseUs, 2)} µs`];
      }),
    ),
  );
  const cmp = (['v3', 'v3-noverify'] as const).filter((k) => r.comparison?.[k]);
  if (cmp.length) {
    out.push('', '### V3 vs V2 (same run; per-round min … max in parentheses)', '');
    out.push(
      mdTable(
        ['vs v2', 'throughput ratio', 'p50 ratio', 'p99 ratio', 'CPU/resp ratio', 'bandwidth Δ', 'bytes/resp Δ'],
        cmp.map((k) => {
          const c = r.comparison[k]!;
          const s = c.spread ?? {};
          return [k, fmtRatio(c.throughputRatio) + spread(s.throughputRatio, fmtRatio), fmtRatio(c.p50Ratio) + spread(s.p50Ratio, fmtRatio), fmtRatio(c.p99Ratio) + spread(s.p99Ratio, fmtRatio),
            fmtRatio(c.cpuPerResponseRatio) + spread(s.cpuPerResponseRatio, fmtRatio), fmtSignedPct(c.bandwidthDeltaPct, 2) + spread(s.bandwidthDeltaPct, (x) => fmtSignedPct(x, 2)), fmtSignedPct(c.responseFrameBytesDeltaPct, 2)];
        }),
      ),
    );
    const paired = cmp.filter((k) => r.comparison[k]!.cpuPerResponseRatioFrom === 'cycles');
    if (paired.length) {
      out.push('', `CPU/resp ratio: paired per cycle (one ${Math.round((r.config.sliceS ?? 0) * 1000)} ms slice of each variant) within each round, the median over the round's cycles. Ratio of the round totals: ${paired.map((k) => `${k} ${fmtRatio(r.comparison[k]!.cpuPerResponseRatioTotals!)}${spread(r.comparison[k]!.spread?.cpuPerResponseRatioTotals, fmtRatio)}`).join(', ')}.`);
    }
  }
  out.push('', '### Mismatches and errors', '');
  const rows: string[][] = [];
  for (const v of vs) {
    const x = r.variants[v]!;
    for (const [f, n] of Object.entries(x.mismatchesByField ?? {})) if (n) rows.push([v, 'mismatch', f, fmtInt(n)]);
    for (const [c, n] of Object.entries(x.errorsByClass ?? {})) if (n) rows.push([v, 'error', c, fmtInt(n)]);
    if (x.reconnects) rows.push([v, 'reconnects', '', fmtInt(x.reconnects)]);
    if (x.undetected) rows.push([v, 'undetected (oracle)', 'wrong page accepted', fmtInt(x.undetected)]);
  }
  out.push(rows.length ? mdTable(['variant', 'kind', 'field / class', 'count'], rows) : 'None: every response answered its request.');
  if (r.faults !== undefined) {
    out.push('', '### Fault study', '');
    const m = readFaultMatrix(r.faults);
    if (!m) out.push('```json', JSON.stringify(scrub(r.faults), null, 2), '```');
    else {
      let anyInferred = false;
      out.push(
        mdTable(
          ['fault kind', ...m.variants.map((v) => `${v}: detected / injected (undetected, FP)`)],
          m.kinds.map((k) => [
            k,
            ...m.variants.map((v) => {
              const c = m.cell(k, v);
              if (!c) return '–';
              const rate = detectionRate(c);
              const inf = m.inferred(k, v);
              anyInferred ||= inf;
              return `${fmtInt(c.detected)} / ${fmtInt(c.injected)}${rate !== undefined ? ` = ${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)}%` : ''} (${fmtInt(c.undetected)}${inf ? '†' : ''}, ${fmtInt(c.falsePositives)})`;
            }),
          ]),
        ),
      );
      if (anyInferred) out.push('', '† undetected inferred, not counted by the oracle.');
      if (m.clean.length) {
        const f = (x: Record<string, number>, k: string, fmt: (n: number) => string): string => (x[k] === undefined ? '–' : fmt(x[k]!));
        out.push('', 'Clean runs (nothing injected):', '');
        out.push(
          mdTable(
            ['variant', 'throughput', 'vs v2', 'CPU/resp', 'vs v2', 'p99', 'false positives', 'undetected'],
            m.clean.map(({ variant, figures: x }) => [variant, f(x, 'throughputRps', (n) => `${fmtInt(n)}/s`), f(x, 'throughputVsV2', fmtRatio), f(x, 'cpuPerResponseUs', (n) => `${fmtNum(n, 2)} µs`),
              f(x, 'cpuPerResponseVsV2', fmtRatio), f(x, 'p99Us', fmtUs), f(x, 'falsePositives', fmtInt), f(x, 'undetected', fmtInt)]),
          ),
        );
      }
      if (m.notes.length) out.push('', ...m.notes.map((n) => `- ${n.replace(/[\r\n]+/g, ' ')}`));
    }
  }
  out.push('', '### Configuration', '');
  const env: Record<string, unknown> = { tool: `${r.tool?.name} ${r.tool?.version}`, node: r.node, platform: r.platform, cpus: r.cpus, cpuModel: r.cpuModel, startedAt: r.startedAt, finishedAt: r.finishedAt };
  const kv = Object.entries({ ...(cfg as Record<string, unknown>), ...(scrub(env) as Record<string, unknown>) }).filter(([, v]) => v !== undefined);
  out.push(mdTable(['setting', 'value'], kv.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), ['l', 'l']));
  if (r.mergedFrom?.length) {
    out.push('', `Merged from ${r.mergedFrom.length} shards: ${r.mergedFrom.map((m) => `${m.file}${m.shard ? ` (${m.shard.index}/${m.shard.count})` : ''}`).join(', ')}.`);
  }
  out.push('');
  return out.join('\n');
}
