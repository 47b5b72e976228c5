/**
 * Time slices, switched from inside a worker thread. A sliced round (run.ts)
 * lets the variants take turns sending, ~10 ms each (A B C, B C A, …:
 * control.ts sliceVariant), and charges each slice's wall time and CPU to the
 * variant that held it. The conductor runs in worker 0, which owns
 * connections and is awake anyway: it checks the clock it already reads once
 * per socket read (and its 10 ms timer, in case no read comes), and at each
 * slice's end reads the process's CPU, the responses of every worker and the
 * embedded emulator's CPU, then hands the slice to the next variant.
 *
 * Why not the main thread, as before (eighth session): its hundred timer
 * wake-ups a second cost more than their own CPU. Waking a third busy thread
 * on two cores preempts the worker or the emulator each time; with the
 * switches in the worker, the client's CPU per response fell ~10 % in
 * alternated default runs (docs/performance.md, "Ninth session"), far more
 * than the 3–6 % the main and V8 helper threads themselves took.
 *
 * The main thread sets PHASE_WARMUP and then only waits: the conductor
 * starts the warm-up's slices when it sees that phase, sets PHASE_MEASURE
 * when the warm-up's cycles are done and PHASE_STOP after the measurement's,
 * and returns its SliceReport with worker 0's results. A PHASE_STOP or ABORT
 * set by anyone else (Ctrl-C, --on-mismatch abort, a failed worker) ends the
 * slice in progress, charged as measured so far, and the schedule.
 */
import { performance } from 'node:perf_hooks';
import { ABORT, ACTIVE, PHASE, PHASE_MEASURE, PHASE_STOP, PHASE_WARMUP, sliceVariant } from './control.js';
import { newSliceLog } from './paired.js';
import type { SliceLog } from './paired.js';

/** What worker 0 is told to conduct (plain data, in its ShardTask). */
export interface SlicePlan {
  /** Warm-up and measurement (ms), each run as whole cycles of slices. */
  warmMs: number;
  measureMs: number;
  /** The slice length asked for (ms): each phase's is the nearest that fills it with whole cycles. */
  sliceMs: number;
}

/** One round's measured time and CPU per variant index, and when it ran (run.ts keeps the same for phases). */
export interface VariantWindows {
  /** Per variant index: measured wall time (ms), user and system CPU (µs), emulator CPU (µs). */
  durationMs: number[];
  user: number[];
  system: number[];
  serverUs: number[];
  /** Every measured window (a slice, or a phase) as [start, end, variant index] on the recording thread's clock. */
  windows: Array<[number, number, number]>;
  /** Time slices: every measured slice in order (paired.ts); empty for phases. */
  slices: SliceLog;
}

export function newVariantWindows(n: number): VariantWindows {
  const zeros = (): number[] => new Array<number>(n).fill(0);
  return { durationMs: zeros(), user: zeros(), system: zeros(), serverUs: zeros(), windows: [], slices: newSliceLog() };
}

/** A sliced round's measurement as the conductor saw it (worker 0's clock). */
export interface SliceReport extends VariantWindows {
  /** performance.timeOrigin of the conductor's thread: its times are ms after it. */
  originMs: number;
  /** When the measurement's first slice began; -1 when it never began. */
  measureStartMs: number;
}

/** The clocks a switch reads, back to back (injected so tests can script them). */
export interface SliceClocks {
  now(): number;
  cpu(): { user: number; system: number };
  /** Every worker's responses so far, all variants, modulo 2^32. */
  responses(): number;
  /** The embedded emulator's CPU so far (ns), null when a read fails; absent without one. */
  server: (() => number | null) | null;
}

/** Slices in `totalMs`: whole cycles of n, at least one, each slice as near `sliceMs` as that allows. */
export function sliceSchedule(totalMs: number, sliceMs: number, n: number): { slices: number; sliceMs: number } {
  const cycles = Math.max(1, Math.round(totalMs / (sliceMs * n)));
  return { slices: cycles * n, sliceMs: totalMs / (cycles * n) };
}

/** Sum of a shared Int32Array of response counters, modulo 2^32 (differences with >>> 0). */
export function sumCounters(counters: Int32Array): number {
  let s = 0;
  for (let i = 0; i < counters.length; i++) s = (s + Atomics.load(counters, i)) | 0;
  return s;
}

const IDLE = 0;
const WARMING = 1;
const MEASURING = 2;
const DONE = 3;

export class SliceConductor {
  /**
   * When the current slice ends (this thread's clock, ms); +Infinity while
   * idle or done. Connections compare their per-read clock with it: a
   * Float64Array element, so the comparison never boxes.
   */
  readonly due = new Float64Array([Infinity]);
  readonly report: SliceReport;
  private state = IDLE;
  private k = 0;
  private count = 0;
  private start = 0;
  private sliceMs = 0;
  private v = 0;
  // The clocks at the start of the current slice.
  private t = 0;
  private user = 0;
  private system = 0;
  private resp = 0;
  private srv: number | null = null;

  constructor(
    private readonly control: Int32Array,
    private readonly n: number,
    private readonly plan: SlicePlan,
    private readonly clocks: SliceClocks,
    /** Variant index `v` holds the slice from `now`: restart its pipelines. */
    private readonly onSwitch: (v: number, now: number) => void,
  ) {
    this.report = { originMs: performance.timeOrigin, measureStartMs: -1, ...newVariantWindows(n) };
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * From the worker's timer: begin when the main thread has set the warm-up,
   * end when someone else stopped the round, switch when a slice is overdue
   * (no read came to do it).
   */
  poll(now: number): void {
    if (this.state === DONE) return;
    if (this.state === IDLE) {
      const phase = Atomics.load(this.control, PHASE);
      if (this.stopped()) this.finish();
      else if (phase === PHASE_WARMUP) this.begin(WARMING, this.plan.warmMs);
      return;
    }
    if (now >= this.due[0]! || this.stopped()) this.next();
  }

  /** The current slice is due (a socket read saw its clock pass `due`), or the round was stopped. */
  next(): void {
    if (this.state !== WARMING && this.state !== MEASURING) return;
    this.endSlice();
    if (this.stopped()) {
      this.finish();
      return;
    }
    if (++this.k < this.count) {
      this.handTo(sliceVariant(this.k, this.n));
      return;
    }
    if (this.state === WARMING) {
      // The measurement starts here: the phase first, then its clocks (begin).
      Atomics.store(this.control, PHASE, PHASE_MEASURE);
      this.begin(MEASURING, this.plan.measureMs);
      this.report.measureStartMs = this.t;
      return;
    }
    Atomics.store(this.control, PHASE, PHASE_STOP);
    Atomics.notify(this.control, PHASE);
    this.finish();
  }

  private stopped(): boolean {
    return Atomics.load(this.control, PHASE) === PHASE_STOP || Atomics.load(this.control, ABORT) !== 0;
  }

  private begin(state: number, totalMs: number): void {
    const s = sliceSchedule(totalMs, this.plan.sliceMs, this.n);
    this.state = state;
    this.count = s.slices;
    this.sliceMs = s.sliceMs;
    this.k = 0;
    this.readClocks();
    this.start = this.t;
    this.handTo(sliceVariant(0, this.n));
  }

  private readClocks(): void {
    const c = this.clocks;
    const cpu = c.cpu();
    this.resp = c.responses();
    this.t = c.now();
    this.srv = c.server !== null ? c.server() : null;
    this.user = cpu.user;
    this.system = cpu.system;
  }

  private handTo(v: number): void {
    this.v = v;
    // Each slice ends on the schedule (start + (k + 1) slices): lateness does not accumulate.
    this.due[0] = this.start + (this.k + 1) * this.sliceMs;
    Atomics.store(this.control, ACTIVE, v);
    // Other workers wait on ACTIVE (shard.ts); this one restarts its own pipelines now.
    Atomics.notify(this.control, ACTIVE);
    this.onSwitch(v, this.t);
  }

  /** Read the clocks and, measuring, charge the slice just ended to the variant that held it. */
  private endSlice(): void {
    const t = this.t, user = this.user, system = this.system, resp = this.resp, srv = this.srv;
    this.readClocks();
    if (this.state !== MEASURING) return;
    const v = this.v;
    const r = this.report;
    const cpuUs = this.user - user + this.system - system;
    r.durationMs[v]! += this.t - t;
    r.user[v]! += this.user - user;
    r.system[v]! += this.system - system;
    const serverNs = srv !== null && this.srv !== null ? this.srv - srv : NaN;
    if (!Number.isNaN(serverNs)) r.serverUs[v]! += serverNs / 1000;
    r.windows.push([t, this.t, v]);
    const log = r.slices;
    log.variant.push(v);
    log.durationMs.push(Math.round((this.t - t) * 1000) / 1000);
    log.cpuUs.push(cpuUs);
    log.responses.push((this.resp - resp) >>> 0);
    // NaN (null in the slice log) where a read of the emulator's CPU failed, so the arrays stay aligned.
    if (this.clocks.server !== null) log.serverCpuUs.push(Math.round(serverNs) / 1000);
  }

  private finish(): void {
    this.state = DONE;
    this.due[0] = Infinity;
  }
}
