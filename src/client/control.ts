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
 * connection sends (one variant per task, or open loop). Changed by worker
 * 0's slice conductor (conductor.ts) and announced with Atomics.notify;
 * connections read it once per socket read, the other workers wake on the
 * notify to restart the new variant's pipelines at once.
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

/**
 * The variant index holding slice k (from 0) of a round over n variants.
 * With three or more, each cycle starts one variant later (A B C, B C A,
 * C A B, …): every variant holds every place in the cycle equally often and
 * follows more than one other (with three, both others). With a fixed A B C,
 * A was always preceded by C and B by A, and the first variant cost ~1.4 %
 * more than the second (docs/performance.md, sixth session). Two variants
 * simply alternate: each is always preceded by the other, and rotating would
 * give one of them two slices in a row at every other cycle.
 */
export function sliceVariant(k: number, n: number): number {
  return n < 3 ? k % n : (k + Math.floor(k / n)) % n;
}

/**
 * The variant index whose connections a worker creates j-th (from 0) in
 * round `round` (from 1) of n variants: the first one rotates with the round,
 * so that whatever the connections created first suffer in a run (the same
 * place in the server's accept and allocation order every round) falls on
 * every variant in turn and shows as spread, not as one variant's bias.
 */
export function creationVariant(j: number, round: number, n: number): number {
  return (j + round - 1) % n;
}
