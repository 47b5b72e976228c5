/**
 * The study as a terminal table: one row per fault kind, per variant the
 * cell as `detected/injected` and the wrong pages accepted; then the clean
 * runs (false positives, wrong pages, throughput and CPU against V2).
 */
import type { FaultStudy } from './matrix.js';

function pad(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

export function renderFaultTable(s: FaultStudy): string {
  const W = 22;
  const lines: string[] = [];
  lines.push(`Fault study: rate ${s.ratePerFault} per response, ${s.durationS} s per cell, ${s.connections} connections × ${s.pipeline} in flight, on-mismatch ${s.onMismatch}, seed ${s.seed}`);
  lines.push('cell: detected/injected  undetected (wrong pages accepted)  [false positives]');
  lines.push('');
  lines.push('kind        ' + s.variants.map((v) => pad(v, W)).join(''));
  for (const k of s.kinds) {
    const row = s.matrix[k];
    if (!row) continue;
    let line = k.padEnd(12);
    for (const v of s.variants) {
      const c = row[v];
      if (!c) {
        line += pad('-', W);
        continue;
      }
      const fp = c.falsePositives > 0 ? ` [${c.falsePositives}]` : '';
      line += pad(`${c.detected}/${c.injected} ${c.undetected > 0 ? '!' + c.undetected : 'ok'}${c.undetectedBasis === 'inferred' ? '*' : ''}${fp}`, W);
    }
    lines.push(line);
  }
  lines.push('');
  lines.push('detected/injected; !n = n wrong or corrupted pages accepted (silent corruption, counted by the oracle)' + (anyInferred(s) ? '; * = inferred as injected − detected (result written by an older version)' : ''));
  const clean = s.variants.filter((v) => s.clean[v]);
  if (clean.length > 0) {
    lines.push('');
    lines.push('clean run   ' + clean.map((v) => pad(v, W)).join(''));
    const row = (name: string, f: (v: (typeof s.clean)[keyof typeof s.clean] & object) => string): void => {
      lines.push(name.padEnd(12) + clean.map((v) => pad(f(s.clean[v]!), W)).join(''));
    };
    row('false pos.', (c) => String(c.falsePositives));
    row('wrong pages', (c) => String(c.undetected));
    row('resp/s', (c) => Math.round(c.throughputRps).toLocaleString('en-US'));
    row('vs v2', (c) => `${((c.throughputVsV2 - 1) * 100).toFixed(1)}%`);
    row('CPU us/resp', (c) => c.cpuPerResponseUs.toFixed(2));
    row('CPU vs v2', (c) => `${((c.cpuPerResponseVsV2 - 1) * 100).toFixed(1)}%`);
    row('p99 us', (c) => String(c.p99Us));
  }
  return lines.join('\n') + '\n';
}

/** A result file from before the oracle checked checksums may carry inferred cells. */
function anyInferred(s: FaultStudy): boolean {
  return Object.values(s.matrix).some((row) => Object.values(row ?? {}).some((c) => c?.undetectedBasis === 'inferred'));
}
