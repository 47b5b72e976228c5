/**
 * RunOptions: what `runBenchmark` takes. Mirrors the `run` CLI options
 * (contract.md) plus programmatic ones used by the fault study and the sweep
 * (`oracle`, `emulatorArgs`, `variants`, `signal`).
 */
import type { VariantName } from '../report/result.js';

export type OnMismatch = 'count' | 'reconnect' | 'abort';

export interface RunOptions {
  /** postgres://[user[:password]@]host:port; absent: start the embedded emulator. */
  target?: string;
  /** Management API base URL, for discovery (tenants, timelines, relations, last_record_lsn). */
  mgmt?: string;
  tenant?: string;
  timeline?: string;
  /** RelTags `spc/db/rel[.fork]`; empty: discover through the management API. */
  rels: string[];
  protocol: 'v2' | 'v3' | 'both';
  /** Overrides `protocol`: exactly these variants, in this order per round. */
  variants?: VariantName[];
  connections: number;
  pipeline: number;
  workers: number;
  /** Measured seconds per variant, split evenly over the rounds. */
  durationS: number;
  /** Warm-up seconds per variant and round (discarded). */
  warmupS: number;
  rounds: number;
  /**
   * Socket receive buffer of every connection (bytes), set at connect
   * (sockopt.ts); it also turns off the kernel's autotuning for the socket,
   * so every connection gets the same. 0: leave it to the kernel.
   */
  rcvbufBytes: number;
  /**
   * Closed loop with several variants: the length of one time slice (s).
   * Every variant's connections stay open for the whole round and the
   * variants take turns sending, one slice each, A B C A B C …, so drift
   * shorter than a round hits them alike. 0: one variant after another per
   * round (phases). Open loop always runs phases (a schedule cannot pause).
   */
  sliceS: number;
  /**
   * Closed loop: how long (s) the refill of freed slots may be held while a
   * read ends inside a frame, i.e. while the server's burst is still
   * arriving; the refill then goes out with the burst's last read, one write
   * per burst instead of one per read (stream-core.ts endRead). 0: refill
   * after every read.
   */
  refillDeferS: number;
  /** Open loop: total requests/s over all connections; undefined = closed loop. */
  rate?: number;
  /**
   * Open loop: what wakes a worker for a send between socket reads. 'native':
   * a timerfd one-shot at the earliest due send (native/pacer.c), so sends
   * leave within tens of µs of their intended time; 'tick': Node's 1 ms timer
   * only, so sends leave up to ~1 ms late and latency from the intended time
   * carries that. 'native' falls back to 'tick' where the helper is not built.
   */
  pacing: 'native' | 'tick';
  pattern: string;
  batch: number;
  /** latest | replica | X/Y */
  lsn: string;
  seed: number;
  verifyChecksum: boolean;
  onMismatch: OnMismatch;
  /** No response for this long with requests in flight: an error, and a reconnect. */
  timeoutS: number;
  /** This host's part of a multi-host run (connections and key space). */
  shard?: { index: number; count: number };
  /**
   * Embedded emulator only: check every accepted page's identity stamp and
   * data checksum (ground truth), count wrong or corrupted pages accepted as `undetected`.
   */
  oracle: boolean;
  /**
   * With `oracle`: also verify each accepted page's data checksum (default
   * true). false keeps the oracle to the 25-byte identity stamp, for runs that
   * measure cost (the checksum is ~1 us per page) and inject no corruption.
   */
  oracleChecksum?: boolean;
  /** Extra arguments for the embedded emulator (e.g. `--faults swap=0.01`). */
  emulatorArgs: string[];
  /** Embedded emulator only: pin it to the last CPU and this process to the others (affinity.ts). */
  pin?: boolean;
  /** Abort the run: stops within a moment and returns what was measured, marked partial. */
  signal?: AbortSignal;
}

/**
 * Default time slice (s): ~4 k responses at 4 × 32 here, and ~0.3 ms of
 * drain and refill at each switch. The machine's own slowdowns last tens of
 * milliseconds; the shorter the slice, the more of one falls on every variant
 * alike, down to where the switches' cost shows. Chosen by A/A runs alternated
 * back to back (docs/performance.md, fifth and sixth sessions): median spread
 * of the per-round ratio 0.8 % at 10 ms against 2.2 % at 5 ms and 1.7 % at
 * 15 ms; 1.6 % at 10 ms against 2.0 % at 30 ms; 1.4 % at 30 ms against 3.0 %
 * at 100 ms.
 */
export const DEFAULT_SLICE_S = 0.01;

/**
 * Default --refill-defer: 50 µs. On loopback the rest of a burst follows a
 * read that ended inside a frame within ~20 µs: bounds of 50 µs, 200 µs and
 * 1 ms all gave one write per 32-response burst, 20 µs 0.034 writes per
 * response and 10 µs 0.046–0.050. Short against a page-stream round trip,
 * so where frames trickle in over a real link and most reads end inside
 * one, a connection's refills wait at most 50 µs. Measured in
 * docs/performance.md, "Tenth session".
 */
export const DEFAULT_REFILL_DEFER_S = 50e-6;

/**
 * Default --rcvbuf: 4 MiB, 16 times the 256 KiB a connection has in flight at
 * the default 32 × 8 KiB; Linux doubles it for bookkeeping, capped by
 * net.core.rmem_max unless the process may force it.
 */
export const DEFAULT_RCVBUF_BYTES = 4 * 1024 * 1024;

export function defaultWorkers(cpus: number): number {
  return Math.max(1, cpus - 1);
}

/** Defaults chosen so `npm start` (3 rounds × 3 variants) finishes well within 30 s. */
export function defaultRunOptions(cpus: number): RunOptions {
  return {
    rels: [],
    protocol: 'both',
    connections: 4,
    pipeline: 32,
    workers: defaultWorkers(cpus),
    durationS: 6,
    warmupS: 0.5,
    rounds: 3,
    sliceS: DEFAULT_SLICE_S,
    refillDeferS: DEFAULT_REFILL_DEFER_S,
    pacing: 'native',
    rcvbufBytes: DEFAULT_RCVBUF_BYTES,
    pattern: 'uniform',
    batch: 1,
    lsn: 'latest',
    seed: 1,
    verifyChecksum: false,
    onMismatch: 'reconnect',
    timeoutS: 5,
    oracle: false,
    emulatorArgs: [],
  };
}

export function variantsOf(o: Pick<RunOptions, 'protocol' | 'variants'>): VariantName[] {
  if (o.variants && o.variants.length > 0) return o.variants;
  if (o.protocol === 'v2') return ['v2'];
  if (o.protocol === 'v3') return ['v3'];
  return ['v2', 'v3', 'v3-noverify'];
}
