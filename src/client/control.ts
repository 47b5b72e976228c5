/**
 * The control block shared by the main thread and every worker (one
 * SharedArrayBuffer of Int32, read and written with Atomics): the phase of the
 * current measurement round, a ready count, an abort flag, and per-worker live
 * counters that the main thread turns into the once-a-second progress line.
 * Workers publish their counters from a timer, not per response; counters are
 * u32 totals that may wrap, so readers use deltas modulo 2^32.
 */
export const PHASE = 0;
export const READY = 1;
export const ABORT = 2;
export const FAILED = 3; // workers that could not start (bug or fatal setup error)
/**
 * Time slices (run.ts): the index, in the task's variant list, of the one
 * variant whose connections may send requests; ALL_ACTIVE when every
 * connection sends (one variant per task, or open loop). Changed by the main
 * thread and announced with Atomics.notify; connections read it once per
 * socket read, the worker wakes on the notify to restart the new variant's
 * pipelines at once.
 */
export const ACTIVE = 4;
export const ALL_ACTIVE = -1;
const HEADER = 8;

export const PHASE_CONNECT = 0;
export const PHASE_WARMUP = 1;
export const PHASE_MEASURE = 2;
export const PHASE_STOP = 3;

/** Per-worker live slots. */
export const L_RESPONSES = 0; // all phases
export const L_MISMATCHES = 1;
export const L_ERRORS = 2;
export const L_KIB_RECEIVED = 3; // all phases
export const L_P99_US = 4; // current round, measured
export const L_CONNECTED = 5; // connections currently in the stream
const SLOTS = 8;

export function createControl(workers: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (HEADER + SLOTS * workers));
  new Int32Array(sab)[ACTIVE] = ALL_ACTIVE;
  return sab;
}

/** Whether the connections of variant index `v` may send now. */
export function mayIssue(control: Int32Array, v: number): boolean {
  const a = Atomics.load(control, ACTIVE);
  return a === ALL_ACTIVE || a === v;
}

export function liveIndex(worker: number, slot: number): number {
  return HEADER + SLOTS * worker + slot;
}
