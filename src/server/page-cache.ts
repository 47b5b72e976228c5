/**
 * Direct-mapped cache of page images in one preallocated buffer.
 *
 * Building and checksumming a page costs microseconds, more than the whole
 * per-response budget, so a hot page is built once. Each slot has a
 * preallocated 8 KiB view, so serving a cached page hands the socket that view
 * without a copy and without creating a Buffer per response.
 *
 * Pins: a view handed to `socket.write` stays referenced until the kernel has
 * taken the bytes. A slot with pins > 0 must not be rebuilt for another page;
 * the caller then builds into a fresh buffer (rare, allowed to allocate).
 */
import { BLCKSZ } from '../protocol/page.js';

export class PageCache {
  readonly slots: number;
  readonly mask: number;
  readonly views: Buffer[];
  private readonly tagRel: Int32Array;
  private readonly tagBlk: Uint32Array;
  private readonly tagLsnHi: Uint32Array;
  private readonly tagLsnLo: Uint32Array;
  readonly pins: Int32Array;
  hits = 0;
  misses = 0;
  bypasses = 0;

  constructor(budgetBytes: number) {
    let n = 16;
    while (n * 2 * BLCKSZ <= budgetBytes) n *= 2;
    this.slots = n;
    this.mask = n - 1;
    const buf = Buffer.allocUnsafeSlow(n * BLCKSZ);
    this.views = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) this.views[i] = buf.subarray(i * BLCKSZ, (i + 1) * BLCKSZ);
    this.tagRel = new Int32Array(n).fill(-1);
    this.tagBlk = new Uint32Array(n);
    this.tagLsnHi = new Uint32Array(n);
    this.tagLsnLo = new Uint32Array(n);
    this.pins = new Int32Array(n);
  }

  /** Sequential blocks of one relation land in consecutive slots. */
  slotOf(rel: number, blk: number): number {
    return (blk + Math.imul(rel, 0x9e3779b1)) & this.mask;
  }

  isHit(slot: number, rel: number, blk: number, lsnHi: number, lsnLo: number): boolean {
    return this.tagRel[slot] === rel && this.tagBlk[slot] === blk && this.tagLsnLo[slot] === lsnLo && this.tagLsnHi[slot] === lsnHi;
  }

  setTag(slot: number, rel: number, blk: number, lsnHi: number, lsnLo: number): void {
    this.tagRel[slot] = rel;
    this.tagBlk[slot] = blk;
    this.tagLsnHi[slot] = lsnHi;
    this.tagLsnLo[slot] = lsnLo;
  }
}
