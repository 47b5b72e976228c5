/**
 * The message types between the main thread and a worker: one ShardTask per
 * worker per round (time slices: every variant at once) or per (round,
 * variant) — a long-lived task that owns a shard of the connections for the
 * whole round — and the ShardResults it returns, one per variant (encoded
 * histograms and counters). Plain data only (structured clone).
 */
import type { VariantName } from '../report/result.js';
import type { ConnectionTarget } from './connection.js';
import type { SlicePlan, SliceReport } from './conductor.js';
import type { Pattern } from './keys.js';

export interface TargetRelation {
  spcnode: number;
  dbnode: number;
  relnode: number;
  forknum: number;
  nblocks: number;
}

export interface ShardTask {
  worker: number;
  /**
   * The variants this task runs. Several: time slices, each variant's own
   * connections open side by side, only the variant at index ACTIVE of the
   * control block sending (control.ts).
   */
  variants: VariantName[];
  round: number;
  target: ConnectionTarget;
  rels: TargetRelation[];
  /** The key range this process reads (--shard), over all relations end to end. */
  keyLo: number;
  keyHi: number;
  /** Connections of this worker per variant, and their global numbering (for seeds, stripes and reqids). */
  connections: number;
  connIdBase: number;
  totalConnections: number;
  pipeline: number;
  pattern: Pattern;
  batch: number;
  seed: number;
  lsnHi: number;
  lsnLo: number;
  nmsHi: number;
  nmsLo: number;
  verifyChecksum: boolean;
  /** ORACLE_* level (oracle.ts). */
  oracle: number;
  onMismatch: number;
  timeoutMs: number;
  /** Open loop: requests/s per connection; 0 = closed loop. */
  ratePerConnection: number;
  /** Socket receive buffer per connection (bytes); 0 = the kernel's autotuning. */
  rcvbufBytes: number;
  /** Closed loop: longest hold of a refill while a burst is still arriving (ms, stream-core.ts endRead; open loop ignores it); 0 = refill after every read. */
  refillDeferMs: number;
  /** Open loop: wake for due sends with the native sub-ms pacer (true) or only the 1 ms tick. */
  nativePacer: boolean;
  control: SharedArrayBuffer;
  /**
   * Time slices: Int32 per (worker, variant) at worker × variants + variant,
   * the worker's responses of that variant so far (all phases, modulo 2^32),
   * stored after every socket read so the conductor (worker 0) can count each slice's
   * responses at the switch (paired.ts).
   */
  responseCounters: SharedArrayBuffer;
  /** Time slices, worker 0 only: conduct the round's slices (conductor.ts). */
  slicePlan?: SlicePlan;
  /** With slicePlan: the embedded emulator, whose CPU the conductor reads at every measured switch. */
  emulatorPid?: number;
}

export interface IntervalHistogram {
  /** Seconds from the start of this round's measurement. */
  offsetS: number;
  durationS: number;
  histogram: string;
}

export interface ShardResult {
  worker: number;
  variant: VariantName;
  /** Index of the variant in the task's list (a list may name one variant twice: an A/A run). */
  slot: number;
  counters: number[];
  byCode: number[];
  errorsByClass: Record<string, number>;
  latency: string;
  service: string | null;
  /** Open loop only: send lag behind the intended time (ShardStats.sendLag). */
  sendLag: string | null;
  intervals: IntervalHistogram[];
  /** GC events of the worker thread in this variant's measured time (its slices, when sliced). */
  gcCount: number;
  gcPauseMs: number;
  /** Smallest receive buffer the kernel reported (0: none set), and connects where --rcvbuf could not be set. */
  rcvbufMinBytes: number;
  rcvbufFailed: number;
  /** Event-loop utilisation of the worker during the measurement phase (0..1), all its variants together. */
  elu: number;
  /** The conductor's measurement (worker 0 of a sliced round, on its first result only). */
  slices?: SliceReport;
}
