/**
 * PostgreSQL page images (protocol.md §4): the data-checksum function and a
 * builder of deterministic heap-like pages with a valid header and checksum.
 *
 * Pages are stored in the server's native byte order. Neon pageservers run on
 * little-endian machines (x86-64, aarch64), so this module reads and writes
 * page words little-endian explicitly, independent of the host.
 */

import { DataViewCache } from './view.js';

export const BLCKSZ = 8192;
export const PG_PAGE_LAYOUT_VERSION = 4;
export const SIZE_OF_PAGE_HEADER = 24;

/** Page header field offsets (PageHeaderData). */
export const PageHeader = {
  pd_lsn_xlogid: 0,
  pd_lsn_xrecoff: 4,
  pd_checksum: 8,
  pd_flags: 10,
  pd_lower: 12,
  pd_upper: 14,
  pd_special: 16,
  pd_pagesize_version: 18,
  pd_prune_xid: 20,
} as const;

const N_SUMS = 32;
const FNV_PRIME = 16777619;
const BASE_OFFSETS = new Int32Array([
  0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
  0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
  0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
  0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
]);

// Page words are read through a DataView over the page's ArrayBuffer: one
// 32-bit little-endian load per word, aligned or not. The cache (view.ts) makes
// that allocation-free for a buffer seen before.
const pageView = new DataViewCache();

/**
 * pg_checksum_block over buf[off, off+8192) with pd_checksum taken as zero.
 * Returns the 32-bit XOR of the 32 partial sums (unsigned).
 *
 * PostgreSQL walks the page row by row (64 rows of 32 words) updating 32
 * independent sums; sum j only ever sees column j. So we walk it column block
 * by column block: 8 sums held in locals (registers, 8 independent multiply
 * chains for the CPU to overlap) down all 64 rows, four times. Same result,
 * no array traffic.
 */
export function checksumBlock(buf: Buffer | Uint8Array, off: number): number {
  checksumInto(buf, off);
  return blockSum[0]! >>> 0;
}

// The 32-bit result travels through a typed-array slot, not a return value:
// an int32 outside V8's 31-bit small-integer range returned from a function
// that is not inlined is boxed in a heap number — one allocation per page.
const blockSum = new Int32Array(1);

// comp/finish are tiny and called only from checksumInto, so TurboFan inlines
// them (a helper call left out-of-line would box its int32 arguments: the
// zero-GC test over 1M verifications guards this). A written-out version
// measured ~25% slower here, so the helpers stay.
/** One CHECKSUM_COMP step: sum = ((sum ^ value) * FNV_PRIME) ^ ((sum ^ value) >>> 17). */
function comp(sum: number, value: number): number {
  const tmp = sum ^ value;
  return Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
}
/** The two extra rounds with value 0 that end each partial sum. */
function finish(s: number): number {
  s = Math.imul(s, FNV_PRIME) ^ (s >>> 17);
  return Math.imul(s, FNV_PRIME) ^ (s >>> 17);
}

function checksumInto(buf: Buffer | Uint8Array, off: number): void {
  const d = pageView.select(buf);
  const base = pageView.base + off;
  let result = 0;
  for (let jb = 0; jb < N_SUMS; jb += 8) {
    let s0 = BASE_OFFSETS[jb]!, s1 = BASE_OFFSETS[jb + 1]!, s2 = BASE_OFFSETS[jb + 2]!, s3 = BASE_OFFSETS[jb + 3]!;
    let s4 = BASE_OFFSETS[jb + 4]!, s5 = BASE_OFFSETS[jb + 5]!, s6 = BASE_OFFSETS[jb + 6]!, s7 = BASE_OFFSETS[jb + 7]!;
    // Row 0, word 2 holds pd_checksum in its low 16 bits (bytes 8-9, little-endian): count it as zero.
    const mask2 = jb === 0 ? (0xFFFF0000 | 0) : -1;
    let o = base + jb * 4;
    s0 = comp(s0, d.getInt32(o, true));
    s1 = comp(s1, d.getInt32(o + 4, true));
    s2 = comp(s2, d.getInt32(o + 8, true) & mask2);
    s3 = comp(s3, d.getInt32(o + 12, true));
    s4 = comp(s4, d.getInt32(o + 16, true));
    s5 = comp(s5, d.getInt32(o + 20, true));
    s6 = comp(s6, d.getInt32(o + 24, true));
    s7 = comp(s7, d.getInt32(o + 28, true));
    for (let row = 1; row < 64; row++) {
      o += 128;
      s0 = comp(s0, d.getInt32(o, true));
      s1 = comp(s1, d.getInt32(o + 4, true));
      s2 = comp(s2, d.getInt32(o + 8, true));
      s3 = comp(s3, d.getInt32(o + 12, true));
      s4 = comp(s4, d.getInt32(o + 16, true));
      s5 = comp(s5, d.getInt32(o + 20, true));
      s6 = comp(s6, d.getInt32(o + 24, true));
      s7 = comp(s7, d.getInt32(o + 28, true));
    }
    result ^= finish(s0) ^ finish(s1) ^ finish(s2) ^ finish(s3) ^ finish(s4) ^ finish(s5) ^ finish(s6) ^ finish(s7);
  }
  blockSum[0] = result;
}

/** pg_checksum_page: the u16 stored in pd_checksum for block `blkno`. */
export function pageChecksum(buf: Buffer | Uint8Array, off: number, blkno: number): number {
  checksumInto(buf, off);
  const c = (blockSum[0]! ^ blkno) >>> 0;
  return (c % 65535) + 1; // 1..65535: a small integer, returned without boxing
}

/** True if all 8192 bytes are zero (a "new" page, which carries no checksum). */
export function isZeroPage(buf: Buffer | Uint8Array, off: number): boolean {
  for (let i = off, end = off + BLCKSZ; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Verify a page in place as PostgreSQL's PageIsVerified does with data
 * checksums on: a new page (pd_upper == 0) must be all zeros; any other page
 * must carry the checksum for `blkno`. No copy, no allocation.
 */
export function verifyPageChecksum(buf: Buffer | Uint8Array, off: number, blkno: number): boolean {
  const upper = buf[off + PageHeader.pd_upper]! | (buf[off + PageHeader.pd_upper + 1]! << 8);
  if (upper === 0) return isZeroPage(buf, off);
  const stored = buf[off + PageHeader.pd_checksum]! | (buf[off + PageHeader.pd_checksum + 1]! << 8);
  return stored === pageChecksum(buf, off, blkno);
}

function putU16LE(b: Buffer, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}


/** Set pd_checksum of the page at `off` for block `blkno`. */
export function setPageChecksum(buf: Buffer, off: number, blkno: number): void {
  putU16LE(buf, off + PageHeader.pd_checksum, pageChecksum(buf, off, blkno));
}

export interface PageIdentity {
  spcnode: number;
  dbnode: number;
  relnode: number;
  forknum: number;
  blkno: number;
  /** pd_lsn as hi/lo halves (the LSN of the last change to this page). */
  lsnHi: number;
  lsnLo: number;
}

/** Number of tuples and their size in built pages: 32 × 232 bytes = 7424 bytes of tuple data. */
const TUPLES = 32;
const TUPLE_SIZE = 232;
const LP_NORMAL = 1;
const PD_UPPER = BLCKSZ - TUPLES * TUPLE_SIZE;
const PD_LOWER = SIZE_OF_PAGE_HEADER + 4 * TUPLES;
/** Offset of the identity stamp inside the first tuple (after a 24-byte heap-tuple-header-sized gap). */
export const IDENTITY_STAMP_OFFSET = BLCKSZ - TUPLE_SIZE + 24;

/** Bytes of the identity stamp: spcnode, dbnode, relnode (u32 each), forknum (u8), blkno, lsnHi, lsnLo (u32 each). */
export const IDENTITY_STAMP_BYTES = 25;

/**
 * Built pages differ only in their header (bytes [0, 24): pd_lsn and
 * pd_checksum) and their identity stamp (IDENTITY_STAMP_BYTES at
 * IDENTITY_STAMP_OFFSET); every other byte is the same in all of them
 * (`pageTemplate`). So the emulator's page cache keeps 49 bytes per page in
 * one 64-byte line and the rest once (page-cache.ts): serving a page then
 * reads one line of its own instead of 8 KiB.
 */
const TEMPLATE: Buffer = (() => {
  const page = Buffer.alloc(BLCKSZ);
  const d = new DataView(page.buffer, page.byteOffset, BLCKSZ);
  d.setUint16(PageHeader.pd_lower, PD_LOWER, true);
  d.setUint16(PageHeader.pd_upper, PD_UPPER, true);
  d.setUint16(PageHeader.pd_special, BLCKSZ, true);
  d.setUint16(PageHeader.pd_pagesize_version, BLCKSZ | PG_PAGE_LAYOUT_VERSION, true);
  // Line pointers: lp_off:15 | lp_flags:2 | lp_len:15, packed little-endian.
  // Tuples fill the page from the end backwards, as PageAddItem places them.
  for (let k = 0; k < TUPLES; k++) {
    const lpOff = BLCKSZ - (k + 1) * TUPLE_SIZE;
    d.setInt32(SIZE_OF_PAGE_HEADER + 4 * k, lpOff | (LP_NORMAL << 15) | (TUPLE_SIZE << 17), true);
  }
  // Tuple bytes: xorshift32 from a fixed seed.
  let x = 0x2545F491;
  for (let o = PD_UPPER; o < BLCKSZ; o += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    d.setInt32(o, x, true);
  }
  page.fill(0, IDENTITY_STAMP_OFFSET, IDENTITY_STAMP_OFFSET + IDENTITY_STAMP_BYTES);
  return page;
})();

/**
 * A copy of what every built page has outside its header's pd_lsn and
 * pd_checksum and its identity stamp (those bytes are zero here).
 */
export function pageTemplate(): Buffer {
  return Buffer.from(TEMPLATE);
}

/** Layout of a page identity in a Uint32Array for `buildPageFromWords`. */
export const PageIdWord = { spcnode: 0, dbnode: 1, relnode: 2, forknum: 3, blkno: 4, lsnHi: 5, lsnLo: 6 } as const;
export const PAGE_ID_WORDS = 7;

const idScratch = new Uint32Array(PAGE_ID_WORDS);

/**
 * Write a deterministic heap-like page for `id` into out[off, off+8192):
 * a valid header (layout version 4, pd_lower/pd_upper/pd_special consistent),
 * 32 normal line pointers, 32 tuples of fixed bytes, an identity stamp in the
 * first tuple, and a correct data checksum. Pages of different (relation,
 * block, lsn) differ in the stamp, pd_lsn and pd_checksum, and only there
 * (`pageTemplate`).
 *
 * Allocation: none when this call site sees PageIdentity objects of one shape.
 * When objects of several shapes reach it, V8 reads a field holding a u32 >=
 * 2^30 (a double) as a freshly boxed heap number — about 16 bytes per such
 * field per call. `buildPageFromWords` takes the identity in a Uint32Array and
 * never allocates.
 */
export function buildPage(out: Buffer, off: number, id: PageIdentity): void {
  const w = idScratch;
  w[0] = id.spcnode;
  w[1] = id.dbnode;
  w[2] = id.relnode;
  w[3] = id.forknum;
  w[4] = id.blkno;
  w[5] = id.lsnHi;
  w[6] = id.lsnLo;
  buildPageFromWords(out, off, w, 0);
}

/**
 * `buildPage` with the identity read from w[at .. at+7) in `PageIdWord` order
 * (spcnode, dbnode, relnode, forknum, blkno, lsnHi, lsnLo). No allocation.
 */
export function buildPageFromWords(out: Buffer, off: number, w: Uint32Array, at: number): void {
  const spcnode = w[at]!;
  const dbnode = w[at + 1]!;
  const relnode = w[at + 2]!;
  const forknum = w[at + 3]! & 0xff;
  const blkno = w[at + 4]!;
  const lsnHi = w[at + 5]!;
  const lsnLo = w[at + 6]!;
  // Everything but pd_lsn, pd_checksum and the identity stamp is the same in every page.
  out.set(TEMPLATE, off);
  // 32-bit stores through a DataView (an intrinsic, always inlined): a helper
  // call that TurboFan does not inline would box u32 values above 2^30.
  const d = pageView.select(out);
  const b = pageView.base + off;
  d.setUint32(b + PageHeader.pd_lsn_xlogid, lsnHi, true);
  d.setUint32(b + PageHeader.pd_lsn_xrecoff, lsnLo, true);
  // Identity stamp, big-endian like the wire.
  const st = b + IDENTITY_STAMP_OFFSET;
  d.setUint32(st, spcnode);
  d.setUint32(st + 4, dbnode);
  d.setUint32(st + 8, relnode);
  d.setUint8(st + 12, forknum);
  d.setUint32(st + 13, blkno);
  d.setUint32(st + 17, lsnHi);
  d.setUint32(st + 21, lsnLo);
  // pd_checksum, computed here rather than through setPageChecksum(…, blkno):
  // passing a u32 >= 2^30 to a call that is not inlined would box it.
  checksumInto(out, off);
  d.setUint16(b + PageHeader.pd_checksum, (((blockSum[0]! ^ blkno) >>> 0) % 65535) + 1, true);
}

/** Read pd_lsn of a page as [hi, lo]. */
export function pageLsn(buf: Buffer, off: number): [number, number] {
  return [buf.readUInt32LE(off + PageHeader.pd_lsn_xlogid), buf.readUInt32LE(off + PageHeader.pd_lsn_xrecoff)];
}
