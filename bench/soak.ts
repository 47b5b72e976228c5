/**
 * Scale and soak benchmark (issue 6, item 5): many connections × a deep
 * pipeline against the embedded emulator for a long time, V3 with the page
 * identity oracle on, nothing injected. Reports:
 *  - load-generator RSS (the whole process: main thread + worker threads)
 *    before the run, at the start and end of measurement, and its peak
 *    (sampled once a second, and the kernel's VmHWM);
 *  - main-thread heap after a forced GC at the start and end of measurement
 *    (worker-thread heaps cannot be collected from outside; RSS covers them);
 *  - the emulator process's RSS at the same points;
 *  - responses, mismatches, errors, wrong pages accepted (must all be 0 but
 *    responses) — "false mismatches" in a clean run.
 *
 *   npm run bench:soak                               # 1,000 × 32, 60 s
 *   npm run bench:soak -- --duration 20 --connections 200
 *
 * Writes results/bench-soak.json. Figures are reported, never asserted; the
 * exit code is 1 only if a clean response was flagged or a wrong page accepted.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { runBenchmark } from '../src/client/run.js';
import { defaultRunOptions } from '../src/client/options.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`soak: --${name} needs a positive number\n`);
    process.exit(2);
  }
  return v;
}

const durationS = arg('duration', 60);
const connections = arg('connections', 1000);
const pipeline = arg('pipeline', 32);
const cpus = os.availableParallelism?.() ?? os.cpus().length;
const workers = arg('workers', defaultRunOptions(cpus).workers);

// A GC we can call without --expose-gc on the command line (npm run bench:soak has none).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MiB = 2 ** 20;
function statusKiB(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The emulator child (a direct child whose command line has ` serve `). */
function emulatorPid(): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').split(/[\0 ]/).includes('serve')) return Number(d);
    } catch { /* raced */ }
  }
  return 0;
}

interface Sample { t: number; phase: string; rssMiB: number; emulatorRssMiB: number }
const samples: Sample[] = [];
let heapStartMiB = 0;
let heapEndMiB = 0;
let emuPid = 0;
const t0 = Date.now();

function heapAfterGc(): number {
  gc();
  return v8.getHeapStatistics().used_heap_size / MiB;
}

gc();
const rssBeforeMiB = process.memoryUsage.rss() / MiB;
const heapBeforeMiB = heapAfterGc();

process.stderr.write(`soak: ${connections} connections × ${pipeline} in flight, ${durationS} s, ${workers} worker(s), V3 with oracle, no faults\n`);
const result = await runBenchmark({
  ...defaultRunOptions(cpus),
  protocol: 'v3',
  connections,
  pipeline,
  workers,
  durationS,
  warmupS: 2,
  rounds: 1,
  oracle: true,
  onMismatch: 'count',
  timeoutS: 30,
  emulatorArgs: [],
}, {
  progress(line) {
    const phase = / measure /.test(line) ? 'measure' : 'warm-up';
    if (!emuPid) emuPid = emulatorPid();
    const s: Sample = { t: (Date.now() - t0) / 1000, phase, rssMiB: process.memoryUsage.rss() / MiB, emulatorRssMiB: emuPid ? statusKiB(emuPid, 'VmRSS') / 1024 : 0 };
    if (phase === 'measure' && !samples.some((x) => x.phase === 'measure')) heapStartMiB = heapAfterGc();
    if (phase === 'measure') heapEndMiB = heapAfterGc();
    samples.push(s);
    if (Math.round(s.t) % 10 === 0) process.stderr.write(`soak: ${line.trim()}  rss ${s.rssMiB.toFixed(0)} MiB  emulator rss ${s.emulatorRssMiB.toFixed(0)} MiB\n`);
  },
});

const measure = samples.filter((s) => s.phase === 'measure');
const v = result.variants.v3;
const round1 = (x: number): number => Math.round(x * 10) / 10;
const figures = {
  bench: 'soak',
  command: `npm run bench:soak -- ${process.argv.slice(2).join(' ')}`.trim(),
  startedAt: result.startedAt,
  node: process.version,
  cpus,
  cpuModel: os.cpus()[0]?.model,
  config: { connections, pipeline, workers, durationS, protocol: 'v3', oracle: true },
  partial: result.partial,
  responses: v?.responses ?? 0,
  throughputRps: Math.round(v?.throughputRps ?? 0),
  mismatches: v?.mismatches ?? 0,
  errors: v?.errors ?? 0,
  errorsByClass: v?.errorsByClass ?? {},
  wrongPagesAccepted: v?.undetected ?? 0,
  latencyUs: v ? { p50: v.latencyUs.p50, p99: v.latencyUs.p99, max: v.latencyUs.max } : undefined,
  clientRssMiB: {
    beforeRun: round1(rssBeforeMiB),
    measureStart: round1(measure[0]?.rssMiB ?? 0),
    measureEnd: round1(measure[measure.length - 1]?.rssMiB ?? 0),
    peakSampled: round1(Math.max(0, ...samples.map((s) => s.rssMiB))),
    peakVmHWM: round1(statusKiB('self', 'VmHWM') / 1024),
  },
  mainHeapAfterGcMiB: {
    beforeRun: round1(heapBeforeMiB),
    measureStart: round1(heapStartMiB),
    measureEnd: round1(heapEndMiB),
    growthPct: heapStartMiB > 0 ? round1(((heapEndMiB - heapStartMiB) / heapStartMiB) * 100) : null,
  },
  emulatorRssMiB: {
    measureStart: round1(measure[0]?.emulatorRssMiB ?? 0),
    measureEnd: round1(measure[measure.length - 1]?.emulatorRssMiB ?? 0),
    peakSampled: round1(Math.max(0, ...samples.map((s) => s.emulatorRssMiB))),
  },
  rssSeries: measure.map((s) => [round1(s.t), round1(s.rssMiB), round1(s.emulatorRssMiB)]),
};
const out = path.join('results', 'bench-soak.json');
mkdirSync('results', { recursive: true });
writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
const { rssSeries: _series, ...summary } = figures;
void _series;
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
process.stderr.write(`soak: wrote ${out}\n`);
process.exitCode = figures.mismatches + figures.wrongPagesAccepted > 0 ? 1 : 0;
