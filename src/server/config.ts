/**
 * Emulator configuration: the options object shared by the `serve` command,
 * the in-process `PageserverEmulator` and `startEmulatorProcess`, and the
 * parsers for its small text languages (latency model, fault list, LSNs).
 * Every parse error is a UsageError naming the option and the accepted form.
 */
import { UsageError } from '../protocol/errors.js';
import { parseLsn } from '../protocol/text.js';
import { parseDurationS } from '../cli/options.js';
import type { LogSink } from './log.js';

export const FAULT_KINDS = ['drop', 'swap', 'stale', 'wrong-block', 'wrong-rel', 'wrong-lsn', 'corrupt', 'error', 'close'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRates = Record<FaultKind, number>;

export interface GroundTruth {
  seed: number;
  injected: Record<FaultKind, number>;
}

/** Service-time model of one batch of requests. */
export type LatencyModel =
  | { kind: 'fixed'; us: number }
  | { kind: 'lognormal'; p50Us: number; p99Us: number }
  | { kind: 'uniform'; minUs: number; maxUs: number };

export interface EmulatorOptions {
  /** libpq listener address (loopback by default). */
  host: string;
  /** libpq port; 0 picks a free one. */
  port: number;
  /** HTTP management API address and port (0 picks a free one, -1 disables). */
  mgmtHost: string;
  mgmtPort: number;
  /** libpq authentication (the pageserver's auth_type). */
  auth: 'trust' | 'jwt';
  /** Management API authentication (the pageserver's http_auth_type), configured separately as on the real one. */
  httpAuth: 'trust' | 'jwt';
  /** PEM text of the Ed25519 public key that verifies JWTs (from --jwt-public-key <file>). */
  jwtPublicKeyPem?: string;
  tenants: number;
  timelinesPerTenant: number;
  databasesPerTimeline: number;
  /** Sizes in blocks of the relations of each database (main fork). */
  relationBlocks: number[];
  /** Serve real pages from a stopped PostgreSQL data directory instead. */
  pgdata?: string;
  /** last_record_lsn of every timeline at start. */
  initialLsn: bigint;
  /** WAL ingest rate, bytes/s; 0 = static timelines. */
  walRate: number;
  /** How long a request waits for WAL before its LSN-timeout Error. */
  waitLsnTimeoutS: number;
  /** Requests below this LSN get the "garbage collected" Error. */
  gcCutoff: bigint;
  latency: LatencyModel;
  /** Requests grouped into one service batch (the pageserver's max_batch_size). */
  maxBatch: number;
  /** Batches of one connection in service at the same time (1 = one at a time). */
  concurrencyPerConnection: number;
  faults: FaultRates;
  faultSeed: number;
  /** Memory budget of the page cache, bytes (untouched parts stay virtual). */
  cacheBytes: number;
  /** Build every page before listening (when the dataset fits the cache). */
  prefill: boolean;
  /** Bytes queued on a socket above which the connection stops being served until it drains. */
  sendHighWater: number;
  /**
   * GetPage output: one writev per pump through the native helper (direct-output.ts),
   * or every frame through Node's Writable ('node'; also what runs without the helper).
   */
  writes: 'direct' | 'node';
  /** Largest accepted frame (requests are tiny; startup packets are below 10 KiB). */
  maxFrameLength: number;
  /** Where incident lines go (default stderr). */
  log?: LogSink;
}

export function zeroFaults(): FaultRates {
  return { drop: 0, swap: 0, stale: 0, 'wrong-block': 0, 'wrong-rel': 0, 'wrong-lsn': 0, corrupt: 0, error: 0, close: 0 };
}

/** Default relation sizes: 5 relations, 101,000 blocks (~790 MiB of pages; 6.5 MB in the compact page cache). */
export const DEFAULT_RELATION_BLOCKS = [40000, 30000, 20000, 10000, 1000];

export function defaultEmulatorOptions(): EmulatorOptions {
  return {
    host: '127.0.0.1',
    port: 64000,
    mgmtHost: '127.0.0.1',
    mgmtPort: 9898,
    auth: 'trust',
    httpAuth: 'trust',
    tenants: 1,
    timelinesPerTenant: 1,
    databasesPerTimeline: 1,
    relationBlocks: DEFAULT_RELATION_BLOCKS.slice(),
    initialLsn: 0x0000_0000_08f3_c1a8n,
    walRate: 0,
    waitLsnTimeoutS: 5,
    gcCutoff: 0n,
    latency: { kind: 'fixed', us: 0 },
    maxBatch: 32,
    concurrencyPerConnection: 1,
    faults: zeroFaults(),
    faultSeed: 1,
    cacheBytes: 1024 * 1024 * 1024,
    prefill: false,
    sendHighWater: 1024 * 1024,
    writes: 'direct',
    maxFrameLength: 64 * 1024,
  };
}

function durUs(text: string, opt: string, whole: string): number {
  const s = parseDurationS(text);
  if (!Number.isFinite(s) || s < 0) throw new UsageError(`--${opt}: ${JSON.stringify(whole)}: ${JSON.stringify(text)} is not a duration (e.g. 200us, 2ms)`);
  return Math.round(s * 1e9) / 1e3; // whole ns: 200us is 200, not 199.99999999999997
}

/**
 * `200us` (fixed), `lognormal:p50=150us,p99=2ms`, `uniform:min=100us,max=300us`, `0` (none).
 */
export function parseLatency(text: string, opt = 'latency'): LatencyModel {
  const t = text.trim();
  const colon = t.indexOf(':');
  if (colon < 0) return { kind: 'fixed', us: durUs(t, opt, text) };
  const kind = t.slice(0, colon);
  const params: Record<string, number> = {};
  for (const part of t.slice(colon + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new UsageError(`--${opt}: ${JSON.stringify(text)}: expected key=duration, got ${JSON.stringify(part)}`);
    params[part.slice(0, eq).trim()] = durUs(part.slice(eq + 1).trim(), opt, text);
  }
  const need = (k: string): number => {
    const v = params[k];
    if (v === undefined) throw new UsageError(`--${opt}: ${JSON.stringify(text)}: ${kind} needs ${k}=<duration>`);
    return v;
  };
  switch (kind) {
    case 'fixed':
      return { kind: 'fixed', us: need('value') };
    case 'lognormal': {
      const p50Us = need('p50');
      const p99Us = need('p99');
      if (!(p50Us > 0) || p99Us < p50Us) throw new UsageError(`--${opt}: ${JSON.stringify(text)}: needs 0 < p50 <= p99`);
      return { kind: 'lognormal', p50Us, p99Us };
    }
    case 'uniform': {
      const minUs = need('min');
      const maxUs = need('max');
      if (maxUs < minUs) throw new UsageError(`--${opt}: ${JSON.stringify(text)}: needs min <= max`);
      return { kind: 'uniform', minUs, maxUs };
    }
    default:
      throw new UsageError(`--${opt}: ${JSON.stringify(text)}: unknown model ${JSON.stringify(kind)}; expected a duration, lognormal:p50=..,p99=.. or uniform:min=..,max=..`);
  }
}

/** `drop=0.01,swap=0.5%` -> rates in [0, 1]. Rates of the per-response kinds must sum to <= 1. */
export function parseFaults(text: string, opt = 'faults'): FaultRates {
  const rates = zeroFaults();
  const t = text.trim();
  if (t === '' || t === 'none') return rates;
  for (const part of t.split(',')) {
    const eq = part.indexOf('=');
    const kind = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--${opt}: unknown fault kind ${JSON.stringify(kind)}; kinds: ${FAULT_KINDS.join(', ')}`);
    }
    if (eq < 0) throw new UsageError(`--${opt}: ${JSON.stringify(part)}: expected kind=rate, e.g. drop=0.01 or drop=1%`);
    const raw = part.slice(eq + 1).trim();
    const pct = raw.endsWith('%');
    const v = Number(pct ? raw.slice(0, -1) : raw) / (pct ? 100 : 1);
    if (raw === '' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new UsageError(`--${opt}: ${JSON.stringify(part)}: rate must be a number in [0, 1] or a percentage`);
    }
    rates[kind as FaultKind] = v;
  }
  let sum = 0;
  for (const k of FAULT_KINDS) if (k !== 'stale') sum += rates[k];
  if (sum > 1 + 1e-9) throw new UsageError(`--${opt}: per-response fault rates sum to ${sum}, more than 1`);
  return rates;
}

export function parseLsnOption(text: string, opt: string): bigint {
  try {
    return parseLsn(text.trim());
  } catch {
    throw new UsageError(`--${opt}: ${JSON.stringify(text)} is not an LSN (X/Y in hex, e.g. 0/169AD58)`);
  }
}

export function parseBlockList(text: string, opt: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || Number(p) > 0xFFFF_FFFE) throw new UsageError(`--${opt}: ${JSON.stringify(p)} is not a block count (0..4294967294)`);
    out.push(Number(p));
  }
  if (out.length === 0) throw new UsageError(`--${opt}: needs at least one relation size`);
  return out;
}
