/**
 * Micro-benchmarks of the wire layer's hot path (tinybench):
 *   request encode V3 · V3 verify · V2 verify · checksum verify (8 KiB page) ·
 *   frame reader over 256 KiB reads of V3 GetPage response frames.
 *
 * One tinybench call runs a batch of operations (timer resolution and the
 * timer's own allocation would swamp a 10 ns operation); figures are per
 * operation. Results feed a sink that is printed, so V8 cannot drop the work.
 * For each task we count GC events twice: during the tinybench run (which
 * includes tinybench's own clock and sample bookkeeping) and during an untimed
 * loop of the same batches (ours alone; it should be 0), and report that
 * loop's CPU time per operation next to tinybench's wall-clock figures.
 *
 * Run: npm run bench:micro  (node --expose-gc dist/bench/micro.js)
 * Writes results/bench-micro.json. Targets are reported, never asserted.
 */
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeGetPageV3, verifyGetPageV3, verifyGetPageV2 } from '../src/protocol/getpage.js';
import { verifyPageChecksum } from '../src/protocol/page.js';
import { FrameReader } from '../src/protocol/frame-reader.js';
import { GcCounter } from './helpers/gc-counter.js';
import { buildFixtures, SLOTS, BLCKSZ, V3_PAYLOAD, V2_PAYLOAD } from './helpers/micro-fixtures.js';

const fx = buildFixtures(64);
// The sink is an Int32Array slot, not a `let`: a module-level number that grows
// past 2^30 is a heap number, and every update would allocate — the benchmark's
// own garbage, counted as ours.
const sinkSlot = new Int32Array(1);

const BATCH = 1024; // operations per tinybench call for the ~10 ns tasks
const PAGES = 16; // checksum: pages per call

// Each batch copies the imported sizes into locals first: an imported binding
// is a module-variable load TurboFan does not fold, and two of them per
// iteration cost ~1-2 ns — the harness's time, not the operation's.
function encodeBatch(): void {
  const { out, table } = fx;
  const mask = SLOTS - 1;
  let off = 0;
  for (let k = 0; k < BATCH; k++) {
    const i = k & mask;
    off = encodeGetPageV3(out, i * 47, table, i);
  }
  sinkSlot[0] += off + out[46]!;
}

function verifyV3Batch(): void {
  const { v3, table } = fx;
  const mask = SLOTS - 1;
  const size = V3_PAYLOAD;
  let acc = 0;
  for (let k = 0; k < BATCH; k++) {
    const i = k & mask;
    acc += verifyGetPageV3(v3, i * size, size, table, i);
  }
  if (acc !== 0) throw new Error(`V3 verify failed (${acc})`);
  sinkSlot[0] += acc + 1;
}

function verifyV2Batch(): void {
  const { v2 } = fx;
  const mask = SLOTS - 1;
  const size = V2_PAYLOAD;
  let acc = 0;
  for (let k = 0; k < BATCH; k++) acc += verifyGetPageV2(v2, (k & mask) * size, size);
  if (acc !== 0) throw new Error(`V2 verify failed (${acc})`);
  sinkSlot[0] += acc + 1;
}

let pageCursor = 0;
function checksumBatch(): void {
  const { pages } = fx;
  let ok = 0;
  for (let k = 0; k < PAGES; k++) {
    const b = (pageCursor++) & (SLOTS - 1);
    if (verifyPageChecksum(pages, b * BLCKSZ, b)) ok++;
  }
  if (ok !== PAGES) throw new Error('checksum verify failed');
  sinkSlot[0] += ok;
}

let frames = 0;
const reader = new FrameReader({
  onFrame(type, buf, off, len) {
    frames++;
    sinkSlot[0] += type + len + buf[off]!;
  },
});
function readerRound(): void {
  const { reads } = fx;
  for (let r = 0; r < reads.length; r++) reader.push(reads[r]!, 0, reads[r]!.length);
}
function readerRoundAligned(): void {
  const { alignedReads } = fx;
  for (let r = 0; r < alignedReads.length; r++) reader.push(alignedReads[r]!, 0, alignedReads[r]!.length);
}

interface TaskSpec {
  name: string;
  fn: () => void;
  /** Operations (responses, frames, pages, requests) per call. */
  ops: number;
  unit: string;
  target: string;
  meets: (nsPerOp: number) => boolean;
  /** Operations in the untimed GC-count loop (about a second of work). */
  untimedOps: number;
  /** Wire bytes per operation, for a throughput figure. */
  bytesPerOp?: number;
}

const specs: TaskSpec[] = [
  { name: 'request encode V3 (47-byte frame)', fn: encodeBatch, ops: BATCH, unit: 'request', target: '<= 25 ns', meets: (ns) => ns <= 25, untimedOps: 10_000_000 },
  { name: 'V3 verify (8 echo fields)', fn: verifyV3Batch, ops: BATCH, unit: 'response', target: '<= 12 ns', meets: (ns) => ns <= 12, untimedOps: 10_000_000 },
  { name: 'V2 verify (tag + length)', fn: verifyV2Batch, ops: BATCH, unit: 'response', target: '-', meets: () => true, untimedOps: 10_000_000 },
  { name: 'checksum verify (8 KiB page)', fn: checksumBatch, ops: PAGES, unit: 'page', target: '<= 4000 ns', meets: (ns) => ns <= 4000, untimedOps: 300_000 },
  // One call = one pass over a stream of 64 frames (527,296 bytes) cut into reads of 256 KiB,
  // so 2 of every 64 frames straddle reads and take the copying path; figures are per frame.
  { name: `frame reader, 256 KiB reads of V3 GetPage frames`, fn: readerRound, ops: fx.streamFrames, unit: 'frame', target: '>= 3 M frames/s', meets: (ns) => 1e9 / ns >= 3e6, untimedOps: 2_000_000, bytesPerOp: 8239 },
  // The same stream cut at frame boundaries (31 whole frames per read): the zero-copy path alone.
  { name: `frame reader, whole-frame reads (zero-copy path)`, fn: readerRoundAligned, ops: fx.streamFrames, unit: 'frame', target: '>= 3 M frames/s', meets: (ns) => 1e9 / ns >= 3e6, untimedOps: 2_000_000, bytesPerOp: 8239 },
];

async function main(): Promise<void> {
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  if (!hasGc) console.error('note: run with --expose-gc for a GC before each task (npm run bench:micro does)');
  const time = Number(process.env['MICRO_TIME_MS'] ?? 1000);
  const gc = new GcCounter();
  const rows: Array<Record<string, unknown>> = [];
  for (const s of specs) {
    const bench = new Bench({ name: s.name, time, warmupTime: 200 });
    bench.add(s.name, s.fn);
    await gc.reset();
    bench.runSync();
    const gcDuringTask = await gc.settle();
    const r = bench.tasks[0]!.result;
    if (!r || r.error) throw new Error(`${s.name}: ${r?.error?.message ?? 'no result'}`);
    // Same work without tinybench's clock: the GC count of our code alone.
    const calls = Math.max(1, Math.ceil(s.untimedOps / s.ops));
    await gc.reset();
    const cpu0 = process.cpuUsage();
    for (let c = 0; c < calls; c++) s.fn();
    const cpu = process.cpuUsage(cpu0);
    const gcUntimed = await gc.settle();
    // CPU time (user + system) of the untimed loop: on a shared, loaded machine
    // this is closer to the real cost than wall time, which counts the time we
    // were descheduled.
    const cpuNs = ((cpu.user + cpu.system) * 1000) / (calls * s.ops);
    const meanNs = (r.latency.mean * 1e6) / s.ops;
    const p99Ns = ((r.latency.p99 ?? r.latency.max) * 1e6) / s.ops;
    rows.push({
      task: s.name,
      unit: s.unit,
      opsPerCall: s.ops,
      meanNsPerCall: round(r.latency.mean * 1e6),
      meanNsPerOp: round(meanNs),
      p99NsPerOp: round(p99Ns),
      opsPerSec: Math.round(1e9 / meanNs),
      rmePercent: round(r.latency.rme),
      samples: r.latency.samples.length,
      cpuNsPerOpUntimed: round(cpuNs),
      gcDuringTask,
      gcUntimed,
      untimedOps: calls * s.ops,
      ...(s.bytesPerOp ? { mbPerSec: Math.round((s.bytesPerOp * 1e9) / meanNs / 1e6) } : {}),
      target: s.target,
      meetsTarget: s.meets(meanNs),
      meetsTargetCpu: s.meets(cpuNs),
    });
  }
  gc.close();
  console.table(rows.map((r) => ({
    task: r['task'], 'mean ns/op': r['meanNsPerOp'], 'p99 ns/op': r['p99NsPerOp'], 'ops/s': r['opsPerSec'],
    'rme %': r['rmePercent'], 'cpu ns/op': r['cpuNsPerOpUntimed'], gc: r['gcDuringTask'], 'gc untimed': r['gcUntimed'], target: r['target'], met: r['meetsTarget'], 'met (cpu)': r['meetsTargetCpu'],
  })));
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const file = join(root, 'results', 'bench-micro.json');
  mkdirSync(dirname(file), { recursive: true });
  const doc = {
    schema: 'pagestream-bench.micro/v1',
    command: 'npm run bench:micro',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    timePerTaskMs: time,
    notes: 'ns/op = tinybench latency per call / operations per call; gcDuringTask includes tinybench bookkeeping, gcUntimed and cpuNsPerOpUntimed come from the same work run without clocks (CPU time, not wall time)',
    tasks: rows,
    sink: sinkSlot[0],
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  console.error(`wrote ${file} (sink ${sinkSlot[0]}, frames ${frames})`);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
