/**
 * Cache of page images, each stored inside a preassembled GetPage response
 * frame, in one preallocated buffer.
 *
 * Building and checksumming a page costs ~9 µs, several times the whole
 * per-response budget, so a page is built once. A slot is laid out as
 *
 *   [0]      unused
 *   [1..48)  V3 response header: 'd' | len | tag 102 | echo (24) | RelTag (13) | blkno
 *   [42..48) V2 response header: 'd' | len | tag 102   (overlaps the V3 one; rewritten per use)
 *   [48..)   the 8192-byte page
 *
 * so a response is ONE socket chunk (header written in place, page never
 * copied) through a view created once per slot. While a slot's frame is
 * still queued in a socket (pins > 0) its header must not be rewritten and its
 * page not replaced: the caller then uses a separate header and the page view,
 * or builds aside.
 *
 * Mapping: when every block of the dataset fits the budget, slot = the block's
 * position in the dataset (no collisions, no evictions: the whole dataset can
 * be prefilled); otherwise direct-mapped by a hash of (relation, block).
 */
import { BLCKSZ } from '../protocol/page.js';

export const SLOT_STRIDE = 48 + BLCKSZ;
export const PAGE_IN_SLOT = 48;
export const V3_HDR_IN_SLOT = 1;
export const V2_HDR_IN_SLOT = 42;
const EMPTY_TAG = -1;

export class PageCache {
  readonly slots: number;
  /** Exact mapping (relBase[r] + blk) instead of hashing. */
  readonly exact: boolean;
  private readonly mask: number;
  private readonly relBase: Float64Array;
  readonly buf: Buffer;
  /** DataView over `buf`, for header stores. */
  readonly view: DataView;
  /** Per-slot views, created on first fill: frame (V3 or V2) and page. */
  private readonly v3Views: Array<Buffer | undefined>;
  private readonly v2Views: Array<Buffer | undefined>;
  private readonly pageViews: Array<Buffer | undefined>;
  private readonly tagRel: Int32Array;
  private readonly tagBlk: Uint32Array;
  private readonly tagLsnHi: Uint32Array;
  private readonly tagLsnLo: Uint32Array;
  readonly pins: Int32Array;
  hits = 0;
  misses = 0;
  bypasses = 0;

  /** `relBlocks[r]` = blocks of relation r (for the exact mapping). */
  constructor(budgetBytes: number, relBlocks: Uint32Array) {
    let total = 0;
    this.relBase = new Float64Array(relBlocks.length);
    for (let r = 0; r < relBlocks.length; r++) {
      this.relBase[r] = total;
      total += relBlocks[r]!;
    }
    if (total > 0 && total * SLOT_STRIDE <= budgetBytes && total < 0x7fff_ffff) {
      this.exact = true;
      this.slots = total;
      this.mask = 0;
    } else {
      this.exact = false;
      let n = 16;
      while (n * 2 * SLOT_STRIDE <= budgetBytes) n *= 2;
      this.slots = n;
      this.mask = n - 1;
    }
    // Untouched memory stays virtual: RSS grows only with pages actually built.
    this.buf = Buffer.allocUnsafeSlow(this.slots * SLOT_STRIDE);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.v3Views = new Array<Buffer | undefined>(this.slots);
    this.v2Views = new Array<Buffer | undefined>(this.slots);
    this.pageViews = new Array<Buffer | undefined>(this.slots);
    this.tagRel = new Int32Array(this.slots).fill(EMPTY_TAG);
    this.tagBlk = new Uint32Array(this.slots);
    this.tagLsnHi = new Uint32Array(this.slots);
    this.tagLsnLo = new Uint32Array(this.slots);
    this.pins = new Int32Array(this.slots);
  }

  /** Sequential blocks of one relation land in consecutive slots. */
  slotOf(rel: number, blk: number): number {
    if (this.exact) return this.relBase[rel]! + blk;
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

  /** Byte offset of the slot's page in `buf`. */
  pageOffset(slot: number): number {
    return slot * SLOT_STRIDE + PAGE_IN_SLOT;
  }

  /** The whole response frame of a slot (V3: 8239 bytes, V2: 8198), one view per slot and version. */
  frameView(slot: number, v3: boolean): Buffer {
    return v3 ? this.slotView(this.v3Views, slot, V3_HDR_IN_SLOT) : this.slotView(this.v2Views, slot, V2_HDR_IN_SLOT);
  }

  /**
   * The page alone: used when the frame's header is in use by a queued write
   * (another connection's response for the same page). With a small hot set
   * that is most responses, and a subarray per call (a Buffer allocation plus
   * FastBuffer's constructor) was 2.5 % of the emulator's CPU in a --cpu-prof
   * of bench:emulator at 16 blocks per connection.
   */
  pageView(slot: number): Buffer {
    return this.slotView(this.pageViews, slot, PAGE_IN_SLOT);
  }

  /** buf[slot start + from, slot end): made on first use, then kept in `views` (no allocation per response). */
  private slotView(views: Array<Buffer | undefined>, slot: number, from: number): Buffer {
    let b = views[slot];
    if (b === undefined) {
      const o = slot * SLOT_STRIDE;
      views[slot] = b = this.buf.subarray(o + from, o + SLOT_STRIDE);
    }
    return b;
  }
}
