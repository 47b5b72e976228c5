/**
 * Cache of page images in one preallocated buffer, in one of two layouts.
 *
 * Building and checksumming a generated page costs about 3 µs (0.36
 * CPU-seconds to prefill the default dataset's 101k pages, start-up
 * included), more than the whole per-response budget, so a page is built once.
 *
 * Compact (generated pages, the default dataset). Built pages differ only in
 * their first 24 bytes and their 25-byte identity stamp (page.ts,
 * pageTemplate), so a slot keeps those 49 bytes and its tag in one 64-byte
 * line and the rest is kept once (`template`). A response is then
 * [frame header + page head][template][stamp][template]: serving a page reads
 * one cache line of its own instead of 8 KiB and four tag arrays. With full
 * pages the default dataset (101k pages, ~790 MiB) was read from memory that
 * no CPU cache holds: the emulator spent 2.7 µs per response against 2.0 with
 * a 2 MiB dataset and, being the bottleneck, cost the client more CPU per
 * response too (docs/performance.md, fifth session).
 *
 *   [0..12)    tag: relation index + 1 (0 = empty), version key hi, lo (int32)
 *   [12..36)   page bytes [0, 24)
 *   [36..61)   the identity stamp, page bytes [IDENTITY_STAMP_OFFSET, +25);
 *              its blkno (big-endian, at 36 + 13) completes the tag
 *
 * Full (pages read from a PostgreSQL data directory, which share nothing):
 *
 *   [0]      unused
 *   [1..48)  V3 response header: 'd' | len | tag 102 | echo (24) | RelTag (13) | blkno
 *   [42..48) V2 response header: 'd' | len | tag 102   (overlaps the V3 one; rewritten per use)
 *   [48..)   the 8192-byte page
 *
 * so that, written through Node, a response is ONE socket chunk (header
 * written in place, page never copied) through a view created once per slot.
 * While a slot is still queued in a socket (pins > 0) its header must not be
 * rewritten and its page not replaced: the caller then uses a separate header
 * and the page view, or builds aside.
 *
 * Mapping: when every block of the dataset fits the budget, slot = the block's
 * position in the dataset (no collisions, no evictions: the whole dataset can
 * be prefilled); otherwise direct-mapped by a hash of (relation, block).
 */
import { BLCKSZ, IDENTITY_STAMP_BYTES, IDENTITY_STAMP_OFFSET, SIZE_OF_PAGE_HEADER, pageTemplate } from '../protocol/page.js';

export const SLOT_STRIDE = 48 + BLCKSZ;
export const PAGE_IN_SLOT = 48;
export const V3_HDR_IN_SLOT = 1;
export const V2_HDR_IN_SLOT = 42;
/** Compact layout: bytes per slot; the page head at HEAD_IN_SLOT, the identity stamp at STAMP_IN_SLOT. */
export const COMPACT_SLOT_BYTES = 64;
export const PAGE_HEAD_BYTES = SIZE_OF_PAGE_HEADER;
const HEAD_IN_SLOT = 12;
const STAMP_IN_SLOT = HEAD_IN_SLOT + PAGE_HEAD_BYTES;
const BLKNO_IN_SLOT = STAMP_IN_SLOT + 13;
/** Compact layout: the template's two pieces a response takes, [TEMPLATE_MID, stamp) and [TEMPLATE_END, 8192). */
export const TEMPLATE_MID = PAGE_HEAD_BYTES;
export const TEMPLATE_END = IDENTITY_STAMP_OFFSET + IDENTITY_STAMP_BYTES;
const EMPTY_TAG = -1;
/**
 * Version key (hi = lo) of a synthetic page's newest version (no real LSN has
 * hi = lo = 0xFFFFFFFF), as int32: keys cross calls (isHit, setTag) that
 * TurboFan may not inline, and a u32 above 2^31 there is boxed, one
 * allocation per call. Pages of a data directory have one version, key 0.
 */
export const NATURAL = -1;

export class PageCache {
  readonly slots: number;
  /** Compact layout (generated pages) or full pages. */
  readonly compact: boolean;
  /** Bytes per slot. */
  readonly stride: number;
  /** Exact mapping (relBase[r] + blk) instead of hashing. */
  readonly exact: boolean;
  private readonly mask: number;
  private readonly relBase: Float64Array;
  readonly buf: Buffer;
  /** Int32 words of `buf` (compact slots are word-aligned: head copies). */
  readonly words: Int32Array;
  /** DataView over `buf`, for header stores. */
  readonly view: DataView;
  /** Compact layout: every page's bytes but its head and stamp (pageTemplate). */
  readonly template: Buffer;
  /** Where a compact slot's page is built before its head and stamp are kept. */
  private readonly scratch: Buffer;
  /** Per-slot views, created on first use: frame (V3 or V2) and page (full), or stamp (compact). */
  private readonly v3Views: Array<Buffer | undefined>;
  private readonly v2Views: Array<Buffer | undefined>;
  private readonly pageViews: Array<Buffer | undefined>;
  /** Full layout: per slot [relation index, blkno, lsnHi, lsnLo] (compact slots hold their own tag). */
  private readonly tags: Int32Array;
  readonly pins: Int32Array;
  hits = 0;
  misses = 0;
  bypasses = 0;

  /** `relBlocks[r]` = blocks of relation r (for the exact mapping). */
  constructor(budgetBytes: number, relBlocks: Uint32Array, compact = false) {
    this.compact = compact;
    this.stride = compact ? COMPACT_SLOT_BYTES : SLOT_STRIDE;
    let total = 0;
    this.relBase = new Float64Array(relBlocks.length);
    for (let r = 0; r < relBlocks.length; r++) {
      this.relBase[r] = total;
      total += relBlocks[r]!;
    }
    if (total > 0 && total * this.stride <= budgetBytes && total < 0x7fff_ffff) {
      this.exact = true;
      this.slots = total;
      this.mask = 0;
    } else {
      this.exact = false;
      let n = 16;
      while (n * 2 * this.stride <= budgetBytes) n *= 2;
      this.slots = n;
      this.mask = n - 1;
    }
    // Untouched memory stays virtual: RSS grows only with pages actually built.
    // (Compact slots are zeroed: an all-zero tag is an empty slot.)
    this.buf = compact ? Buffer.alloc(this.slots * this.stride) : Buffer.allocUnsafeSlow(this.slots * this.stride);
    this.words = new Int32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >>> 2);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.template = compact ? pageTemplate() : Buffer.alloc(0);
    this.scratch = Buffer.alloc(compact ? BLCKSZ : 0);
    this.v3Views = new Array<Buffer | undefined>(compact ? 0 : this.slots);
    this.v2Views = new Array<Buffer | undefined>(compact ? 0 : this.slots);
    this.pageViews = new Array<Buffer | undefined>(this.slots);
    this.tags = new Int32Array(compact ? 0 : 4 * this.slots);
    for (let i = 0; i < this.tags.length; i += 4) this.tags[i] = EMPTY_TAG;
    this.pins = new Int32Array(this.slots);
  }

  /** Sequential blocks of one relation land in consecutive slots. */
  slotOf(rel: number, blk: number): number {
    if (this.exact) return this.relBase[rel]! + blk;
    return (blk + Math.imul(rel, 0x9e3779b1)) & this.mask;
  }

  /**
   * lsnHi and lsnLo come as int32 (a version key's halves `| 0`): a u32 above
   * 2^31 passed to a call that is not inlined is boxed, one allocation per
   * response. blkno is compared as u32.
   */
  isHit(slot: number, rel: number, blk: number, lsnHi: number, lsnLo: number): boolean {
    if (this.compact) {
      const w = this.words;
      const k = slot * (COMPACT_SLOT_BYTES >>> 2);
      return w[k] === rel + 1 && w[k + 2] === (lsnLo | 0) && w[k + 1] === (lsnHi | 0) &&
        this.view.getUint32(slot * COMPACT_SLOT_BYTES + BLKNO_IN_SLOT) === blk;
    }
    const t = this.tags;
    const k = 4 * slot;
    return t[k] === rel && t[k + 1] === (blk | 0) && t[k + 3] === (lsnLo | 0) && t[k + 2] === (lsnHi | 0);
  }

  /** Tag a slot whose page was just stored (compact: after `built`, which wrote the stamp and so the blkno). */
  setTag(slot: number, rel: number, blk: number, lsnHi: number, lsnLo: number): void {
    if (this.compact) {
      const w = this.words;
      const k = slot * (COMPACT_SLOT_BYTES >>> 2);
      w[k] = rel + 1;
      w[k + 1] = lsnHi;
      w[k + 2] = lsnLo;
      return;
    }
    const t = this.tags;
    const k = 4 * slot;
    t[k] = rel;
    t[k + 1] = blk;
    t[k + 2] = lsnHi;
    t[k + 3] = lsnLo;
  }

  /** Where to build slot's page: `buildTarget()` at `buildOffset(slot)`, then `built(slot)`. */
  buildTarget(): Buffer {
    return this.compact ? this.scratch : this.buf;
  }

  buildOffset(slot: number): number {
    return this.compact ? 0 : slot * SLOT_STRIDE + PAGE_IN_SLOT;
  }

  /** The page was built at buildTarget()/buildOffset(slot): a compact slot keeps its head and stamp. */
  built(slot: number): void {
    if (!this.compact) return;
    const o = slot * COMPACT_SLOT_BYTES;
    this.scratch.copy(this.buf, o + HEAD_IN_SLOT, 0, PAGE_HEAD_BYTES);
    this.scratch.copy(this.buf, o + STAMP_IN_SLOT, IDENTITY_STAMP_OFFSET, IDENTITY_STAMP_OFFSET + IDENTITY_STAMP_BYTES);
  }

  /** Full layout: byte offset of the slot's page in `buf`. */
  pageOffset(slot: number): number {
    return slot * SLOT_STRIDE + PAGE_IN_SLOT;
  }

  /** Compact layout: byte offset of the slot's page head (24 bytes) and identity stamp (25 bytes) in `buf`. */
  headOffset(slot: number): number {
    return slot * COMPACT_SLOT_BYTES + HEAD_IN_SLOT;
  }

  stampOffset(slot: number): number {
    return slot * COMPACT_SLOT_BYTES + STAMP_IN_SLOT;
  }

  /** The whole page of a slot, copied to out[off, off + 8192) (cold path: a corrupted copy). */
  copyPage(slot: number, out: Buffer, off: number): void {
    if (!this.compact) {
      this.buf.copy(out, off, this.pageOffset(slot), this.pageOffset(slot) + BLCKSZ);
      return;
    }
    const o = slot * COMPACT_SLOT_BYTES;
    this.template.copy(out, off);
    this.buf.copy(out, off, o + HEAD_IN_SLOT, o + HEAD_IN_SLOT + PAGE_HEAD_BYTES);
    this.buf.copy(out, off + IDENTITY_STAMP_OFFSET, o + STAMP_IN_SLOT, o + STAMP_IN_SLOT + IDENTITY_STAMP_BYTES);
  }

  /** Full layout: the whole response frame of a slot (V3: 8239 bytes, V2: 8198), one view per slot and version. */
  frameView(slot: number, v3: boolean): Buffer {
    return v3 ? this.slotView(this.v3Views, slot, V3_HDR_IN_SLOT, SLOT_STRIDE) : this.slotView(this.v2Views, slot, V2_HDR_IN_SLOT, SLOT_STRIDE);
  }

  /**
   * Full layout: the page alone. Used when the frame's header is in use by a
   * queued write (another connection's response for the same page). With a
   * small hot set that is most responses, and a subarray per call (a Buffer
   * allocation plus FastBuffer's constructor) was 2.5 % of the emulator's CPU
   * in a --cpu-prof of bench:emulator at 16 blocks per connection.
   */
  pageView(slot: number): Buffer {
    return this.slotView(this.pageViews, slot, PAGE_IN_SLOT, SLOT_STRIDE);
  }

  /** Compact layout: the page's identity stamp, one view per slot. */
  stampView(slot: number): Buffer {
    return this.slotView(this.pageViews, slot, STAMP_IN_SLOT, STAMP_IN_SLOT + IDENTITY_STAMP_BYTES);
  }

  /** buf[slot start + from, slot start + to): made on first use, then kept in `views` (no allocation per response). */
  private slotView(views: Array<Buffer | undefined>, slot: number, from: number, to: number): Buffer {
    let b = views[slot];
    if (b === undefined) {
      const o = slot * this.stride;
      views[slot] = b = this.buf.subarray(o + from, o + to);
    }
    return b;
  }
}
