/**
 * GetPage request frames for the hot path, written byte by byte from the
 * slot's columns.
 *
 * Why not encodeGetPageV3/V2 from the protocol layer: they call
 * Buffer#writeUInt32BE with the slot's u32 halves, and when V8 does not
 * inline that call a value above 2^30 — request_lsn = Lsn::MAX is
 * 0xFFFFFFFF_FFFFFFFF, the default — is passed boxed: two heap numbers per
 * request (measured: ~32 bytes per response and GC events in the hot-loop
 * test, depending on inlining decisions). Shifts and byte stores never box.
 * The byte layout is the same (protocol.md §2; test/client/request-encoder.test.ts
 * checks it against the protocol layer's encoders byte for byte).
 *
 *   V3: 'd' | len=46 | tag=2 | reqid | request_lsn | not_modified_since | spc | db | rel | fork | blkno   (47 bytes)
 *   V2: 'd' | len=38 | tag=2 |         request_lsn | not_modified_since | spc | db | rel | fork | blkno   (39 bytes)
 */
import type { GetPageRequestTable } from '../protocol/getpage.js';

/** Column and row are passed, never the value: a u32 above 2^30 passed to a call that is not inlined is boxed. */
function u32(buf: Buffer, o: number, col: Uint32Array, i: number): void {
  const v = col[i]!;
  buf[o] = v >>> 24;
  buf[o + 1] = v >>> 16;
  buf[o + 2] = v >>> 8;
  buf[o + 3] = v;
}

export function writeGetPageV3(buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  buf[off] = 0x64;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = 46;
  buf[off + 5] = 2;
  u32(buf, off + 6, t.reqidHi, i);
  u32(buf, off + 10, t.reqidLo, i);
  u32(buf, off + 14, t.lsnHi, i);
  u32(buf, off + 18, t.lsnLo, i);
  u32(buf, off + 22, t.nmsHi, i);
  u32(buf, off + 26, t.nmsLo, i);
  u32(buf, off + 30, t.spcnode, i);
  u32(buf, off + 34, t.dbnode, i);
  u32(buf, off + 38, t.relnode, i);
  buf[off + 42] = t.forknum[i]!;
  u32(buf, off + 43, t.blkno, i);
  return off + 47;
}

export function writeGetPageV2(buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  buf[off] = 0x64;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = 38;
  buf[off + 5] = 2;
  u32(buf, off + 6, t.lsnHi, i);
  u32(buf, off + 10, t.lsnLo, i);
  u32(buf, off + 14, t.nmsHi, i);
  u32(buf, off + 18, t.nmsLo, i);
  u32(buf, off + 22, t.spcnode, i);
  u32(buf, off + 26, t.dbnode, i);
  u32(buf, off + 30, t.relnode, i);
  buf[off + 34] = t.forknum[i]!;
  u32(buf, off + 35, t.blkno, i);
  return off + 39;
}

/**
 * Template frames: the write arena's frame slots sit at fixed offsets (multiples
 * of the frame size: the arena wraps only to 0), and of a request's bytes only
 * reqid_lo (V3), spcnode, dbnode, relnode, fork and blkno change per request —
 * the envelope, tag, reqid_hi, request_lsn and not_modified_since are the
 * connection's constants. So every slot is written whole once (prefillFrames,
 * from row `row` of a table whose constant columns are filled) and each
 * request writes only its changing 21 (V3) / 17 (V2) bytes, as word stores
 * through a DataView made once over the arena (offsets of `dv` = offsets of
 * the Buffer: made with the Buffer's byteOffset). `| 0`: an int32 argument is
 * never boxed, a u32 above 2^31 could be.
 */
export function prefillFrames(buf: Buffer, version: 2 | 3, t: GetPageRequestTable, row: number): void {
  const size = version === 3 ? 47 : 39;
  for (let off = 0; off + size <= buf.length; off += size) {
    if (version === 3) writeGetPageV3(buf, off, t, row);
    else writeGetPageV2(buf, off, t, row);
  }
}

/** The changing fields of a V3 request into a prefilled frame slot at `off`. */
export function writeGetPageV3Fields(dv: DataView, buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  dv.setInt32(off + 10, t.reqidLo[i]! | 0);
  dv.setInt32(off + 30, t.spcnode[i]! | 0);
  dv.setInt32(off + 34, t.dbnode[i]! | 0);
  dv.setInt32(off + 38, t.relnode[i]! | 0);
  buf[off + 42] = t.forknum[i]!;
  dv.setInt32(off + 43, t.blkno[i]! | 0);
  return off + 47;
}

/** The changing fields of a V2 request into a prefilled frame slot at `off`. */
export function writeGetPageV2Fields(dv: DataView, buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  dv.setInt32(off + 22, t.spcnode[i]! | 0);
  dv.setInt32(off + 26, t.dbnode[i]! | 0);
  dv.setInt32(off + 30, t.relnode[i]! | 0);
  buf[off + 34] = t.forknum[i]!;
  dv.setInt32(off + 35, t.blkno[i]! | 0);
  return off + 39;
}
