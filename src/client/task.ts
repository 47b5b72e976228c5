/**
 * The message types between the main thread and a worker: one ShardTask per
 * worker per (round, variant) — a long-lived task that owns a shard of the
 * connections for the whole round — and the ShardResult it returns (encoded
 * histograms and counters). Plain data only (structured clone).
 */
import type { VariantName } from '../report/result.js';
import type { ConnectionTarget } from './connection.js';
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
  variant: VariantName;
  round: number;
  target: ConnectionTarget;
  rels: TargetRelation[];
  /** The key range this process reads (--shard), over all relations end to end. */
  keyLo: number;
  keyHi: number;
  /** Connections of this worker, and their global numbering (for seeds, stripes and reqids). */
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
  control: SharedArrayBuffer;
}

export interface IntervalHistogram {
  /** Seconds from the start of this round's measurement. */
  offsetS: number;
  durationS: number;
  histogram: string;
}

export interface ShardResult {
  worker: number;
  counters: number[];
  byCode: number[];
  errorsByClass: Record<string, number>;
  latency: string;
  service: string | null;
  intervals: IntervalHistogram[];
  gcCount: number;
  gcPauseMs: number;
  /** Event-loop utilisation during the measurement phase (0..1). */
  elu: number;
}
