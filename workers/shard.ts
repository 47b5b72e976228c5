/**
 * Piscina task: run this worker's shard of the connections for one
 * (round, variant), following the phases the main thread sets in the shared
 * control block (connect -> warm-up -> measure -> stop), and return encoded
 * histograms and counters. One task per worker per round — never per request.
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { PageStreamConnection } from '../src/client/connection.js';
import {
  ABORT, L_CONNECTED, L_ERRORS, L_KIB_RECEIVED, L_MISMATCHES, L_P99_US, L_RESPONSES, liveIndex, PHASE, PHASE_CONNECT, PHASE_MEASURE, PHASE_STOP, READY,
} from '../src/client/control.js';
import { BlockChooser, makeKeySpace } from '../src/client/keys.js';
import { ReadArena } from '../src/client/stream-reader.js';
import { C_ALL_BYTES_RECEIVED, C_ALL_RESPONSES, C_ERRORS, C_MISMATCHES, ShardStats } from '../src/client/shard-stats.js';
import { MODE_V2, MODE_V3, MODE_V3_NOVERIFY } from '../src/client/stream-core.js';
import type { StreamSpec } from '../src/client/stream-core.js';
import type { IntervalHistogram, ShardResult, ShardTask } from '../src/client/task.js';
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

export default async function runShard(task: ShardTask): Promise<ShardResult> {
  const control = new Int32Array(task.control);
  const stats = new ShardStats();
  const arena = new ReadArena(READ_BUFFER_BYTES, task.connections);
  const ks = makeKeySpace(task.rels.map((r) => r.nblocks), task.keyLo, task.keyHi);
  const rels = {
    spcnode: Uint32Array.from(task.rels, (r) => r.spcnode),
    dbnode: Uint32Array.from(task.rels, (r) => r.dbnode),
    relnode: Uint32Array.from(task.rels, (r) => r.relnode),
    forknum: Uint8Array.from(task.rels, (r) => r.forknum),
  };
  const mode = task.variant === 'v2' ? MODE_V2 : task.variant === 'v3' ? MODE_V3 : MODE_V3_NOVERIFY;
  let ready = 0;
  const conns: PageStreamConnection[] = [];
  for (let k = 0; k < task.connections; k++) {
    const id = task.connIdBase + k;
    const spec: StreamSpec = {
      mode, pipeline: task.pipeline, verifyChecksum: task.verifyChecksum, oracle: task.oracle, onMismatch: task.onMismatch,
      rels, lsnHi: task.lsnHi, lsnLo: task.lsnLo, nmsHi: task.nmsHi, nmsLo: task.nmsLo,
      rateRps: task.ratePerConnection, reqidHi: (process.pid * 1024 + id) >>> 0,
    };
    const chooser = new BlockChooser(ks, task.pattern, task.batch, task.seed + task.round * 7919, id, task.totalConnections);
    conns.push(new PageStreamConnection(task.target, spec, chooser, stats, arena, control, task.timeoutMs, {
      onFirstReady: () => {
        if (++ready === task.connections) Atomics.add(control, READY, 1);
      },
    }));
  }

  // GC events of this thread during the measurement window.
  let measureStart = -1;
  let measureEnd = -1;
  const gcEntries: Array<{ start: number; duration: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });

  const intervals: IntervalHistogram[] = [];
  let intervalStart = 0;
  let eluStart: EventLoopUtilization | null = null;
  let elu = 0;
  let started = 0;
  let lastTimeoutCheck = 0;
  let lastPublish = 0;
  let lastP99 = 0;
  let streaming = false;
  const openLoop = task.ratePerConnection > 0;
  const live = (slot: number): number => liveIndex(task.worker, slot);

  const publish = (now: number): void => {
    Atomics.store(control, live(L_RESPONSES), stats.c[C_ALL_RESPONSES]! | 0);
    Atomics.store(control, live(L_MISMATCHES), stats.c[C_MISMATCHES]! | 0);
    Atomics.store(control, live(L_ERRORS), stats.c[C_ERRORS]! | 0);
    Atomics.store(control, live(L_KIB_RECEIVED), (stats.c[C_ALL_BYTES_RECEIVED]! / 1024) | 0);
    let connected = 0;
    for (const c of conns) if (c.inStream) connected++;
    Atomics.store(control, live(L_CONNECTED), connected);
    if (now - lastP99 >= 1000) {
      lastP99 = now;
      Atomics.store(control, live(L_P99_US), stats.latency.totalCount > 0 ? stats.latency.getValueAtPercentile(99) : 0);
    }
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const phase = Atomics.load(control, PHASE);
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
      }
      if (phase === PHASE_MEASURE && measureStart < 0) {
        measureStart = now;
        intervalStart = now;
        // No reset here: histograms are recorded only while measuring (the hot
        // path reads the phase per socket read), so they already hold exactly
        // the measured responses, including any before this tick noticed the phase.
        eluStart = performance.eventLoopUtilization();
      }
      if (measureStart >= 0 && measureEnd < 0 && now - intervalStart >= 1000) {
        intervals.push({ offsetS: (intervalStart - measureStart) / 1000, durationS: (now - intervalStart) / 1000, histogram: encodeHistogram(stats.rotate()) });
        stats.interval.reset();
        intervalStart = now;
      }
      if (now - lastPublish >= PUBLISH_MS) {
        lastPublish = now;
        publish(now);
      }
      if (phase === PHASE_STOP || Atomics.load(control, ABORT) !== 0) {
        clearInterval(timer);
        // The hot path records by the phase it reads per socket read, so a
        // measurement window shorter than one tick may have recorded responses
        // before this timer ever saw PHASE_MEASURE: they still get their interval.
        if (measureStart < 0 && stats.interval.totalCount > 0) {
          measureStart = now;
          intervalStart = now;
          eluStart = performance.eventLoopUtilization();
        }
        if (measureStart >= 0) {
          measureEnd = now;
          if (stats.interval.totalCount > 0 || now - intervalStart > 1) {
            intervals.push({ offsetS: (intervalStart - measureStart) / 1000, durationS: (now - intervalStart) / 1000, histogram: encodeHistogram(stats.rotate()) });
          }
          elu = performance.eventLoopUtilization(eluStart!).utilization;
        }
        for (const c of conns) c.close();
        publish(now);
        resolve();
      }
    }, openLoop ? OPEN_LOOP_TICK_MS : TICK_MS);
  });

  // Let the observer deliver the last GC entries before counting.
  await new Promise((r) => setTimeout(r, 5));
  obs.disconnect();
  let gcCount = 0;
  let gcPauseMs = 0;
  for (const e of gcEntries) {
    if (measureStart >= 0 && e.start >= measureStart && e.start <= measureEnd) {
      gcCount++;
      gcPauseMs += e.duration;
    }
  }
  return {
    worker: task.worker,
    counters: Array.from(stats.c),
    byCode: Array.from(stats.byCode),
    errorsByClass: Object.fromEntries(stats.errorsByClass),
    latency: encodeHistogram(stats.latency),
    service: openLoop ? encodeHistogram(stats.service) : null,
    intervals,
    gcCount,
    gcPauseMs,
    elu,
  };
}
