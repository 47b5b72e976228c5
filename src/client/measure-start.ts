/**
 * Where a worker's measurement starts. The hot path counts and records only
 * while measuring, behind `measuring` branches; if the warm-up never took those
 * branches, V8 compiles the hot path without type feedback for them and the
 * first measured read deoptimizes it: issue, onResponse, flushBatch, the read
 * callback and Node's onStreamRead, then everything they had inlined, were
 * compiled again inside round 1's measured window (`--trace-deopt`, ninth
 * session: ~100 ms of compiler threads, and the hot path interpreted
 * meanwhile). So the warm-up runs the measured branches too, into the real
 * figures, and the worker zeroes the measured figures when it leaves the
 * warm-up: at its first socket read, slice switch or tick that sees the next
 * phase. That is the moment the measurement started for that worker before:
 * every read loaded the phase and counted from the first that saw
 * PHASE_MEASURE. Leaving the warm-up for PHASE_STOP (aborted before measuring)
 * zeroes them too: nothing was measured.
 */
import { PHASE_CONNECT, PHASE_MEASURE, PHASE_WARMUP } from './control.js';
import type { ShardStats } from './shard-stats.js';

export class MeasureStart {
  /** The phase this worker last acted on. */
  readonly seen = new Int32Array(1);
  private readonly stats: readonly ShardStats[];

  constructor(stats: readonly ShardStats[]) {
    this.stats = stats;
    this.seen[0] = PHASE_CONNECT;
  }

  /** The phase now differs from `seen[0]` (cold: a few times per round). */
  private change(phase: number): void {
    if (this.seen[0] === PHASE_WARMUP) for (const st of this.stats) st.resetMeasured();
    this.seen[0] = phase;
  }

  /** At every socket read, switch and tick: act on `phase` if this worker has not yet. */
  observe(phase: number): void {
    if (phase !== this.seen[0]) this.change(phase);
  }
}

/** Whether the hot path takes its measured branches in `phase`: while measuring, and in the warm-up before it. */
export function recordsIn(phase: number): boolean {
  return phase === PHASE_MEASURE || phase === PHASE_WARMUP;
}
