/**
 * What one worker thread measures, shared by all its connections: latency
 * histograms (recorded only in the measurement phase) and plain counters.
 * Counters are numbers in one Float64Array so the hot path does indexed
 * stores, never property creation, and the cold path reads them by name.
 */
import { VERIFY_CODES } from '../protocol/getpage.js';
import { createHistogram } from '../stats/histogram.js';
import type { Histogram } from '../stats/histogram.js';

export const C_RESPONSES = 0; // measured responses
export const C_ERRORS = 1; // all phases
export const C_MISMATCHES = 2; // all phases
export const C_BYTES_RECEIVED = 3; // measured, every byte read from the sockets
export const C_BYTES_SENT = 4; // measured, every byte written
export const C_STREAM_BYTES_RECEIVED = 5; // measured, bytes read while in the page stream
export const C_REQUESTS = 6; // measured requests sent
export const C_RECONNECTS = 7; // all phases
export const C_BEHIND = 8; // measured open-loop sends behind schedule
export const C_UNDETECTED = 9; // all phases: oracle said wrong page, verifier accepted it
export const C_ALL_RESPONSES = 10; // all phases (for progress and ground-truth comparisons)
export const C_ALL_BYTES_RECEIVED = 11; // all phases (progress line)
export const C_READS = 12; // measured: socket read callbacks
export const C_WRITES = 13; // measured: socket writes (flushes)
export const C_COUNT = 14;
/** The counters that count only while measuring (ShardStats.resetMeasured zeroes them). */
const MEASURED_COUNTERS = [C_RESPONSES, C_BYTES_RECEIVED, C_BYTES_SENT, C_STREAM_BYTES_RECEIVED, C_REQUESTS, C_BEHIND, C_READS, C_WRITES];

export class ShardStats {
  readonly c = new Float64Array(C_COUNT);
  /** Mismatches by verify code (VERIFY_CODE_NAMES), all phases. */
  readonly byCode = new Float64Array(VERIFY_CODES);
  /** Errors by class, cold path (an error response or a dropped connection). */
  readonly errorsByClass = new Map<string, number>();
  /** Latency: closed loop from actual send, open loop from intended send. Completed intervals are added here (rotate). */
  readonly latency: Histogram = createHistogram();
  /** Open loop only: from actual send. */
  readonly service: Histogram = createHistogram();
  /** Open loop only: each measured send's lag behind its intended time (µs; 0 is recorded as 1). */
  readonly sendLag: Histogram = createHistogram();
  /** Smallest receive buffer the kernel reported after --rcvbuf (0: none set), and connects where it could not be set. */
  rcvbufMinBytes = 0;
  rcvbufFailed = 0;
  /** The current one-second interval (rotated by the worker's tick). */
  interval: Histogram = createHistogram();

  /** Close the current interval: add it to the total and start a fresh one. Returns the closed interval. */
  rotate(): Histogram {
    const done = this.interval;
    this.latency.add(done);
    return done;
  }

  /**
   * Zero what counts only while measuring (the C_ counters marked "measured"
   * above, and the histograms); the all-phase counters, mismatches and errors
   * stay. At the end of the warm-up, which takes the measured code paths too
   * (measure-start.ts).
   */
  resetMeasured(): void {
    for (const k of MEASURED_COUNTERS) this.c[k] = 0;
    this.interval.reset();
    this.latency.reset();
    this.service.reset();
    this.sendLag.reset();
  }

  error(cls: string): void {
    this.c[C_ERRORS]!++;
    this.errorsByClass.set(cls, (this.errorsByClass.get(cls) ?? 0) + 1);
  }
}

/** Reduce an error message to a class: drop ids, numbers and quoted parts so counts group. */
export function errorClass(prefix: string, message: string): string {
  const m = message
    .replace(/[0-9a-f]{32}/gi, '<id>')
    .replace(/\b[0-9A-F]{1,8}\/[0-9A-F]{1,8}\b/gi, '<lsn>')
    .replace(/\d+/g, 'N')
    .slice(0, 80);
  return `${prefix}: ${m}`;
}
