/**
 * bench:noise — the noise floor of the V3-vs-V2 ratio on this machine: an A/A
 * run. The default run's shape (4 connections × 32, 3 rounds, 6 s per variant,
 * 0.5 s warm-up) is measured with ONE variant (V3) three times over, labelled
 * A B C where `run --protocol both` has V2, V3 and V3-noverify, interleaved
 * as `run` interleaves them:
 *   --interleave slices (run's default): three sets of V3 connections taking
 *     turns in `run`'s slices (10 ms) within each round;
 *   --interleave phases (`run --slice 0`): A, then B, then C, each for the
 *     whole per-round time.
 * Every ratio B/A and C/A compares a variant with itself, so its true value
 * is 1 and its min–max spread over the rounds is what machine noise alone
 * does to the spread that `run` reports for V3/V2. A V3/V2 spread below this
 * floor on the same machine is luck.
 *
 * Usage: npm run bench:noise [-- --repeats 3 --duration 6 --rounds 3 --interleave slices|phases --slice 0.01 --rcvbuf <bytes> --pin]
 * (--rcvbuf 0: the kernel's receive-buffer autotuning instead of run's fixed buffer)
 * Writes results/bench-noise.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { defaultRunOptions, runBenchmark } from '../src/client/run.js';
import type { RoundFigures, VariantName } from '../src/report/result.js';
import { spreadOf } from '../src/report/compare.js';

const cpus = os.availableParallelism?.() ?? os.cpus().length;
const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`bench:noise: --${name} must be a positive number\n`);
    process.exit(2);
  }
  return v;
};
const pin = args.includes('--pin');
const interleaveAt = args.indexOf('--interleave');
const interleave = interleaveAt >= 0 ? args[interleaveAt + 1] : 'slices';
if (interleave !== 'slices' && interleave !== 'phases') {
  process.stderr.write('bench:noise: --interleave must be slices or phases\n');
  process.exit(2);
}
const repeats = Math.round(arg('repeats', 3));
const rounds = Math.round(arg('rounds', 3));
const durationS = arg('duration', defaultRunOptions(cpus).durationS);
const rcvbufAt = args.indexOf('--rcvbuf');
/** Socket receive buffer per connection in bytes, 0 = the kernel's autotuning (default: run's). */
const rcvbufBytes = rcvbufAt >= 0 ? Number(args[rcvbufAt + 1]) : undefined;
if (rcvbufBytes !== undefined && !(Number.isInteger(rcvbufBytes) && rcvbufBytes >= 0)) {
  process.stderr.write('bench:noise: --rcvbuf must be a whole number of bytes (0: autotuning)\n');
  process.exit(2);
}
const sliceAt = args.indexOf('--slice');
/** Slice length in seconds (default: run's). */
const sliceS = sliceAt >= 0 ? arg('slice', 0.1) : undefined;
const LABELS = ['A', 'B', 'C'] as const;

interface Spread { median: number; min: number; max: number; spreadPct: number }
/** run's statistic (report/compare.ts spreadOf) plus the spread in percent, as bench:e2e reports it. */
function spreadWithPct(xs: number[]): Spread {
  const s = spreadOf(xs) ?? { median: NaN, min: NaN, max: NaN };
  const r = (x: number): number => Math.round(x * 1e4) / 1e4;
  return { median: r(s.median), min: r(s.min), max: r(s.max), spreadPct: Math.round((s.max - s.min) * 1e4) / 100 };
}

const runs: Array<Record<string, unknown>> = [];
for (let rep = 1; rep <= repeats; rep++) {
  // Slices: V3 listed three times, one set of connections each. Phases: one
  // variant, 3 × rounds phases of the default run's length each.
  const base = { ...defaultRunOptions(cpus), ...(rcvbufBytes !== undefined ? { rcvbufBytes } : {}) };
  const o = interleave === 'slices'
    ? { ...base, variants: ['v3', 'v3', 'v3'] as VariantName[], rounds, durationS, pin, ...(sliceS !== undefined ? { sliceS } : {}) }
    : { ...base, protocol: 'v3' as const, sliceS: 0, rounds: 3 * rounds, durationS: 3 * durationS, pin };
  const phases: RoundFigures[] = [];
  await runBenchmark(o, { log: (s) => process.stderr.write(s + '\n'), onRound: (_round, figures) => phases.push(...figures) });
  const byRound: Array<Partial<Record<(typeof LABELS)[number], RoundFigures>>> = [];
  phases.forEach((p, j) => {
    (byRound[Math.floor(j / 3)] ??= {})[LABELS[j % 3]!] = p;
  });
  const whole = byRound.filter((q) => q.A && q.B && q.C) as Array<Record<(typeof LABELS)[number], RoundFigures>>;
  const ratios = (f: (x: RoundFigures) => number, l: 'B' | 'C'): Spread => spreadWithPct(whole.map((q) => f(q[l]) / f(q.A)));
  const cpu = (x: RoundFigures): number => x.cpuPerResponseUs;
  const tput = (x: RoundFigures): number => x.throughputRps;
  const out = {
    repeat: rep,
    rounds: whole.length,
    cpuPerResponseUs: phases.map((p) => Math.round(cpu(p) * 1000) / 1000),
    cpuRatioBA: ratios(cpu, 'B'),
    cpuRatioCA: ratios(cpu, 'C'),
    throughputRatioBA: ratios(tput, 'B'),
    // Slices: run's own CPU statistic, paired cycle by cycle against A (src/client/paired.ts).
    ...(whole.every((q) => q.B.pairedCpu && q.C.pairedCpu) ? {
      cpuPairedBA: spreadWithPct(whole.map((q) => q.B.pairedCpu!.ratio)),
      cpuPairedCA: spreadWithPct(whole.map((q) => q.C.pairedCpu!.ratio)),
    } : {}),
  };
  runs.push(out);
  console.log(`A/A ${rep}/${repeats} (${whole.length} rounds of A B C in ${interleave}, V3 throughout${pin ? ', pinned' : ''}): CPU/response per phase ${out.cpuPerResponseUs.join(' ')} µs`);
  console.log(`    CPU-per-response ratio of totals B/A ${out.cpuRatioBA.median} [${out.cpuRatioBA.min}..${out.cpuRatioBA.max}] spread ${out.cpuRatioBA.spreadPct} %; C/A spread ${out.cpuRatioCA.spreadPct} %; throughput B/A spread ${out.throughputRatioBA.spreadPct} %`);
  if (out.cpuPairedBA && out.cpuPairedCA) console.log(`    paired per cycle (run's CPU ratio) B/A ${out.cpuPairedBA.median} [${out.cpuPairedBA.min}..${out.cpuPairedBA.max}] spread ${out.cpuPairedBA.spreadPct} %; C/A ${out.cpuPairedCA.median} spread ${out.cpuPairedCA.spreadPct} %`);
}
/** min, median, max and how many of the spreads are within 2 %. */
const floorOf = (spreads: number[]): { min: number; median: number; max: number; within2Pct: string } | undefined => {
  const f = [...spreads].sort((a, b) => a - b);
  return f.length ? { min: f[0]!, median: f[Math.floor(f.length / 2)]!, max: f.at(-1)!, within2Pct: `${f.filter((x) => x <= 2).length}/${f.length}` } : undefined;
};
const summary = {
  cpuRatioSpreadPct: floorOf(runs.flatMap((x) => [(x.cpuRatioBA as Spread).spreadPct, (x.cpuRatioCA as Spread).spreadPct])),
  cpuPairedSpreadPct: floorOf(runs.flatMap((x) => (x.cpuPairedBA ? [(x.cpuPairedBA as Spread).spreadPct, (x.cpuPairedCA as Spread).spreadPct] : []))),
  note: 'spread = (max - min) of the per-round ratio, in percent; the true ratio is 1. cpuPaired: the statistic run reports for V3/V2 in slices (median of per-cycle ratios); cpuRatio: the ratio of each round\'s totals',
};
const line = (name: string, f: ReturnType<typeof floorOf>): void => {
  if (f) console.log(`noise floor, ${name} (B/A and C/A over ${runs.length} A/A runs): min ${f.min} %, median ${f.median} %, max ${f.max} %, within 2 %: ${f.within2Pct}`);
};
line('CPU ratio of totals', summary.cpuRatioSpreadPct);
line('CPU ratio paired per cycle (run\'s figure)', summary.cpuPairedSpreadPct);
mkdirSync('results', { recursive: true });
writeFileSync('results/bench-noise.json', JSON.stringify({
  schema: 'pagestream-bench.bench-noise/v1',
  command: `npm run bench:noise -- --repeats ${repeats} --rounds ${rounds} --duration ${durationS} --interleave ${interleave}${rcvbufBytes !== undefined ? ` --rcvbuf ${rcvbufBytes}` : ''}${sliceS !== undefined ? ` --slice ${sliceS}` : ''}${pin ? ' --pin' : ''}`,
  interleave,
  finishedAt: new Date().toISOString(), node: process.version, cpus, loadAverage: os.loadavg(), runs, summary,
}, null, 2) + '\n');
console.log('wrote results/bench-noise.json');
