/**
 * The paired CPU ratio of a sliced round. The variants take turns in slices
 * of ~10 ms, one cycle holding one slice of each (control.ts sliceVariant);
 * the slices of one cycle run within ~30 ms of each other, on the same
 * machine state. So the ratio of two variants' CPU per response is measured
 * per cycle, and the round's figure is the median over its cycles.
 *
 * Why not the ratio of the round's totals: on a shared VM a slice's CPU per
 * response moves by 4–33 % (sd) with whatever the host does in those
 * milliseconds, with a long right tail (slices in which the client
 * stalled: ~10 ms of CPU for a tenth of the usual responses). The totals
 * carry every tail slice into the ratio at full weight; the per-cycle ratio
 * cancels what hits both slices of a cycle and the median ignores what hits
 * one. In A/A runs (`npm run bench:noise`,
 * docs/performance.md "Seventh session") the median spread over rounds fell
 * from 1.46 % to 0.67 % (max 3.98 % to 1.46 %). The totals remain the
 * per-variant CPU per response, and their ratio is reported beside this one.
 */
import { spreadOf } from '../report/compare.js';

/**
 * One round's measured slices in the order they ran: which variant held each,
 * how long, its CPU and its responses (also written by `run --slice-log`).
 */
export interface SliceLog {
  /** Variant index (in the round's variant list) holding slice k. */
  variant: number[];
  /** Wall time of slice k (ms). */
  durationMs: number[];
  /** Client CPU (user + system, µs) spent during slice k. */
  cpuUs: number[];
  /** Responses (every variant's) received during slice k. */
  responses: number[];
  /** Embedded emulator: its CPU (µs) during slice k (NaN: the read of its CPU failed); empty otherwise. */
  serverCpuUs: number[];
}

export function newSliceLog(): SliceLog {
  return { variant: [], durationMs: [], cpuUs: [], responses: [], serverCpuUs: [] };
}

export interface PairedRatio {
  /** Median over cycles of (CPU per response of `v` in the cycle) / (of `base` in the same cycle). */
  ratio: number;
  /** Cycles that counted (both slices had responses). */
  cycles: number;
}

/**
 * The paired ratio of variant `v` against variant `base` over a round of
 * `n` variants: cycle c is slices c·n … c·n+n−1 (each variant once). A cycle
 * where either slice received nothing (stalled, reconnecting), or the base
 * slice shows no CPU, does not count; undefined when no cycle counts.
 *
 * The responses of a slice are every response received while it ran: the
 * first ~0.3 ms of a slice still completes the previous variant's requests,
 * and that CPU is in the slice too, so both sides of the division cover the
 * same work. Under the rotation every variant follows every other equally often.
 */
export function pairedCpuRatio(log: Pick<SliceLog, 'variant' | 'cpuUs' | 'responses'>, n: number, v: number, base: number): PairedRatio | undefined {
  const cycles = Math.floor(log.variant.length / n);
  const ratios: number[] = [];
  for (let c = 0; c < cycles; c++) {
    let x = -1;
    let b = -1;
    for (let k = c * n; k < c * n + n; k++) {
      if (log.variant[k] === v) x = k;
      if (log.variant[k] === base) b = k;
    }
    if (x < 0 || b < 0 || !(log.responses[x]! > 0) || !(log.responses[b]! > 0)) continue;
    const q = (log.cpuUs[x]! / log.responses[x]!) / (log.cpuUs[b]! / log.responses[b]!);
    // No CPU read in the base slice (a clock that did not move): not a ratio (spreadOf drops it too).
    if (Number.isFinite(q)) ratios.push(q);
  }
  const s = spreadOf(ratios);
  return s && { ratio: s.median, cycles: ratios.length };
}
