import os from 'node:os';
import { VERSION } from '../version.js';

/**
 * The result file, `pagestream-bench.result/v1` (contract.md). One type shared
 * by `run` (writer), `report`, `gate`, `merge`, `faults` and `sweep` (readers).
 * Fields named in contract.md must stay; add optional fields freely.
 */

export const RESULT_SCHEMA = 'pagestream-bench.result/v1';

export type VariantName = 'v2' | 'v3' | 'v3-noverify';
export const VARIANT_NAMES: readonly VariantName[] = ['v2', 'v3', 'v3-noverify'];

export interface LatencySummaryUs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** p99.99 and p99.999, for the "nines" plots. */
  p9999?: number;
  p99999?: number;
  max: number;
  min?: number;
  mean: number;
  stddev?: number;
  count: number;
  /** HdrHistogram, standard compressed base64 encoding (hdr-histogram-js encodeIntoCompressedBase64). */
  histogram: string;
}

/** Figures for one variant in one round (rounds interleave variants: A B C A B C …). */
export interface RoundFigures {
  round: number;
  /** Seconds since the run started, at the start of this round's measurement. */
  startS: number;
  durationS: number;
  responses: number;
  errors: number;
  mismatches: number;
  throughputRps: number;
  bytesReceived: number;
  bytesSent: number;
  p50Us: number;
  p99Us: number;
  /** Client CPU (user + system, all threads) per response, microseconds. */
  cpuPerResponseUs: number;
  /**
   * Time slices only (additive): this variant's client CPU per response
   * against `base` (the round's first variant) measured cycle by cycle, the
   * median over the round's cycles (src/client/paired.ts).
   */
  pairedCpu?: PairedCpu;
  /** Additive: socket reads per response in this round (how many responses one read carried, inverted). */
  readsPerResponse?: number;
  /** Additive, embedded emulator: its CPU per response over this variant's measured time in this round. */
  serverCpuPerResponseUs?: number;
}

export interface PairedCpu {
  base: VariantName;
  ratio: number;
  cycles: number;
}

export interface VariantResult {
  responses: number;
  /** Page-stream Error responses and connection errors. */
  errors: number;
  /** Responses that did not answer their request (any field). */
  mismatches: number;
  /** Mismatches by field name (VERIFY_CODE_NAMES): reqid, request_lsn, blkno, checksum, … */
  mismatchesByField: Record<string, number>;
  /** Errors by class: e.g. "pagestream: Not found", "connection: ECONNRESET", "timeout". */
  errorsByClass: Record<string, number>;
  reconnects: number;
  durationS: number;
  throughputRps: number;
  bytesReceived: number;
  bytesSent: number;
  /** Measured mean bytes per GetPage response frame (bytesReceived over the stream / responses). */
  responseFrameBytes: number;
  requestFrameBytes: number;
  /** Received MiB per second. */
  bandwidthMiBps: number;
  /** Latency (closed loop: from actual send; open loop: from intended send time, CO-corrected). */
  latencyUs: LatencySummaryUs;
  /** Open loop only: service time from actual send. */
  serviceTimeUs?: LatencySummaryUs;
  /** Open loop only: sends that fell behind schedule (more than 1 ms late). */
  behindSchedule?: number;
  /**
   * Open loop only: how late the client sent, from each request's intended
   * time to its actual send (µs; on time is recorded as 1). Latency from the
   * intended time is this plus the service time; --pacing decides most of it
   * while the client keeps up. Absent in results written before it existed.
   */
  sendLagUs?: LatencySummaryUs;
  cpu: { userUs: number; systemUs: number; perResponseUs: number };
  gc: { count: number; pauseMs: number; perMillionResponses: number };
  /** Event-loop utilisation (0..1) of each worker thread. */
  eventLoopUtilization: number[];
  rounds: RoundFigures[];
  /** Emulator/oracle checks (fault study): wrong pages accepted by the verifier. */
  undetected?: number;
  /** Socket reads and writes per response in the measured time (syscall batching, measured). */
  readsPerResponse?: number;
  writesPerResponse?: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Comparison {
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  bandwidthDeltaPct: number;
  /**
   * Median over rounds of the per-round CPU-per-response ratio. Its per-round
   * figure is the paired one (RoundFigures.pairedCpu) when every round has
   * it (time slices, `cpuPerResponseRatioFrom: 'cycles'`), else the ratio of
   * the round's totals (`'totals'`).
   */
  cpuPerResponseRatio?: number;
  cpuPerResponseRatioFrom?: 'cycles' | 'totals';
  /** Median over rounds of the ratio of each round's CPU-per-response totals (additive; same as cpuPerResponseRatio when that is from totals). */
  cpuPerResponseRatioTotals?: number;
  responseFrameBytesDeltaPct?: number;
  /** Per-round ratios: median and min–max over rounds (same-run, so drift cancels). */
  spread?: Partial<Record<'throughputRatio' | 'p50Ratio' | 'p99Ratio' | 'cpuPerResponseRatio' | 'cpuPerResponseRatioTotals' | 'bandwidthDeltaPct', Spread>>;
}

export interface Saturation {
  /** True when the load generator, not the server, limited the measurement. */
  clientLimited: boolean;
  reasons: string[];
  maxWorkerElu: number;
  suggestion?: string;
}

export interface RunConfig {
  target: string; // 'embedded' or a postgres:// URL with the password removed
  mgmt?: string;
  tenant?: string;
  timeline?: string;
  rels: string[];
  protocol: 'v2' | 'v3' | 'both';
  connections: number;
  pipeline: number;
  workers: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /**
   * How the variants interleave within a round: 'slices' (every variant's
   * connections open, taking turns sending, `sliceS` each) or 'phases' (one
   * variant after another). Absent in results written before it existed.
   */
  interleave?: 'slices' | 'phases';
  sliceS?: number;
  /**
   * Closed loop: the longest a refill was held while a server burst was still
   * arriving (--refill-defer; 0: refill after every read, and always in open
   * loop). Absent in results written before it existed (they refilled after every read).
   */
  refillDeferS?: number;
  /**
   * Open loop only: what woke workers for sends between reads: 'native' (a
   * sub-ms timer at each due send) or 'tick' (Node's 1 ms timer: sends up to
   * ~1 ms late). Absent in closed loop and in results written before it
   * existed (those ticked).
   */
  pacing?: 'native' | 'tick';
  /** Linux, this host: net.ipv4.tcp_moderate_rcvbuf (receive-buffer autotuning) was on. */
  tcpRcvbufAutotuning?: boolean;
  /**
   * --rcvbuf: the socket receive buffer asked for (0: the kernel's
   * autotuning), the smallest the kernel reported on any connection (null:
   * none set), and the connects where it could not be set.
   */
  rcvbuf?: { requestedBytes: number; appliedBytes: number | null; connectsWithout: number };
  rate?: number;
  pattern: string;
  batch: number;
  lsn: string;
  seed: number;
  verifyChecksum: boolean;
  onMismatch: 'count' | 'reconnect' | 'abort';
  shard?: { index: number; count: number };
  /** Anything else the command recorded (never secrets). */
  [k: string]: unknown;
}

export interface PagestreamResult {
  schema: typeof RESULT_SCHEMA;
  tool: { name: 'pagestream-bench'; version: string };
  node: string;
  cpus: number;
  cpuModel?: string;
  platform: string;
  hostname?: string;
  startedAt: string; // ISO 8601
  finishedAt: string;
  /** True when the run was interrupted (signal, abort) and holds what was measured so far. */
  partial: boolean;
  partialReason?: string;
  config: RunConfig;
  variants: Partial<Record<VariantName, VariantResult>>;
  /** `v3` and `v3-noverify` against `v2`. */
  comparison: Partial<Record<'v3' | 'v3-noverify', Comparison>>;
  saturation?: Saturation;
  /** Per-second interval histograms per variant (for --hlog and time plots); optional. */
  intervals?: Partial<Record<VariantName, Array<{ startS: number; durationS: number; histogram: string }>>>;
  /** Set by `faults`. */
  faults?: unknown;
  /** Set by `sweep`. */
  sweep?: unknown;
  /** Set by `merge`: the shards this result was merged from. */
  mergedFrom?: Array<{ file: string; shard?: { index: number; count: number } }>;
}

/** The fields every result file starts with: schema, tool, machine, time window, partial flag. */
export type ResultEnvelope = Pick<PagestreamResult, 'schema' | 'tool' | 'node' | 'cpus' | 'cpuModel' | 'platform' | 'hostname' | 'startedAt' | 'finishedAt' | 'partial' | 'partialReason'>;

/** Build the envelope for a result that started at `startedAt` and ends now. */
export function resultEnvelope(startedAt: Date | string, partialReason?: string): ResultEnvelope {
  const cpus = os.cpus();
  return {
    schema: RESULT_SCHEMA,
    tool: { name: 'pagestream-bench', version: VERSION },
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    platform: `${process.platform}-${process.arch}`,
    hostname: os.hostname(),
    startedAt: typeof startedAt === 'string' ? startedAt : startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    partial: partialReason !== undefined,
    ...(partialReason !== undefined ? { partialReason } : {}),
  };
}
