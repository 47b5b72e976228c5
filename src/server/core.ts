/**
 * State shared by all connections of one emulator: the dataset and its page
 * cache, the LSN clocks, the service-time model, the fault dice and their
 * ground-truth counters, the metrics, the logger.
 */
import { BLCKSZ, IDENTITY_STAMP_OFFSET } from '../protocol/page.js';
import { FAULT_KINDS } from './config.js';
import type { EmulatorOptions, FaultKind, GroundTruth } from './config.js';
import { Dataset } from './dataset.js';
import type { Timeline } from './dataset.js';
import { JwtVerifier } from './jwt.js';
import { Logger, stderrSink } from './log.js';
import { Metrics, M_FAULTS } from './metrics.js';
import { NATURAL, PageCache, TEMPLATE_END, TEMPLATE_MID } from './page-cache.js';
import { Prng } from './prng.js';

const TWO32 = 4294967296;
/** Where `fixed` holds the page template (after the zero page): direct output's slices and the views below share it. */
export const FIXED_TEMPLATE = BLCKSZ;
/** Index of each per-response fault kind in FAULT_KINDS ('stale' is per connection). */
export const FAULT_INDEX: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k, i) => [k, i])) as Record<FaultKind, number>;
export const F_NONE = -1;
export const F_DROP = FAULT_INDEX.drop;
export const F_SWAP = FAULT_INDEX.swap;
export const F_STALE = FAULT_INDEX.stale;
export const F_WRONG_BLOCK = FAULT_INDEX['wrong-block'];
export const F_WRONG_REL = FAULT_INDEX['wrong-rel'];
export const F_WRONG_LSN = FAULT_INDEX['wrong-lsn'];
export const F_CORRUPT = FAULT_INDEX.corrupt;
export const F_ERROR = FAULT_INDEX.error;
export const F_CLOSE = FAULT_INDEX.close;

export class EmulatorCore {
  readonly opts: EmulatorOptions;
  readonly ds: Dataset;
  readonly cache: PageCache;
  readonly metrics = new Metrics();
  readonly log: Logger;
  readonly jwt: JwtVerifier | undefined;
  /**
   * Constant output bytes, one buffer (a base of direct output): an all-zero
   * page at [0, 8192), then, for a compact cache, the template of every
   * generated page (PageCache.template) at [8192, 16384).
   */
  readonly fixed: Buffer;
  /** fixed[0, 8192): the page served at or past a relation's end. */
  readonly zeroPage: Buffer;
  /** Compact cache: the template's bytes between the page head and the stamp, and after the stamp (views of `fixed`). */
  readonly templateMid: Buffer;
  readonly templateEnd: Buffer;
  /** True when the clock matters (service time or WAL ingest); else no timestamps are taken at all. */
  readonly needClock: boolean;
  readonly latencyZero: boolean;
  private readonly faultPrng: Prng;
  private readonly latencyPrng: Prng;
  /** Cumulative thresholds of the per-response fault kinds, in FAULT_KINDS order ('stale' has 0 width). */
  private readonly faultCum = new Float64Array(FAULT_KINDS.length);
  readonly faultAny: boolean;
  readonly staleRate: number;
  /** The last GetPage served, to replay on another connection as a 'stale' fault. */
  readonly last = new Uint32Array(11); // reqidHi, reqidLo, lsnHi, lsnLo, nmsHi, nmsLo, spc, db, rel, blk, fork
  lastConn = -1;
  lastRel = -1;
  private spare = NaN;

  constructor(opts: EmulatorOptions, startMs: number) {
    this.opts = opts;
    this.log = new Logger(opts.log ?? stderrSink);
    this.ds = opts.pgdata ? Dataset.fromPgdata(opts.pgdata, opts, startMs) : Dataset.synthetic(opts, startMs);
    // Generated pages share all but 49 bytes; pages of a data directory share nothing.
    this.cache = new PageCache(opts.cacheBytes, this.ds.nblocks, !this.ds.pgdata);
    this.fixed = Buffer.concat([Buffer.alloc(BLCKSZ), this.cache.template]);
    this.zeroPage = this.fixed.subarray(0, BLCKSZ);
    this.templateMid = this.fixed.subarray(FIXED_TEMPLATE + TEMPLATE_MID, FIXED_TEMPLATE + IDENTITY_STAMP_OFFSET);
    this.templateEnd = this.fixed.subarray(FIXED_TEMPLATE + TEMPLATE_END);
    this.jwt = opts.auth === 'jwt' || opts.httpAuth === 'jwt' ? new JwtVerifier(opts.jwtPublicKeyPem ?? '') : undefined;
    const lat = opts.latency;
    this.latencyZero = lat.kind === 'fixed' && lat.us === 0;
    this.needClock = !this.latencyZero || opts.walRate > 0;
    this.faultPrng = new Prng(opts.faultSeed);
    this.latencyPrng = new Prng(opts.faultSeed ^ 0x5bd1e995);
    let cum = 0;
    FAULT_KINDS.forEach((k, i) => {
      if (k !== 'stale') cum += opts.faults[k];
      this.faultCum[i] = cum;
    });
    this.faultAny = cum > 0;
    this.staleRate = opts.faults.stale;
  }

  /**
   * Build every page into the cache now (only when the whole dataset fits it),
   * so a benchmark never pays page generation. Returns the pages built.
   */
  prefill(): number {
    const { ds, cache } = this;
    if (!cache.exact) return 0;
    let n = 0;
    for (let r = 0; r < ds.relCount; r++) {
      for (let b = 0, nb = ds.nblocks[r]!; b < nb; b++) {
        const slot = cache.slotOf(r, b);
        // Keys as Connection.pageSlot: 0 for real pages, NATURAL for a synthetic page's newest version.
        const lsn = ds.pgdata ? 0 : ds.pageLsn(r, b);
        ds.writePage(r, b, lsn, cache.buildTarget(), cache.buildOffset(slot));
        cache.built(slot);
        const key = ds.pgdata ? 0 : NATURAL;
        cache.setTag(slot, r, b, key, key);
        n++;
      }
    }
    return n;
  }

  /** One die per GetPage response: which per-response fault (or F_NONE). */
  drawFault(): number {
    const u = this.faultPrng.next();
    const cum = this.faultCum;
    for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return i;
    return F_NONE;
  }

  drawUnit(): number {
    return this.faultPrng.next();
  }

  countFault(kind: number): void {
    this.metrics.c[M_FAULTS + kind]++;
  }

  groundTruth(): GroundTruth {
    const injected = {} as Record<FaultKind, number>;
    FAULT_KINDS.forEach((k, i) => (injected[k] = this.metrics.c[M_FAULTS + i]!));
    return { seed: this.opts.faultSeed, injected };
  }

  /** Service time of one batch, in ms. */
  sampleServiceMs(): number {
    const m = this.opts.latency;
    switch (m.kind) {
      case 'fixed':
        return m.us / 1000;
      case 'uniform':
        return (m.minUs + (m.maxUs - m.minUs) * this.latencyPrng.next()) / 1000;
      case 'lognormal': {
        // p99 is 2.3263 standard deviations above the median of the underlying normal.
        const sigma = Math.log(m.p99Us / m.p50Us) / 2.3263478740408408;
        return (m.p50Us * Math.exp(sigma * this.gaussian())) / 1000;
      }
    }
  }

  private gaussian(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    // Box-Muller; 1 - u keeps log away from 0.
    const u = 1 - this.latencyPrng.next();
    const v = this.latencyPrng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** last_record_lsn of a timeline at time `nowMs` (a number; exact below 2^53). */
  lastRecordLsn(t: Timeline, nowMs: number): number {
    if (t.walRate === 0) return t.initialLsn;
    const dt = nowMs - t.startMs;
    return dt <= 0 ? t.initialLsn : t.initialLsn + Math.floor((t.walRate * dt) / 1000);
  }

  /** When `lsn` will have been ingested (ms, performance.now() base); Infinity if never. */
  lsnReadyMs(t: Timeline, lsn: number): number {
    if (lsn <= t.initialLsn) return 0;
    if (t.walRate === 0) return Infinity;
    return t.startMs + ((lsn - t.initialLsn) * 1000) / t.walRate;
  }
}

export function lsnNum(hi: number, lo: number): number {
  return hi * TWO32 + lo;
}
