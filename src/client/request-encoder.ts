/**
 * GetPage request frames for the hot path, as templates: each slot of the
 * write arena is encoded whole once by the protocol layer's allocation-free
 * encoders (encodeGetPageV3/V2, cached DataViews; test/protocol/alloc.test.ts),
 * and each request then rewrites only its changing fields.
 *
 *   V3: 'd' | len=46 | tag=2 | reqid | request_lsn | not_modified_since | spc | db | rel | fork | blkno   (47 bytes)
 *   V2: 'd' | len=38 | tag=2 |         request_lsn | not_modified_since | spc | db | rel | fork | blkno   (39 bytes)
 */
import { encodeGetPageV2, encodeGetPageV3 } from '../protocol/getpage.js';
import type { GetPageRequestTable } from '../protocol/getpage.js';

/**
 * Template frames: the write arena's frame slots sit at fixed offsets (multiples
 * of the frame size: the arena wraps only to 0), and of a request's bytes only
 * reqid_lo (V3), spcnode, dbnode, relnode, fork and blkno change per request —
 * the envelope, tag, reqid_hi, request_lsn and not_modified_since are the
 * connection's constants. So every slot is written whole once (prefillFrames,
 * from row `row` of a table whose constant columns are filled) and each
 * request writes only its changing 21 (V3) / 17 (V2) bytes, as word stores
 * through a DataView made once over the arena (offsets of `dv` = offsets of
 * the Buffer: made with the Buffer's byteOffset). The table holds int32 bit
 * patterns, so no value handed to setInt32 is ever boxed.
 */
export function prefillFrames(buf: Buffer, version: 2 | 3, t: GetPageRequestTable, row: number): void {
  const size = version === 3 ? 47 : 39;
  for (let off = 0; off + size <= buf.length; off += size) {
    if (version === 3) encodeGetPageV3(buf, off, t, row);
    else encodeGetPageV2(buf, off, t, row);
  }
}

/** The changing fields of a V3 request into a prefilled frame slot at `off`. */
export function writeGetPageV3Fields(dv: DataView, buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  const R = t.rows;
  const r = i << 4; // row layout: RowField in protocol/getpage.ts
  dv.setInt32(off + 10, R[r + 1]!); // reqid lo
  dv.setInt32(off + 30, R[r + 6]!); // spcnode
  dv.setInt32(off + 34, R[r + 7]!); // dbnode
  dv.setInt32(off + 38, R[r + 8]!); // relnode
  buf[off + 42] = R[r + 9]!; // forknum
  dv.setInt32(off + 43, R[r + 10]!); // blkno
  return off + 47;
}

/** The changing fields of a V2 request into a prefilled frame slot at `off`. */
export function writeGetPageV2Fields(dv: DataView, buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  const R = t.rows;
  const r = i << 4;
  dv.setInt32(off + 22, R[r + 6]!); // spcnode
  dv.setInt32(off + 26, R[r + 7]!); // dbnode
  dv.setInt32(off + 30, R[r + 8]!); // relnode
  buf[off + 34] = R[r + 9]!; // forknum
  dv.setInt32(off + 35, R[r + 10]!); // blkno
  return off + 39;
}
