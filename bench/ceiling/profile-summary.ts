/**
 * `node dist/bench/ceiling/profile-summary.js <file.cpuprofile> [top]`:
 * self time per function (and per file) from a V8 CPU profile written by
 * `node --cpu-prof`, to find the hot spots behind a ceiling figure.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarize(p: Profile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    const f = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/') : '';
    const key = `${cf.functionName || '(anonymous)'} ${f ? `${f}:${cf.lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = f || cf.functionName;
    file.set(fk, (file.get(fk) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)} % ${(us / 1000).toFixed(1).padStart(8)} ms`;
  const L = [`total sampled ${(total / 1000).toFixed(0)} ms`, '', 'self time by function:'];
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) L.push(`  ${pct(us)}  ${k}`);
  L.push('', 'self time by file:');
  for (const [k, us] of [...file].sort((a, b) => b[1] - a[1]).slice(0, top)) L.push(`  ${pct(us)}  ${k}`);
  return L.join('\n') + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const f = process.argv[2];
  if (!f) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [top]  (ms columns: self time; divide by responses for time per response)\n');
    process.exit(2);
  }
  process.stdout.write(summarize(JSON.parse(readFileSync(f, 'utf8')) as Profile, Number(process.argv[3] ?? 25)));
}
