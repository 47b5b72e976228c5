/**
 * runBenchmark: the `run` job. Resolve the target (embedded emulator by
 * default), pre-flight, then run the rounds on a piscina pool, one
 * long-lived task per worker per round, phases driven through the shared
 * control block (connect -> warm-up -> measure -> stop).
 *
 * Closed loop over several variants: time slices. Each round opens every
 * variant's connections at once and the variants take turns sending, one
 * `--slice` each (A B C A B C …), so that drift shorter than a round — this
 * machine's throughput moves between regimes within a second — hits every
 * variant alike; worker 0 switches them (conductor.ts) while this thread
 * waits. Otherwise (one variant, open loop, --slice 0) the variants
 * run one after another within a round (phases). Client CPU is
 * process.cpuUsage() (every thread of the process) over each variant's
 * measured time: its phase, or the sum of its slices. In slices, the
 * V3-vs-V2 CPU ratio of a round is paired cycle by cycle (paired.ts).
 */
import os from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { resultEnvelope } from '../report/result.js';
import type { PagestreamResult, RoundFigures, RunConfig, Saturation, VariantName, VariantResult } from '../report/result.js';
import { UsageError } from '../protocol/errors.js';
import { hi32, lo32 } from '../protocol/u64.js';
import { formatRelTag } from '../protocol/text.js';
import {
  ABORT, ACTIVE, ALL_ACTIVE, createControl, FAILED, L_CONNECTED, L_ERRORS, L_KIB_RECEIVED, L_MISMATCHES, L_P99_US, L_RESPONSES, liveIndex, PHASE, PHASE_CONNECT,
  PHASE_MEASURE, PHASE_STOP, PHASE_WARMUP, READY,
} from './control.js';
import { parsePattern, shardRange } from './keys.js';
import { C_RESPONSES } from './shard-stats.js';
import { ON_MISMATCH_ABORT, ON_MISMATCH_COUNT, ON_MISMATCH_RECONNECT } from './stream-core.js';
import type { RunOptions } from './options.js';
import { variantsOf } from './options.js';
import { parseTargetUrl, resolveTarget } from './target.js';
import { ShardPool } from './shard-pool.js';
import { nativeAddon } from '../native/addon.js';
import { pinEmulatorAndClient } from './affinity.js';
import { rcvbufAutotuning } from './proc-cpu.js';
import { receiveBufferSupported } from './sockopt.js';
import { oracleLevel } from './oracle.js';
import type { ResolvedTarget } from './target.js';
import type { ShardResult, ShardTask } from './task.js';
import { compare, phaseFromWorkers, roundFigures, variantResult } from './aggregate.js';
import { pairedCpuRatio } from './paired.js';
import { newVariantWindows } from './conductor.js';
import type { SlicePlan, SliceReport, VariantWindows } from './conductor.js';
import type { SliceLog } from './paired.js';
import type { PhaseFigures } from './aggregate.js';

export type { RunOptions } from './options.js';
export { defaultRunOptions, variantsOf } from './options.js';

export interface RunHooks {
  /** Once a second during measurement and warm-up: the live progress line (no newline). */
  progress?(line: string): void;
  /** Notes for stderr (one line each). */
  log?(line: string): void;
  /** The target is resolved and pre-flighted (e.g. to read the emulator's management API). */
  onTargetReady?(t: { mgmt?: string; embedded: boolean; rels: string[] }): void | Promise<void>;
  /**
   * After each round (sliced) or each variant's phase of a round: its figures,
   * one per entry of the round's variant list, in that order. A programmatic
   * caller may list one variant several times (an A/A run, bench:noise); the
   * result file then merges them, this hook keeps them apart.
   */
  onRound?(round: number, figures: RoundFigures[]): void;
  /**
   * Time slices: after each round's measurement, every slice it measured
   * (paired.ts SliceLog; `run --slice-log` writes them).
   */
  onSlices?(round: number, variants: VariantName[], slices: SliceLog): void;
  /** Before the embedded emulator stops (e.g. to fetch its ground truth from /v1/faults). */
  beforeStop?(t: { mgmt?: string; embedded: boolean }): void | Promise<void>;
}

/** A worker above this event-loop utilisation means the client, not the server, set the pace. */
export const SATURATION_ELU = 0.9;
/** How long connections get to reach the page stream before measuring anyway. */
const CONNECT_WAIT_MS = 15_000;
const POLL_MS = 10;
const WAIT_STEP_MS = 100;

const MISMATCH_CODE = { count: ON_MISMATCH_COUNT, reconnect: ON_MISMATCH_RECONNECT, abort: ON_MISMATCH_ABORT } as const;

function validate(o: RunOptions): void {
  const int = (v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: ${v} is not a whole number in ${min}..${max}`);
  };
  int(o.connections, 'connections', 1, 100_000);
  int(o.pipeline, 'pipeline', 1, 65_536);
  int(o.workers, 'workers', 1, 256);
  int(o.rounds, 'rounds', 1, 1000);
  int(o.batch, 'batch', 1, 65_536);
  if (!Number.isInteger(o.rcvbufBytes) || o.rcvbufBytes < 0 || o.rcvbufBytes > 1 << 30) throw new UsageError(`--rcvbuf: ${o.rcvbufBytes} bytes is not in 0..1GiB`);
  if (!(o.durationS > 0)) throw new UsageError(`--duration: must be > 0 seconds`);
  if (!(o.sliceS >= 0)) throw new UsageError(`--slice: must be >= 0 seconds`);
  if (o.sliceS > 0 && o.sliceS < 0.005) throw new UsageError(`--slice: ${o.sliceS * 1000} ms is shorter than the 5 ms a switch needs to drain and refill; use 5ms or more, or 0 for phases`);
  if (o.pacing !== 'native' && o.pacing !== 'tick') throw new UsageError(`--pacing: ${String(o.pacing)} is not native or tick`);
  if (!(o.refillDeferS >= 0 && o.refillDeferS <= 1)) throw new UsageError(`--refill-defer: ${o.refillDeferS} s is not in 0..1s (e.g. 50us; 0 refills after every read)`);
  if (!(o.warmupS >= 0)) throw new UsageError(`--warmup: must be >= 0 seconds`);
  if (!(o.timeoutS > 0)) throw new UsageError(`--timeout: must be > 0 seconds`);
  if (o.rate !== undefined && !(o.rate > 0)) throw new UsageError(`--rate: must be > 0 requests/s`);
  if (o.shard && !(o.shard.count >= 1 && o.shard.index >= 0 && o.shard.index < o.shard.count)) throw new UsageError('--shard: expected i/n with 0 <= i < n');
  if (o.shard && o.connections < o.shard.count) throw new UsageError(`--shard: ${o.connections} connections cannot be split over ${o.shard.count} shards`);
}

/**
 * One round's measured time, CPU and windows per variant (index in the
 * round's variant list), its windows on this thread's clock (where
 * main-thread GC is charged), and its start in seconds from the run's.
 */
interface MeasureWindow extends VariantWindows {
  startS: number;
}

function newWindow(n: number, startS: number): MeasureWindow {
  return { startS, ...newVariantWindows(n) };
}

/**
 * A sliced round's window from worker 0's conductor (conductor.ts), its
 * times moved from that thread's clock to this one's (both ms after their
 * own performance.timeOrigin). `t0`: the run's start on this thread's clock.
 */
function windowFromReport(rep: SliceReport, t0: number): MeasureWindow {
  const shift = rep.originMs - performance.timeOrigin;
  const startS = rep.measureStartMs >= 0 ? (rep.measureStartMs + shift - t0) / 1000 : (performance.now() - t0) / 1000;
  return {
    startS, durationMs: rep.durationMs, user: rep.user, system: rep.system, serverUs: rep.serverUs,
    windows: rep.windows.map(([a, b, v]) => [a + shift, b + shift, v]), slices: rep.slices,
  };
}

/** Resolves when `ctl[PHASE]` is notified away from `value`, after `ms`, or at an abort. */
function phaseChangeOrAbort(ctl: Int32Array, value: number, ms: number, signal: AbortSignal | undefined): Promise<void> {
  const w = Atomics.waitAsync(ctl, PHASE, value, ms);
  if (!w.async) return Promise.resolve();
  if (!signal) return w.value.then(() => undefined);
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    void w.value.then(done);
  });
}

/**
 * Open loop: the pacing the workers use. 'native' needs the helper's pacer
 * (native/pacer.c); without it the workers tick, and the result says so.
 */
export function pacingOf(opts: Pick<RunOptions, 'pacing'>): 'native' | 'tick' {
  return opts.pacing === 'native' && typeof nativeAddon()?.pacerStart === 'function' ? 'native' : 'tick';
}

/** The run's loop, for the log: closed, or open with its rate and pacing. */
function loopNote(opts: RunOptions): string {
  if (!opts.rate) return 'closed loop';
  if (pacingOf(opts) === 'native') return `open loop ${opts.rate} req/s, sub-ms pacing`;
  return `open loop ${opts.rate} req/s, paced by the 1 ms tick${opts.pacing === 'native' ? ' (the native helper is not built)' : ''}`;
}

/** Time slices: a closed loop over several variants with a slice length set. */
function slicedRun(opts: RunOptions, variants: VariantName[]): boolean {
  return variants.length > 1 && opts.rate === undefined && opts.sliceS > 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sleepOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

export async function runBenchmark(opts: RunOptions, hooks: RunHooks = {}): Promise<PagestreamResult> {
  validate(opts);
  const pattern = parsePattern(opts.pattern);
  const variants = variantsOf(opts);
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (s: string): void => hooks.log?.(s);

  const shard = opts.shard ?? { index: 0, count: 1 };
  const [connLo, connHi] = shardRange(opts.connections, shard.index, shard.count);
  const hostConns = connHi - connLo;
  const nWorkers = Math.min(opts.workers, hostConns);
  // The worker threads start (load their modules) while the emulator starts.
  const shards = new ShardPool(nWorkers);
  let target: ResolvedTarget;
  try {
    target = await resolveTarget(opts, variants.every((v) => v === 'v2') ? 2 : 3);
  } catch (e) {
    // Often within ~50 ms of starting the workers: close() waits for them to load (shard-pool.ts).
    await shards.close();
    throw e;
  }
  // --pin: the embedded emulator on the last CPU, this process's threads on the others.
  const pinning = opts.pin && target.emulator ? pinEmulatorAndClient(target.emulator.pid) : undefined;
  if (pinning && !pinning.applied) log(`--pin skipped: ${pinning.skipped}`);
  const phases: PhaseFigures[] = [];
  let partialReason: string | undefined;
  try {
    await hooks.onTargetReady?.({ mgmt: target.mgmt, embedded: !!target.emulator, rels: target.rels.map(formatRelTag) });
    const total = target.rels.reduce((s, r) => s + r.nblocks, 0);
    const [keyLo, keyHi] = shardRange(total, shard.index, shard.count);
    const sab = createControl(nWorkers);
    const ctl = new Int32Array(sab);
    // Each worker's response total per variant (task.ts responseCounters), read by the conductor at every slice switch.
    const countersSab = new SharedArrayBuffer(4 * nWorkers * variants.length);
    const perRoundS = opts.durationS / opts.rounds;
    log(`target ${target.display}${target.emulator ? ` (emulator pid ${target.emulator.pid})` : ''}: tenant ${target.conn.tenant} timeline ${target.conn.timeline}, ${target.rels.length} relation(s), ${total} blocks; ${target.lsnSource}`);
    if (opts.rcvbufBytes > 0 && !receiveBufferSupported()) {
      log('note: --rcvbuf not applied: the native helper (native/sockopt.c) is not built (npm install builds it with node-gyp); receive buffers are left to the kernel');
    }
    if (variants.length > 1 && (opts.rcvbufBytes === 0 || !receiveBufferSupported()) && rcvbufAutotuning() === true) {
      log('note: TCP receive-buffer autotuning is on for these connections: per-round CPU ratios move by several % with each connection\'s buffer (docs/performance.md, "Fourth session"); --rcvbuf 4MiB fixes them');
    }
    log(`${variants.join(', ')} × ${opts.rounds} round(s) of ${perRoundS.toFixed(2)} s (+${opts.warmupS} s warm-up); ${hostConns} connection(s) × ${opts.pipeline} in flight on ${nWorkers} worker(s); ${loopNote(opts)}${slicedRun(opts, variants) ? `, variants in ${Math.round(opts.sliceS * 1000)} ms slices` : ''}; receive buffer ${opts.rcvbufBytes > 0 && receiveBufferSupported() ? `${Math.round(opts.rcvbufBytes / 1024)} KiB per connection` : 'autotuned by the kernel'}`);

    // Main-thread GC during measurement windows counts too.
    const mainGc: Array<{ start: number; duration: number }> = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) mainGc.push({ start: e.startTime, duration: e.duration });
    });
    obs.observe({ entryTypes: ['gc'] });

    const aborted = (): boolean => opts.signal?.aborted === true || Atomics.load(ctl, ABORT) !== 0;
    const baseTask = (w: number, variants: VariantName[], round: number): ShardTask => {
      const [a, b] = shardRange(hostConns, w, nWorkers);
      return {
        worker: w, variants, round, target: target.conn, rels: target.rels, keyLo, keyHi,
        connections: b - a, connIdBase: connLo + a, totalConnections: opts.connections,
        pipeline: opts.pipeline, pattern, batch: opts.batch, seed: opts.seed,
        lsnHi: hi32(target.requestLsn), lsnLo: lo32(target.requestLsn), nmsHi: hi32(target.notModifiedSince), nmsLo: lo32(target.notModifiedSince),
        verifyChecksum: opts.verifyChecksum, oracle: oracleLevel(opts.oracle, opts.oracleChecksum), onMismatch: MISMATCH_CODE[opts.onMismatch],
        timeoutMs: opts.timeoutS * 1000, ratePerConnection: opts.rate ? opts.rate / opts.connections : 0, control: sab,
        rcvbufBytes: opts.rcvbufBytes, responseCounters: countersSab,
        refillDeferMs: opts.refillDeferS * 1000,
        nativePacer: pacingOf(opts) === 'native',
      };
    };

    const live = { last: new Int32Array(nWorkers * 3), lastT: 0 };
    const progress = (variant: string, round: number, phaseName: string): void => {
      if (!hooks.progress) return;
      const now = performance.now();
      const dt = (now - live.lastT) / 1000;
      let resp = 0, kib = 0, mism = 0, errs = 0, p99 = 0, conns = 0;
      for (let w = 0; w < nWorkers; w++) {
        const r = Atomics.load(ctl, liveIndex(w, L_RESPONSES));
        const k = Atomics.load(ctl, liveIndex(w, L_KIB_RECEIVED));
        resp += (r - live.last[w * 3]!) >>> 0;
        kib += (k - live.last[w * 3 + 1]!) >>> 0;
        live.last[w * 3] = r;
        live.last[w * 3 + 1] = k;
        mism += Atomics.load(ctl, liveIndex(w, L_MISMATCHES));
        errs += Atomics.load(ctl, liveIndex(w, L_ERRORS));
        p99 = Math.max(p99, Atomics.load(ctl, liveIndex(w, L_P99_US)));
        conns += Atomics.load(ctl, liveIndex(w, L_CONNECTED));
      }
      live.lastT = now;
      if (dt <= 0) return;
      hooks.progress(`${variant.padEnd(11)} round ${round}/${opts.rounds} ${phaseName.padEnd(7)} ${fmt(resp / dt)} resp/s  ${(kib / 1024 / dt).toFixed(1)} MiB/s  p99 ${p99 > 0 ? p99 : "-"} us  conns ${conns}  mismatches ${mism}  errors ${errs}`);
    };

    /**
     * Wait `ms`, printing progress each second; false if aborted. Sleeps in
     * WAIT_STEP_MS steps (an abort signal wakes it at once): the main thread
     * shares the CPU the measurement counts, so it should wake rarely.
     */
    const wait = async (ms: number, variant: string, round: number, phaseName: string): Promise<boolean> => {
      const end = performance.now() + ms;
      let nextProgress = performance.now() + 1000;
      while (performance.now() < end) {
        if (aborted()) return false;
        await sleepOrAbort(Math.min(WAIT_STEP_MS, Math.max(0, end - performance.now())), opts.signal);
        if (performance.now() >= nextProgress) {
          progress(variant, round, phaseName);
          nextProgress += 1000;
        }
      }
      return !aborted();
    };

    const serverCpu = (): Promise<{ userUs: number; systemUs: number } | null> =>
      target.emulator ? target.emulator.cpuUsage().catch(() => null) : Promise.resolve(null);

    /**
     * One round of the variants `vs` on one task per worker: connect, warm up,
     * measure, stop. One variant: the whole measurement window is its (phase),
     * timed here. Several (time slices): the variants take turns sending, one
     * slice each, A B C, B C A, …, switched by worker 0's conductor
     * (conductor.ts), which also sets the measurement's start and end and
     * charges each slice's wall time and CPU (this process's; the embedded
     * emulator's) to the variant that held it. This thread only waits: its
     * wake-ups preempt the worker or the emulator on two cores. The responses
     * still in flight at a switch (at most connections × pipeline, ~0.3 ms,
     * about 3 % of a 10 ms slice) are counted for their own variant and cost
     * the next slice, which happens to every variant alike in the cyclic order.
     */
    const runRound = async (vs: VariantName[], round: number): Promise<PhaseFigures[]> => {
      const sliced = vs.length > 1;
      const label = vs.join('/');
      // Round 1 warms up twice as long: it also pays for JIT-compiling the
      // variants' code paths and growing the heap, which later rounds do not.
      const warmMs = (round === 1 ? 2 : 1) * opts.warmupS * 1000 * vs.length;
      const plan: SlicePlan | undefined = sliced ? { warmMs, measureMs: perRoundS * 1000 * vs.length, sliceMs: opts.sliceS * 1000 } : undefined;
      Atomics.store(ctl, PHASE, PHASE_CONNECT);
      Atomics.store(ctl, READY, 0);
      Atomics.store(ctl, FAILED, 0);
      Atomics.store(ctl, ACTIVE, sliced ? 0 : ALL_ACTIVE);
      for (let w = 0; w < nWorkers; w++) for (const s of [L_RESPONSES, L_KIB_RECEIVED, L_MISMATCHES, L_ERRORS, L_P99_US, L_CONNECTED]) Atomics.store(ctl, liveIndex(w, s), 0);
      live.last.fill(0);
      live.lastT = performance.now();
      let failure: unknown = null;
      const stop = (): void => {
        Atomics.store(ctl, PHASE, PHASE_STOP);
        Atomics.notify(ctl, PHASE);
      };
      const tasks = Array.from({ length: nWorkers }, (_, w) => {
        const task = baseTask(w, vs, round);
        if (w === 0 && plan) {
          task.slicePlan = plan;
          if (target.emulator) task.emulatorPid = target.emulator.pid;
        }
        return (shards.pool.run(task) as Promise<ShardResult[]>).catch((e: unknown) => {
          failure ??= e;
          Atomics.add(ctl, FAILED, 1);
          stop();
          return null;
        });
      });
      const connectDeadline = performance.now() + Math.max(CONNECT_WAIT_MS, opts.timeoutS * 1000);
      while (Atomics.load(ctl, READY) + Atomics.load(ctl, FAILED) < nWorkers && performance.now() < connectDeadline && !aborted()) await sleep(POLL_MS);
      if (Atomics.load(ctl, READY) < nWorkers && !aborted() && !failure) log(`${label} round ${round}: not every connection reached the page stream within ${Math.round(CONNECT_WAIT_MS / 1000)} s; measuring anyway`);
      let acc: MeasureWindow | null = null;
      if (!failure) {
        Atomics.store(ctl, PHASE, PHASE_WARMUP);
        if (plan) await conducted(warmMs + plan.measureMs, label, round);
        else if (await wait(warmMs, label, round, 'warm-up')) {
          const w = newWindow(vs.length, (performance.now() - t0) / 1000);
          acc = w;
          // Embedded emulator: its CPU over the same window (asked, not awaited, at the edges).
          const srv0 = serverCpu();
          const cpu0 = process.cpuUsage();
          const m0 = performance.now();
          Atomics.store(ctl, PHASE, PHASE_MEASURE);
          await wait(perRoundS * 1000, label, round, 'measure');
          Atomics.store(ctl, PHASE, PHASE_STOP);
          const m1 = performance.now();
          const cpu = process.cpuUsage(cpu0);
          const srv1 = serverCpu();
          const [a, b] = await Promise.all([srv0, srv1]);
          if (a && b) w.serverUs[0] = b.userUs + b.systemUs - a.userUs - a.systemUs;
          w.durationMs[0] = m1 - m0;
          w.user[0] = cpu.user;
          w.system[0] = cpu.system;
          w.windows.push([m0, m1, 0]);
        }
      }
      stop();
      const results = await Promise.all(tasks);
      if (failure) throw failure;
      if (plan) {
        const report = results[0]?.find((r) => r.slices !== undefined)?.slices;
        if (report) acc = windowFromReport(report, t0);
      }
      // Stopped before measuring: an empty window.
      const win = acc ?? newWindow(vs.length, (performance.now() - t0) / 1000);
      if (plan && win.slices.variant.length > 0) hooks.onSlices?.(round, vs, win.slices);
      return vs.map((variant, v) => {
        // Sliced: each variant's CPU per response against the round's first variant's, cycle by cycle.
        const paired = sliced && v > 0 ? pairedCpuRatio(win.slices, vs.length, v, 0) : undefined;
        const gcIn = mainGc.filter((e) => win.windows.some(([a, b, x]) => x === v && e.start >= a && e.start < b));
        // Interrupted before measuring: no responses, time or CPU, but the
        // mismatches and errors seen during warm-up are real and are kept.
        const phase = phaseFromWorkers(
          variant, round, win.startS, win.durationMs[v]! / 1000,
          results.flatMap((r) => (r ? r.filter((x) => x.slot === v) : [])),
          { user: win.user[v]!, system: win.system[v]! },
          { count: gcIn.length, pauseMs: gcIn.reduce((s, e) => s + e.duration, 0) },
        );
        if (paired) phase.pairedCpu = { base: vs[0]!, ratio: paired.ratio, cycles: paired.cycles };
        if (win.serverUs[v]! > 0) phase.serverCpuUs = win.serverUs[v]!;
        return phase;
      });
    };

    /**
     * A sliced round's warm-up and measurement, `totalMs` together, run by
     * worker 0's conductor: wait until it sets PHASE_STOP (it notifies), an
     * abort, or a deadline well past the schedule, printing progress once a
     * second. This thread wakes about once a second, not at every switch.
     */
    const conducted = async (totalMs: number, label: string, round: number): Promise<void> => {
      const slackMs = Math.max(CONNECT_WAIT_MS, opts.timeoutS * 1000);
      const deadline = performance.now() + totalMs + slackMs;
      let nextProgress = performance.now() + 1000;
      for (;;) {
        const phase = Atomics.load(ctl, PHASE);
        if (phase === PHASE_STOP || aborted()) return;
        const now = performance.now();
        if (now >= deadline) {
          log(`${label} round ${round}: the time slices were not done ${Math.round(slackMs / 1000)} s after their schedule; stopping the round`);
          return;
        }
        if (now >= nextProgress) {
          progress(label, round, phase === PHASE_MEASURE ? 'measure' : 'warm-up');
          nextProgress += 1000;
        }
        await phaseChangeOrAbort(ctl, phase, Math.max(1, Math.min(nextProgress, deadline) - now), opts.signal);
      }
    };

    // Time slices for a closed loop over several variants; phases otherwise.
    const sliced = slicedRun(opts, variants);
    outer: for (let round = 1; round <= opts.rounds; round++) {
      for (const vs of sliced ? [variants] : variants.map((v) => [v])) {
        const done = await runRound(vs, round);
        phases.push(...done);
        hooks.onRound?.(round, done.map(roundFigures));
        if (aborted()) {
          // A measured-but-interrupted phase is kept (it holds real data).
          partialReason = opts.signal?.aborted ? String(opts.signal.reason ?? 'aborted') : 'aborted on mismatch (--on-mismatch abort)';
          break outer;
        }
      }
    }
    obs.disconnect();
    await hooks.beforeStop?.({ mgmt: target.mgmt, embedded: !!target.emulator });
    const result = buildResult(opts, target, variants, phases, nWorkers, startedAt, partialReason);
    if (pinning) result.config.pinned = pinning.applied ?? { skipped: pinning.skipped };
    const autotuning = rcvbufAutotuning();
    if (autotuning !== null) result.config.tcpRcvbufAutotuning = autotuning;
    result.config.rcvbuf = rcvbufApplied(opts.rcvbufBytes, phases);
    addServerCpu(result, phases);
    return result;
  } finally {
    pinning?.restore();
    await shards.close();
    await target.emulator?.stop().catch(() => undefined);
  }
}

/**
 * The result of a run that never got to measure because the target could not
 * be reached or is not a pageserver (pre-flight): the configuration, every
 * variant with zero counters, marked partial with the reason. The contract
 * says the partial result is still written when `run` exits 2.
 */
export function unreachableResult(opts: RunOptions, reason: string): PagestreamResult {
  const variants = variantsOf(opts);
  let display = 'embedded';
  let password: string | undefined;
  if (opts.target !== undefined) {
    try {
      const t = parseTargetUrl(opts.target);
      display = t.display;
      password = t.password;
    } catch {
      display = '(unparsable --target)';
    }
  }
  const target: ResolvedTarget = {
    conn: { host: '', port: 0, user: '', database: '', password, tenant: opts.tenant ?? '', timeline: opts.timeline ?? '' },
    display,
    mgmt: opts.mgmt,
    rels: [],
    requestLsn: 0n,
    notModifiedSince: 0n,
    lsnSource: 'not resolved (target unreachable)',
  };
  const shard = opts.shard ?? { index: 0, count: 1 };
  const [lo, hi] = shardRange(opts.connections, shard.index, shard.count);
  const r = buildResult(opts, target, variants, [], Math.max(1, Math.min(opts.workers, hi - lo)), new Date(), reason);
  r.config.rels = opts.rels;
  for (const v of variants) r.variants[v] = variantResult([], opts.oracle);
  return r;
}

function buildResult(
  opts: RunOptions, target: ResolvedTarget, variants: VariantName[], phases: PhaseFigures[], nWorkers: number,
  startedAt: Date, partialReason: string | undefined,
): PagestreamResult {
  const config: RunConfig = {
    target: target.display,
    mgmt: target.mgmt && !target.emulator ? target.mgmt : undefined,
    tenant: target.conn.tenant,
    timeline: target.conn.timeline,
    rels: target.rels.map(formatRelTag),
    relationBlocks: target.rels.map((r) => r.nblocks),
    protocol: opts.protocol,
    variants,
    connections: opts.connections,
    pipeline: opts.pipeline,
    workers: nWorkers,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    rounds: opts.rounds,
    interleave: slicedRun(opts, variants) ? 'slices' : 'phases',
    sliceS: slicedRun(opts, variants) ? opts.sliceS : undefined,
    // Whole nanoseconds: "200us" parses to 0.00019999999999999998 s.
    refillDeferS: opts.rate === undefined ? Math.round(opts.refillDeferS * 1e9) / 1e9 : 0,
    rate: opts.rate,
    ...(opts.rate !== undefined ? { pacing: pacingOf(opts) } : {}),
    pattern: opts.pattern,
    batch: opts.batch,
    lsn: opts.lsn,
    lsnSource: target.lsnSource,
    seed: opts.seed,
    verifyChecksum: opts.verifyChecksum,
    onMismatch: opts.onMismatch,
    timeoutS: opts.timeoutS,
    shard: opts.shard,
    oracle: opts.oracle || undefined,
    emulatorArgs: target.emulator ? opts.emulatorArgs : undefined,
    auth: target.conn.password !== undefined ? 'jwt (redacted)' : 'trust',
  };
  const out: Partial<Record<VariantName, VariantResult>> = {};
  const intervals: NonNullable<PagestreamResult['intervals']> = {};
  for (const v of variants) {
    const ps = phases.filter((p) => p.variant === v);
    if (ps.length === 0) continue;
    out[v] = variantResult(ps, opts.oracle);
    intervals[v] = ps.flatMap((p) => p.intervals);
  }
  const comparison: PagestreamResult['comparison'] = {};
  if (out.v2) {
    if (out.v3) comparison.v3 = compare(out.v3, out.v2);
    if (out['v3-noverify']) comparison['v3-noverify'] = compare(out['v3-noverify'], out.v2);
  }
  const maxElu = Math.max(0, ...phases.flatMap((p) => p.elu));
  const saturation: Saturation = {
    clientLimited: maxElu > SATURATION_ELU,
    reasons: maxElu > SATURATION_ELU ? [`a worker's event loop was ${(maxElu * 100).toFixed(0)}% busy (> ${SATURATION_ELU * 100}%): the load generator limited the measurement`] : [],
    maxWorkerElu: Math.round(maxElu * 1000) / 1000,
  };
  if (saturation.clientLimited) {
    const cpus = os.availableParallelism?.() ?? os.cpus().length;
    saturation.suggestion = nWorkers < Math.max(1, cpus - 1) ? `raise --workers (now ${nWorkers}; this machine has ${cpus} CPUs)` : `run the load generator on more cores or hosts (--shard i/n), or lower --connections × --pipeline`;
  }
  return {
    ...resultEnvelope(startedAt, partialReason),
    config: JSON.parse(JSON.stringify(config)) as RunConfig,
    variants: out,
    comparison,
    saturation,
    intervals,
  };
}

/**
 * What --rcvbuf did: the size asked for, the smallest buffer the kernel
 * reported on any connection (null: set on none), and the connects where it
 * could not be set (no native helper, or setsockopt failed).
 */
function rcvbufApplied(requestedBytes: number, phases: PhaseFigures[]): NonNullable<RunConfig['rcvbuf']> {
  let min = 0;
  let failed = 0;
  for (const w of phases.flatMap((p) => p.workers)) {
    if (w.rcvbufMinBytes > 0) min = min === 0 ? w.rcvbufMinBytes : Math.min(min, w.rcvbufMinBytes);
    failed += w.rcvbufFailed;
  }
  return { requestedBytes, appliedBytes: min > 0 ? min : null, connectsWithout: failed };
}

/**
 * Additive field `server` on each variant (embedded emulator only): the
 * emulator process's CPU per response over the same measurement windows, so a
 * reader can see which side of the socket is the expensive one.
 */
function addServerCpu(r: PagestreamResult, phases: PhaseFigures[]): void {
  for (const [name, v] of Object.entries(r.variants)) {
    const ps = phases.filter((p) => p.variant === name && p.serverCpuUs !== undefined);
    const us = ps.reduce((s, p) => s + p.serverCpuUs!, 0);
    const responses = ps.reduce((s, p) => s + p.counters[C_RESPONSES]!, 0);
    if (v && responses > 0) (v as VariantResult & { server?: { cpuUs: number; cpuPerResponseUs: number } }).server = { cpuUs: Math.round(us), cpuPerResponseUs: Math.round((us / responses) * 1e6) / 1e6 };
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
