/**
 * bench:e2e — the load generator's targets, measured end to end against the
 * embedded emulator (its own process), real sockets:
 *   (a) client CPU per response at 4 connections × 32 in flight, every variant
 *       (target <= 1.6 us), and the V3-vs-V2 CPU-per-response ratio spread
 *       over interleaved rounds (target <= 2 %);
 *   (b) `npm start` (default options) wall time (target <= 30 s);
 *   (c) 1,000 connections × 32 in flight: no error, peak client RSS (target <= 200 MiB).
 * Figures are printed and written to results/bench-e2e.json with the commands.
 * Beside (a), the issue's own reference in the same stretch: its raw Node pair
 * (bench:ceiling arm (a): precomputed frames, no histograms, 4 × 32), two
 * rounds just before (a) and two just after. The issue assumes that pair at
 * 1.2–1.45 µs per response; on this VM it moves with the machine, and so does
 * every client's figure, so (a) is printed against it too.
 * After (a), (a') runs it again with --refill-defer 0 (refill after every
 * read, as the raw pair does): what holding refills for the end of each
 * server burst buys, in the same stretch.
 * Usage: npm run bench:e2e [-- --duration 9 --rounds 3 --duration1000 4 --skip-cpu --skip-raw --skip-refill-ab --skip-start --skip-1000 --pin]
 * (--pin: the (a) run pins the emulator and the load generator to separate CPUs, run --pin; the raw pair likewise)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { defaultRunOptions, runBenchmark } from '../src/client/run.js';
import { spreadOf } from '../src/report/compare.js';
import type { PagestreamResult } from '../src/report/result.js';
import type { RunOptions } from '../src/client/options.js';
import { childArm, forkedServer, type ArmRound } from './ceiling/child-arm.js';
import { enablePinning } from './ceiling/pin.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const has = (name: string): boolean => args.includes(`--${name}`);
const BIN = fileURLToPath(new URL('../../bin/pagestream-bench.js', import.meta.url));
const cpus = os.availableParallelism?.() ?? os.cpus().length;

function peakRss<T>(body: () => Promise<T>): Promise<{ value: T; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return body().then((value) => {
    clearInterval(t);
    return { value, peakRssMiB: Math.round((peak / 1048576) * 10) / 10 };
  });
}

/** `rounds` rounds of the issue's raw Node pair (bench:ceiling arm (a)) at 4 × 32, 3 s each after 1 s of warm-up. */
async function rawPair(rounds: number): Promise<ArmRound[]> {
  if (has('pin')) enablePinning();
  const params = { connections: 4, pipeline: 32, warmupS: 1, durationS: 3 };
  const arm = childArm({ name: 'raw', label: '(a) raw pair', server: forkedServer('raw', './raw-server.js', [], [JSON.stringify({ pages: 1, split: false })]), clientScript: './raw-client.js', params, timeoutS: 60 });
  const out: ArmRound[] = [];
  await arm.start();
  try {
    for (let r = 1; r <= rounds; r++) out.push(await arm.round(r));
  } finally {
    await arm.stop().catch(() => undefined);
  }
  return out;
}

async function armCpu(): Promise<Record<string, unknown>> {
  const withRaw = !has('skip-raw');
  const before = withRaw ? await rawPair(2) : [];
  const durationS = arg('duration', 9);
  const o = { ...defaultRunOptions(cpus), durationS, rounds: arg('rounds', 3), connections: 4, pipeline: 32, pin: has('pin') };
  const r: PagestreamResult = await runBenchmark(o, { log: (s) => process.stderr.write(s + '\n') });
  const per = Object.fromEntries(Object.entries(r.variants).map(([k, v]) => [k, {
    cpuPerResponseUs: v!.cpu.perResponseUs, throughputRps: v!.throughputRps, gcPerMillion: v!.gc.perMillionResponses,
    elu: v!.eventLoopUtilization, perRound: v!.rounds.map((x) => x.cpuPerResponseUs),
  }]));
  const spread = r.comparison.v3?.spread?.cpuPerResponseRatio;
  const spreadPct = spread ? (spread.max - spread.min) * 100 : NaN;
  const worst = worstCpuUs(r);
  console.log(`(a) 4 conn x 32, ${o.rounds} rounds, ${durationS} s/variant: client CPU/response ${Object.entries(per).map(([k, v]) => `${k} ${v.cpuPerResponseUs.toFixed(3)} us`).join(', ')} (target <= 1.6 us: ${worst <= 1.6 ? 'met' : 'NOT met'})`);
  const from = r.comparison.v3?.cpuPerResponseRatioFrom;
  console.log(`    V3/V2 CPU-per-response ratio (${from === 'cycles' ? 'paired per cycle, run\'s figure' : 'round totals'}) median ${spread?.median.toFixed(4)} [${spread?.min.toFixed(4)}..${spread?.max.toFixed(4)}] spread ${spreadPct.toFixed(2)} % (target <= 2 %: ${spreadPct <= 2 ? 'met' : 'NOT met'})`);
  const totals = r.comparison.v3?.spread?.cpuPerResponseRatioTotals;
  const totalsPct = totals ? (totals.max - totals.min) * 100 : NaN;
  if (from === 'cycles' && totals) console.log(`    ratio of the round totals: median ${totals.median.toFixed(4)} [${totals.min.toFixed(4)}..${totals.max.toFixed(4)}] spread ${totalsPct.toFixed(2)} %`);
  let raw: Record<string, unknown> | undefined;
  if (withRaw) {
    const after = await rawPair(2);
    const us = (rs: ArmRound[]): number[] => rs.map((x) => x.clientCpuPerResponseUs);
    const medianUs = spreadOf([...us(before), ...us(after)])?.median ?? NaN;
    const f = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`    same stretch, the issue's raw Node pair (bench:ceiling arm (a), 4 x 32): ${f(us(before))} us before, ${f(us(after))} us after, median ${medianUs.toFixed(3)} us (the issue assumes 1.2-1.45 us); worst variant ${worst.toFixed(3)} us = ${(worst / medianUs).toFixed(3)} x the raw pair`);
    raw = { rounds: [...before, ...after], clientCpuPerResponseUs: { before: us(before), after: us(after), median: medianUs }, worstVariantVsRawPair: worst / medianUs };
  }
  const refillPerRead = has('skip-refill-ab') ? undefined : await refillAb(o, r, worst);
  return { command: `npm run bench:e2e -- --duration ${durationS}${o.pin ? ' --pin' : ''}`, pinned: r.config.pinned ?? false, perVariant: per, v3VsV2CpuRatio: spread, cpuRatioFrom: from, spreadPct, v3VsV2CpuRatioTotals: totals, totalsSpreadPct: totalsPct, saturation: r.saturation, ...(raw ? { rawPair: raw } : {}), ...(refillPerRead ? { refillPerRead } : {}) };
}

/** The client CPU per response of the dearest variant (the target is for every variant). */
function worstCpuUs(r: PagestreamResult): number {
  return Math.max(...Object.values(r.variants).map((v) => v!.cpu.perResponseUs));
}

/** What one variant's figures say about the load shape: writes per response, throughput, latency, requests in flight (Little). */
function shapeOf(r: PagestreamResult): { writesPerResponse: number; throughputRps: number; p50Us: number; p99Us: number; meanInFlight: number } {
  const v = r.variants.v3 ?? Object.values(r.variants)[0]!;
  return { writesPerResponse: v.writesPerResponse ?? NaN, throughputRps: v.throughputRps, p50Us: v.latencyUs.p50, p99Us: v.latencyUs.p99, meanInFlight: (v.throughputRps * v.latencyUs.mean) / 1e6 };
}

/**
 * (a') The same run right after, refilling after every read (--refill-defer 0),
 * as before the deferral and as the raw pair does: what holding refills to the
 * end of each server burst changes, side by side in one stretch.
 */
async function refillAb(o: RunOptions, held: PagestreamResult, worstHeld: number): Promise<Record<string, unknown>> {
  const r: PagestreamResult = await runBenchmark({ ...o, refillDeferS: 0 }, { log: (s) => process.stderr.write(s + '\n') });
  const worst = worstCpuUs(r);
  const a = shapeOf(held), b = shapeOf(r);
  const f = (x: ReturnType<typeof shapeOf>): string => `${x.writesPerResponse.toFixed(3)} writes/response, ${Math.round(x.throughputRps / 1000)}k/s, p50 ${x.p50Us} us, p99 ${x.p99Us} us, ${x.meanInFlight.toFixed(1)} in flight`;
  console.log(`(a') the same with --refill-defer 0 (refill after every read): worst variant ${worst.toFixed(3)} us; held per burst / per read = ${(worstHeld / worst).toFixed(3)}`);
  console.log(`    V3, held per burst: ${f(a)}`);
  console.log(`    V3, per read:       ${f(b)}`);
  return { worstVariantUs: worst, heldVsPerRead: worstHeld / worst, heldPerBurst: a, perRead: b, perVariant: Object.fromEntries(Object.entries(r.variants).map(([k, v]) => [k, v!.cpu.perResponseUs])) };
}

function armStart(): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, 'run', '--out', 'results/bench-e2e-npm-start.json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('exit', (code) => {
      const s = (Date.now() - t0) / 1000;
      const table = /V3 vs V2/.test(out);
      console.log(`(b) npm start (node bin/pagestream-bench.js run): ${s.toFixed(1)} s, exit ${code}, table printed: ${table} (target <= 30 s: ${s <= 30 && table ? 'met' : 'NOT met'})`);
      resolve({ command: 'npm start', wallS: s, exit: code, tablePrinted: table });
    });
  });
}

async function arm1000(): Promise<Record<string, unknown>> {
  const o = { ...defaultRunOptions(cpus), protocol: 'v3' as const, connections: 1000, pipeline: 32, durationS: arg('duration1000', 4), rounds: 1, warmupS: 1, timeoutS: 30 };
  const { value: r, peakRssMiB } = await peakRss(() => runBenchmark(o, { log: (s) => process.stderr.write(s + '\n') }));
  const v = r.variants.v3!;
  const ok = v.errors === 0 && v.mismatches === 0 && peakRssMiB <= 200;
  console.log(`(c) 1000 conn x 32: ${v.responses} responses, ${v.errors} errors, ${v.mismatches} mismatches, peak client RSS ${peakRssMiB} MiB (target no error, <= 200 MiB: ${ok ? 'met' : 'NOT met'})`);
  if (v.mismatches > 0) console.log(`    mismatches by field: ${JSON.stringify(v.mismatchesByField)}, reconnects ${v.reconnects}`);
  return { command: 'npm run bench:e2e (arm c)', responses: v.responses, errors: v.errors, errorsByClass: v.errorsByClass, mismatchesByField: v.mismatchesByField, peakRssMiB, throughputRps: v.throughputRps };
}

const out: Record<string, unknown> = { node: process.version, cpus, cpuModel: os.cpus()[0]?.model, loadavg: os.loadavg(), at: new Date().toISOString() };
if (!has('skip-cpu')) out.cpu = await armCpu();
if (!has('skip-start')) out.npmStart = await armStart();
if (!has('skip-1000')) out.connections1000 = await arm1000();
mkdirSync('results', { recursive: true });
writeFileSync('results/bench-e2e.json', JSON.stringify(out, null, 2) + '\n');
console.log('wrote results/bench-e2e.json');
