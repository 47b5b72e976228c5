/**
 * Which block to read next: a per-connection chooser over the key space
 * (all target relations laid end to end), allocation-free per call.
 *
 * Patterns: `uniform` (seeded xorshift), `sequential` (each connection walks
 * its own stripe of the key space), `zipf[:s]` (rank sampled by Hörmann &
 * Derflinger's rejection-inversion method, constant time, no table; rank 1 is
 * the first key of the span, so hot keys are the low blocks of the first
 * relation). `--batch n` turns every choice into a burst of n contiguous blocks
 * of the same relation, as a compute's prefetch does.
 */
import { UsageError } from '../protocol/errors.js';

export type PatternKind = 'uniform' | 'sequential' | 'zipf';
export interface Pattern {
  kind: PatternKind;
  /** Zipf exponent (zipf only). */
  s: number;
}

export function parsePattern(text: string): Pattern {
  if (text === 'uniform' || text === 'sequential') return { kind: text, s: 0 };
  const m = /^zipf(?::(\d+(?:\.\d+)?))?$/.exec(text);
  if (m) {
    const s = m[1] === undefined ? 1.1 : Number(m[1]);
    if (!(s > 0) || s === 1) throw new UsageError(`--pattern: zipf exponent must be > 0 and not exactly 1 (got ${text}); e.g. zipf:0.99 or zipf:1.1`);
    return { kind: 'zipf', s };
  }
  throw new UsageError(`--pattern: ${JSON.stringify(text)} is not uniform, sequential or zipf[:s] (e.g. zipf:1.1)`);
}

/** The key space: relation i covers keys [start[i], start[i] + nblocks[i]). */
export interface KeySpace {
  /** Cumulative first key of each relation (length = relations + 1; last = total). */
  start: Float64Array;
  nblocks: Float64Array;
  /** The part of the key space this process reads (--shard): [lo, hi). */
  lo: number;
  hi: number;
}

export function makeKeySpace(nblocks: readonly number[], lo = 0, hi = -1): KeySpace {
  const start = new Float64Array(nblocks.length + 1);
  const nb = new Float64Array(nblocks.length);
  for (let i = 0; i < nblocks.length; i++) {
    nb[i] = nblocks[i]!;
    start[i + 1] = start[i]! + nblocks[i]!;
  }
  const total = start[nblocks.length]!;
  return { start, nblocks: nb, lo, hi: hi < 0 ? total : hi };
}

/** The [lo, hi) key range of shard `index` of `count` (contiguous, deterministic). */
export function shardRange(total: number, index: number, count: number): [number, number] {
  return [Math.floor((total * index) / count), Math.floor((total * (index + 1)) / count)];
}

const KIND_UNIFORM = 0;
const KIND_SEQUENTIAL = 1;
const KIND_ZIPF = 2;

export class BlockChooser {
  /**
   * Output of next(): [relation index, block number]. A typed array, not
   * fields: a number field can change representation (Smi -> Double ->
   * Tagged) and then box on every store; a Uint32Array element never does.
   */
  readonly out = new Uint32Array(2);
  /** xorshift32 state in a typed array: int32 values beyond Smi range never box. */
  private readonly rng = new Int32Array(1);
  private seqKey: number;
  private burstLeft = 0;
  private readonly ks: KeySpace;
  /** The pattern as a small integer: compared per request, a string compare is not free. */
  private readonly kind: number;
  private readonly batch: number;
  private readonly span: number;
  // Zipf rejection-inversion constants.
  private readonly zs: number;
  private readonly hX1: number;
  private readonly hN: number;
  private readonly zsc: number;

  constructor(ks: KeySpace, pattern: Pattern, batch: number, seed: number, stripe: number, stripes: number) {
    this.ks = ks;
    this.kind = pattern.kind === 'uniform' ? KIND_UNIFORM : pattern.kind === 'sequential' ? KIND_SEQUENTIAL : KIND_ZIPF;
    this.batch = Math.max(1, batch | 0);
    this.span = Math.max(1, ks.hi - ks.lo);
    // Seed mixing (splitmix-like) so neighbouring connection seeds diverge at once.
    let s = Math.imul((seed ^ 0x9e3779b9) + Math.imul(stripe + 1, 0x85ebca6b), 0xc2b2ae35) ^ (stripe << 7);
    s ^= s >>> 16;
    this.rng[0] = s === 0 ? 0x1234567 : s;
    this.seqKey = Math.floor((this.span * stripe) / Math.max(1, stripes));
    this.zs = pattern.s;
    const n = this.span;
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.zsc = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A uniform double in [0, 1) from xorshift32. */
  private rand(): number {
    let x = this.rng[0]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng[0] = x;
    return (x >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n) for n <= 2^31, without a double crossing a call. */
  private randBelow(n: number): number {
    let x = this.rng[0]!;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng[0] = x;
    return Math.floor(((x >>> 0) / 4294967296) * n);
  }

  /** Choose the next block; result in this.rel / this.blkno. */
  next(): void {
    const out = this.out;
    if (this.burstLeft > 0) {
      this.burstLeft--;
      const nb = this.ks.nblocks[out[0]!]!;
      out[1] = out[1]! + 1 < nb ? out[1]! + 1 : 0;
      return;
    }
    let off: number;
    if (this.kind === KIND_UNIFORM) off = this.randBelow(this.span);
    else if (this.kind === KIND_SEQUENTIAL) {
      off = this.seqKey;
      this.seqKey += this.batch;
      if (this.seqKey >= this.span) this.seqKey -= this.span;
    } else off = this.zipfRank() - 1;
    this.locate(this.ks.lo + off);
    this.burstLeft = this.batch - 1;
  }

  /** Map a key to (relation, block) by binary search over the cumulative starts. */
  private locate(key: number): void {
    const st = this.ks.start;
    let lo = 0;
    let hi = st.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (st[mid]! <= key) lo = mid;
      else hi = mid - 1;
    }
    this.out[0] = lo;
    this.out[1] = key - st[lo]!;
  }

  private zipfRank(): number {
    const n = this.span;
    for (;;) {
      const u = this.hN + this.rand() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= this.zsc || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.zs * Math.log(x));
  }
  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return helper2((1 - this.zs) * lx) * lx;
  }
  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.zs);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}

/** log1p(x)/x, continuous at 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x / 2 + (x * x) / 3;
}
/** expm1(x)/x, continuous at 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x / 2 + (x * x) / 6;
}
