/**
 * Piscina task: run this worker's shard of the connections for one round —
 * of one variant, or of every variant at once in time slices — following the
 * phases the main thread sets in the shared control block (connect -> warm-up
 * -> measure -> stop), and return encoded histograms and counters, one result
 * per variant. One task per worker per round — never per request.
 *
 * Time slices: each variant has its own connections and its own ShardStats;
 * only the variant at index ACTIVE of the control block sends. Worker 0
 * conducts the slices (conductor.ts): its connections check the slice's end
 * at every socket read, its timer at every tick, and it restarts the new
 * variant's pipelines itself. Other workers wait on ACTIVE with
 * Atomics.waitAsync, so their pipelines refill within microseconds of the
 * switch, not at the next tick.
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { SliceConductor, sumCounters } from '../src/client/conductor.js';
import { PageStreamConnection } from '../src/client/connection.js';
import {
  ABORT, ACTIVE, creationVariant, L_CONNECTED, L_ERRORS, L_KIB_RECEIVED, L_MISMATCHES, L_P99_US, L_RESPONSES, liveIndex, PHASE, PHASE_CONNECT,
  PHASE_MEASURE, PHASE_STOP, READY,
} from '../src/client/control.js';
import { BlockChooser, makeKeySpace } from '../src/client/keys.js';
import { MeasureStart } from '../src/client/measure-start.js';
import { ProcessCpuReader } from '../src/client/proc-cpu.js';
import { nativeAddon } from '../src/native/addon.js';
import { ReadArena } from '../src/client/stream-reader.js';
import type { ShardWorkerData } from '../src/client/shard-pool.js';
import { C_ALL_BYTES_RECEIVED, C_ALL_RESPONSES, C_ERRORS, C_MISMATCHES, ShardStats } from '../src/client/shard-stats.js';
import { MODE_V2, MODE_V3, MODE_V3_NOVERIFY } from '../src/client/stream-core.js';
import type { StreamSpec } from '../src/client/stream-core.js';
import type { IntervalHistogram, ShardResult, ShardTask } from '../src/client/task.js';
import type { VariantName } from '../src/report/result.js';
import { encodeHistogram } from '../src/stats/histogram.js';

/** Connections allowed in the handshake at once (a server's accept backlog is finite). */
const MAX_CONNECTING = 64;
/** Timer period: phase changes, interval rotation, live counters; open loop sends. */
const TICK_MS = 10;
const OPEN_LOOP_TICK_MS = 1;
const TIMEOUT_CHECK_MS = 100;
const PUBLISH_MS = 100;
/** Every read of every connection in this thread lands here (consumed synchronously). */
const READ_BUFFER_BYTES = 256 * 1024;
/** Passes of the interval path on scratch histograms before round 1 (primeIntervalPath). */
const PRIME_ITERATIONS = 60;

/**
 * Run the once-a-second interval path — add the interval into the round's
 * total, encode it, reset it, read the total's p99 — on a scratch ShardStats,
 * once per worker thread, before round 1's histograms exist. That path
 * generalizes the histogram class's field representations the first time it
 * runs; on the real histograms, in the first second of round 1's measurement,
 * that changed their map under the compiled hot path: recordFastCount,
 * updateMinAndMax and addToCountAtIndex deoptimized ("wrong map"), then add
 * and getValueAtPercentile, and all were compiled again inside the measured
 * window (`--trace-deopt`, docs/performance.md, ninth session; the eighth
 * session's warm-up sink tripped over the same). Run first on a scratch
 * object, the histograms built afterwards start with the final map, and the
 * interval path is optimized before it is measured. The per-response call
 * (recordFastCount) is not made here: its feedback stays the sockets'.
 */
let primed = false;
function primeIntervalPath(): void {
  if (primed) return;
  primed = true;
  const st = new ShardStats();
  for (let i = 0; i < PRIME_ITERATIONS; i++) {
    for (let k = 0; k < 64; k++) st.interval.recordValueWithCount(200 + k * 37 + i, 1 + (k & 7));
    encodeHistogram(st.rotate());
    st.interval.reset();
    if (st.latency.totalCount > 0) st.latency.getValueAtPercentile(99);
  }
}

function modeOf(v: VariantName): number {
  return v === 'v2' ? MODE_V2 : v === 'v3' ? MODE_V3 : MODE_V3_NOVERIFY;
}

export default async function runShard(task: ShardTask): Promise<ShardResult[]> {
  primeIntervalPath();
  const control = new Int32Array(task.control);
  const responseCounters = new Int32Array(task.responseCounters);
  const nv = task.variants.length;
  const stats = task.variants.map(() => new ShardStats());
  const arena = new ReadArena(READ_BUFFER_BYTES, task.connections * nv);
  const ks = makeKeySpace(task.rels.map((r) => r.nblocks), task.keyLo, task.keyHi);
  const rels = {
    spcnode: Uint32Array.from(task.rels, (r) => r.spcnode),
    dbnode: Uint32Array.from(task.rels, (r) => r.dbnode),
    relnode: Uint32Array.from(task.rels, (r) => r.relnode),
    forknum: Uint8Array.from(task.rels, (r) => r.forknum),
  };
  let ready = 0;
  const conns: PageStreamConnection[] = [];
  const byVariant: PageStreamConnection[][] = task.variants.map(() => []);
  // Variant-major order, so one variant's connections start first; which one rotates
  // with the round (control.ts creationVariant). Connection k of every variant has the
  // same id, hence the same block sequence: each variant reads the same pages.
  for (let j = 0; j < nv; j++) {
    const v = creationVariant(j, task.round, nv);
    const variant = task.variants[v]!;
    for (let k = 0; k < task.connections; k++) {
      const id = task.connIdBase + k;
      const spec: StreamSpec = {
        mode: modeOf(variant), pipeline: task.pipeline, verifyChecksum: task.verifyChecksum, oracle: task.oracle, onMismatch: task.onMismatch,
        rels, lsnHi: task.lsnHi, lsnLo: task.lsnLo, nmsHi: task.nmsHi, nmsLo: task.nmsLo,
        rateRps: task.ratePerConnection, reqidHi: (process.pid * 1024 + id) >>> 0, rcvbufBytes: task.rcvbufBytes,
        refillDeferMs: task.refillDeferMs,
      };
      const chooser = new BlockChooser(ks, task.pattern, task.batch, task.seed + task.round * 7919, id, task.totalConnections);
      const c = new PageStreamConnection(task.target, spec, chooser, stats[v]!, arena, control, task.timeoutMs, {
        onFirstReady: () => {
          if (++ready === conns.length) Atomics.add(control, READY, 1);
        },
      }, v);
      c.countResponsesIn(responseCounters, task.worker * nv + v);
      conns.push(c);
      byVariant[v]!.push(c);
    }
  }

  // GC events of this thread during the measurement window.
  let measureStart = -1;
  let measureEnd = -1;
  const gcEntries: Array<{ start: number; duration: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });

  // Time slices: which variant held the slice from when (this thread's clock), for GC attribution.
  // run.ts sets ACTIVE to a variant index before it starts a sliced task and
  // keeps it one until the task ends, so every value seen here indexes byVariant.
  let active = Atomics.load(control, ACTIVE);
  const switchAt: number[] = [performance.now()];
  const switchTo: number[] = [active];
  const handSliceTo = (a: number, now: number): void => {
    active = a;
    switchAt.push(now);
    switchTo.push(a);
    for (const c of byVariant[a]!) c.resume(now);
  };
  // Worker 0 of a sliced round conducts; the others follow ACTIVE.
  const server = task.slicePlan && task.emulatorPid !== undefined ? new ProcessCpuReader(task.emulatorPid) : null;
  const conductor = task.slicePlan && nv > 1
    ? new SliceConductor(control, nv, task.slicePlan, {
      now: () => performance.now(),
      cpu: () => process.cpuUsage(),
      responses: () => sumCounters(responseCounters),
      server: server !== null ? () => server.read() : null,
    }, handSliceTo)
    : null;
  if (conductor !== null) for (const c of conns) c.conductedBy(conductor);
  // One measurement start for all this worker's connections, every variant's stats.
  const measureStartOf = new MeasureStart(stats);
  for (const c of conns) c.measuredBy(measureStartOf);
  let watching = nv > 1 && conductor === null;
  const onActive = (): void => {
    if (!watching) return;
    const a = Atomics.load(control, ACTIVE);
    if (a !== active) handSliceTo(a, performance.now());
    watch();
  };
  const watch = (): void => {
    if (!watching) return;
    const w = Atomics.waitAsync(control, ACTIVE, active);
    if (w.async) void w.value.then(onActive);
    else onActive();
  };
  watch();
  /** The variant index holding the slice at time t (sliced tasks only). */
  const activeAt = (t: number): number => {
    let k = switchAt.length - 1;
    while (k > 0 && switchAt[k]! > t) k--;
    return switchTo[k]!;
  };

  const intervals: IntervalHistogram[][] = task.variants.map(() => []);
  let intervalStart = 0;
  let eluStart: EventLoopUtilization | null = null;
  let elu = 0;
  let started = 0;
  let lastTimeoutCheck = 0;
  let lastPublish = 0;
  let lastP99 = 0;
  let streaming = false;
  const openLoop = task.ratePerConnection > 0;
  // Open loop: between socket reads only a timer can send what the schedule
  // makes due. Node's timers are 1 ms (libuv's heap is in ms), so with the tick
  // alone a send leaves up to ~1.1 ms after its intended time, and latency
  // from the intended time carries that. The native pacer (a timerfd one-shot
  // on this thread's loop) wakes the thread at the earliest due send instead;
  // each wake sends what is due on every connection and re-arms for the next.
  // A connection with a full pipeline is left to its responses' refills.
  const pacer = openLoop && task.nativePacer ? nativeAddon() : null;
  const pace = (): void => {
    const now = performance.now();
    let next = Infinity;
    for (let k = 0; k < started; k++) {
      const due = conns[k]!.pace(now);
      if (due < next) next = due;
    }
    // Beyond the next tick, the tick re-arms (it calls pace too).
    if (next - now < OPEN_LOOP_TICK_MS) pacer!.pacerArm((next - now) * 1000);
  };
  const live = (slot: number): number => liveIndex(task.worker, slot);
  const sumOf = (index: number): number => stats.reduce((s, st) => s + st.c[index]!, 0);

  const publish = (now: number): void => {
    Atomics.store(control, live(L_RESPONSES), sumOf(C_ALL_RESPONSES) | 0);
    Atomics.store(control, live(L_MISMATCHES), sumOf(C_MISMATCHES) | 0);
    Atomics.store(control, live(L_ERRORS), sumOf(C_ERRORS) | 0);
    Atomics.store(control, live(L_KIB_RECEIVED), (sumOf(C_ALL_BYTES_RECEIVED) / 1024) | 0);
    let connected = 0;
    for (const c of conns) if (c.inStream) connected++;
    Atomics.store(control, live(L_CONNECTED), connected);
    if (now - lastP99 >= 1000) {
      lastP99 = now;
      let p99 = 0;
      for (const st of stats) if (st.latency.totalCount > 0) p99 = Math.max(p99, st.latency.getValueAtPercentile(99));
      Atomics.store(control, live(L_P99_US), p99);
    }
  };
  const rotate = (now: number, always: boolean): void => {
    stats.forEach((st, v) => {
      if (always || st.interval.totalCount > 0 || now - intervalStart > 1) {
        intervals[v]!.push({ offsetS: (intervalStart - measureStart) / 1000, durationS: (now - intervalStart) / 1000, histogram: encodeHistogram(st.rotate()) });
      }
      st.interval.reset();
    });
    intervalStart = now;
  };

  if (pacer) {
    pacer.pacerStop(); // a task that ended abnormally may have left this thread's pacer running
    if (pacer.pacerStart(pace) !== 0) throw new Error('the native pacer did not start (timerfd_create or uv_poll_init failed)');
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      // First: it may start the warm-up's slices, or set the measurement's start or end.
      conductor?.poll(now);
      const phase = Atomics.load(control, PHASE);
      // No read since the phase changed (all connections idle or gone): zero the warm-up's figures here.
      measureStartOf.observe(phase);
      // Start connections gradually: at most MAX_CONNECTING in the handshake at once.
      if (started < conns.length) {
        let inHandshake = 0;
        for (let k = 0; k < started; k++) if (!conns[k]!.inStream) inHandshake++;
        while (started < conns.length && inHandshake < MAX_CONNECTING) {
          conns[started++]!.connect();
          inHandshake++;
        }
      }
      if (phase !== PHASE_CONNECT && !streaming) {
        streaming = true;
        for (const c of conns) c.startIfWaiting();
      }
      if (openLoop || now - lastTimeoutCheck >= TIMEOUT_CHECK_MS) {
        lastTimeoutCheck = now;
        for (let k = 0; k < started; k++) conns[k]!.tick(now);
        if (pacer) pace();
      }
      if (phase === PHASE_MEASURE && measureStart < 0) {
        measureStart = now;
        intervalStart = now;
        // No reset here: the warm-up's figures were zeroed when this worker
        // first saw the phase (measure-start.ts: at a read, a switch, or the
        // observe() above), so the histograms hold exactly the measured
        // responses, including any before this tick noticed the phase.
        eluStart = performance.eventLoopUtilization();
      }
      if (measureStart >= 0 && measureEnd < 0 && now - intervalStart >= 1000) rotate(now, true);
      if (now - lastPublish >= PUBLISH_MS) {
        lastPublish = now;
        publish(now);
      }
      if (phase === PHASE_STOP || Atomics.load(control, ABORT) !== 0) {
        clearInterval(timer);
        watching = false;
        // The hot path records by the phase it reads per socket read, so a
        // measurement window shorter than one tick may have recorded responses
        // before this timer ever saw PHASE_MEASURE: they still get their interval.
        if (measureStart < 0 && stats.some((st) => st.interval.totalCount > 0)) {
          measureStart = now;
          intervalStart = now;
          eluStart = performance.eventLoopUtilization();
        }
        if (measureStart >= 0) {
          measureEnd = now;
          rotate(now, false);
          elu = performance.eventLoopUtilization(eluStart!).utilization;
        }
        for (const c of conns) c.close();
        publish(now);
        resolve();
      }
    }, openLoop ? OPEN_LOOP_TICK_MS : TICK_MS);
  });

  pacer?.pacerStop();
  server?.close();
  // Let the observer deliver the last GC entries before counting.
  await new Promise((r) => setTimeout(r, 5));
  obs.disconnect();
  const gcCount = new Array<number>(nv).fill(0);
  const gcPauseMs = new Array<number>(nv).fill(0);
  for (const e of gcEntries) {
    if (measureStart < 0 || e.start < measureStart || e.start > measureEnd) continue;
    // A GC pause belongs to the variant whose slice it fell in (to the only variant, unsliced).
    const a = nv === 1 ? 0 : activeAt(e.start);
    gcCount[a]!++;
    gcPauseMs[a]! += e.duration;
  }
  return task.variants.map((variant, v) => {
    const st = stats[v]!;
    return {
      worker: task.worker,
      variant,
      slot: v,
      counters: Array.from(st.c),
      byCode: Array.from(st.byCode),
      errorsByClass: Object.fromEntries(st.errorsByClass),
      latency: encodeHistogram(st.latency),
      service: openLoop ? encodeHistogram(st.service) : null,
      sendLag: openLoop ? encodeHistogram(st.sendLag) : null,
      intervals: intervals[v]!,
      gcCount: gcCount[v]!,
      gcPauseMs: gcPauseMs[v]!,
      rcvbufMinBytes: st.rcvbufMinBytes,
      rcvbufFailed: st.rcvbufFailed,
      elu,
      ...(conductor !== null && v === 0 ? { slices: conductor.report } : {}),
    };
  });
}

// Last statement of the module: every import above has been evaluated. The
// main thread never terminates a worker before this count (shard-pool.ts):
// terminating one mid-load aborts the process. Counted in a microtask, not
// here: piscina loads this file with require(esm) inside a promise callback,
// and after evaluation require() still instantiates a facade module; a
// termination landing there aborts too (module_wrap.cc,
// CreateRequiredModuleFacade). A microtask queued now runs as soon as that
// callback, require() included, has returned. Not setImmediate: once loaded,
// piscina's worker blocks in Atomics.wait until a task comes, so the event
// loop would not turn before close().
queueMicrotask(() => {
  const data = workerData as ShardWorkerData | undefined;
  if (data?.loaded) Atomics.add(new Int32Array(data.loaded), 0, 1);
});
