/**
 * The GetPage hot path: encode a request frame into a preallocated buffer, and
 * verify a response in place against the request it should answer.
 *
 * Nothing here allocates. Expected requests live in a struct-of-arrays table
 * (typed-array columns indexed by slot), u64 fields split into hi/lo u32 halves
 * because a BigInt read allocates. Verification returns a small integer code —
 * the first field that differs — never a string built per call.
 *
 * Byte layouts (payload offsets, big-endian; protocol.md §2–§3):
 *   V3 request  : tag=2 @0 | reqid @1 | request_lsn @9 | not_modified_since @17 | spc @25 | db @29 | rel @33 | fork @37 | blkno @38   (42 bytes)
 *   V2 request  : tag=2 @0 | request_lsn @1 | not_modified_since @9 | spc @17 | db @21 | rel @25 | fork @29 | blkno @30              (34 bytes)
 *   V3 response : tag=102 @0 | reqid @1 | request_lsn @9 | not_modified_since @17 | spc @25 | db @29 | rel @33 | fork @37 | blkno @38 | page @42 (8234 bytes)
 *   V2 response : tag=102 @0 | page @1 (8193 bytes)
 *   Error       : tag=103 @0 | [V3: echo @1..25] | message NUL
 * A frame adds the CopyData envelope: 'd' | i32 length (= 4 + payload).
 */
import { GETPAGE_REQUEST_PAYLOAD, GETPAGE_RESPONSE_PAYLOAD, RequestTag, ResponseTag } from './pagestream.js';
import type { PagestreamVersion } from './pagestream.js';
import { verifyPageChecksum } from './page.js';
import { DataViewCache } from './view.js';

/** Frame sizes including the 5-byte CopyData envelope. */
export const GETPAGE_REQUEST_FRAME = { 2: 5 + GETPAGE_REQUEST_PAYLOAD[2], 3: 5 + GETPAGE_REQUEST_PAYLOAD[3] } as const; // 39, 47
export const GETPAGE_RESPONSE_FRAME = { 2: 5 + GETPAGE_RESPONSE_PAYLOAD[2], 3: 5 + GETPAGE_RESPONSE_PAYLOAD[3] } as const; // 8198, 8239
/** Offset of the page image within a GetPage response payload. */
export const PAGE_OFFSET = { 2: 1, 3: 42 } as const;

// Verification result codes: 0 = the response answers the request.
export const VERIFY_OK = 0;
export const MISMATCH_TAG = 1;
export const MISMATCH_LENGTH = 2;
export const MISMATCH_REQID = 3;
export const MISMATCH_REQUEST_LSN = 4;
export const MISMATCH_NOT_MODIFIED_SINCE = 5;
export const MISMATCH_SPCNODE = 6;
export const MISMATCH_DBNODE = 7;
export const MISMATCH_RELNODE = 8;
export const MISMATCH_FORKNUM = 9;
export const MISMATCH_BLKNO = 10;
export const MISMATCH_CHECKSUM = 11;
/** A page-stream Error response whose echo (V3) matched: an error, not a mismatch. */
export const RESPONSE_ERROR = 12;
export const VERIFY_CODES = 13;

/** Names of the codes, indexed by code, for reports. */
export const VERIFY_CODE_NAMES: readonly string[] = [
  'ok', 'tag', 'length', 'reqid', 'request_lsn', 'not_modified_since',
  'spcnode', 'dbnode', 'relnode', 'forknum', 'blkno', 'checksum', 'error',
];

/** True for codes that mean "this response does not answer that request". */
export function isMismatch(code: number): boolean {
  return code !== VERIFY_OK && code !== RESPONSE_ERROR;
}

/**
 * Expected GetPage requests, one row per slot, as typed-array columns.
 * Capacity is a power of two so a ring can index with `seq & mask`.
 */
export class GetPageRequestTable {
  readonly capacity: number;
  readonly mask: number;
  readonly reqidHi: Uint32Array;
  readonly reqidLo: Uint32Array;
  readonly lsnHi: Uint32Array;
  readonly lsnLo: Uint32Array;
  readonly nmsHi: Uint32Array;
  readonly nmsLo: Uint32Array;
  readonly spcnode: Uint32Array;
  readonly dbnode: Uint32Array;
  readonly relnode: Uint32Array;
  readonly forknum: Uint8Array;
  readonly blkno: Uint32Array;

  constructor(minCapacity: number) {
    let cap = 1;
    while (cap < minCapacity) cap <<= 1;
    this.capacity = cap;
    this.mask = cap - 1;
    this.reqidHi = new Uint32Array(cap);
    this.reqidLo = new Uint32Array(cap);
    this.lsnHi = new Uint32Array(cap);
    this.lsnLo = new Uint32Array(cap);
    this.nmsHi = new Uint32Array(cap);
    this.nmsLo = new Uint32Array(cap);
    this.spcnode = new Uint32Array(cap);
    this.dbnode = new Uint32Array(cap);
    this.relnode = new Uint32Array(cap);
    this.forknum = new Uint8Array(cap);
    this.blkno = new Uint32Array(cap);
  }
}

// Why DataViews (through a cache) and not Buffer#readUInt32BE/writeUInt32BE:
// values such as the halves of Lsn::MAX (0xFFFFFFFF) do not fit V8's small
// integers, and handing them to or from a Buffer method that is not inlined
// boxes each one in a heap number — an allocation per field, GC pressure at
// 500k responses/s. DataView get/set are inlined by TurboFan into one load or
// store with a byte swap, and the values stay in registers. Comparisons use
// the int32 bit pattern (`| 0` on the table side, getInt32 on the wire side).
const encView = new DataViewCache();
const verView = new DataViewCache();

/**
 * Write one V3 GetPage request frame (47 bytes) for table row `i` at `off`.
 * Returns the offset after the frame.
 */
export function encodeGetPageV3(buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  const d = encView.select(buf);
  const o = encView.base + off;
  // CopyData envelope 'd' | i32 46 (= 4 + 42-byte payload), then tag 2.
  d.setInt32(o, 0x64000000);
  buf[off + 4] = 46;
  buf[off + 5] = RequestTag.GetPage;
  d.setInt32(o + 6, t.reqidHi[i]! | 0);
  d.setInt32(o + 10, t.reqidLo[i]! | 0);
  d.setInt32(o + 14, t.lsnHi[i]! | 0);
  d.setInt32(o + 18, t.lsnLo[i]! | 0);
  d.setInt32(o + 22, t.nmsHi[i]! | 0);
  d.setInt32(o + 26, t.nmsLo[i]! | 0);
  d.setInt32(o + 30, t.spcnode[i]! | 0);
  d.setInt32(o + 34, t.dbnode[i]! | 0);
  d.setInt32(o + 38, t.relnode[i]! | 0);
  buf[off + 42] = t.forknum[i]!;
  d.setInt32(o + 43, t.blkno[i]! | 0);
  return off + 47;
}

/** Write one V2 GetPage request frame (39 bytes) for table row `i` at `off`. */
export function encodeGetPageV2(buf: Buffer, off: number, t: GetPageRequestTable, i: number): number {
  const d = encView.select(buf);
  const o = encView.base + off;
  // CopyData envelope 'd' | i32 38 (= 4 + 34-byte payload), then tag 2.
  d.setInt32(o, 0x64000000);
  buf[off + 4] = 38;
  buf[off + 5] = RequestTag.GetPage;
  d.setInt32(o + 6, t.lsnHi[i]! | 0);
  d.setInt32(o + 10, t.lsnLo[i]! | 0);
  d.setInt32(o + 14, t.nmsHi[i]! | 0);
  d.setInt32(o + 18, t.nmsLo[i]! | 0);
  d.setInt32(o + 22, t.spcnode[i]! | 0);
  d.setInt32(o + 26, t.dbnode[i]! | 0);
  d.setInt32(o + 30, t.relnode[i]! | 0);
  buf[off + 34] = t.forknum[i]!;
  d.setInt32(o + 35, t.blkno[i]! | 0);
  return off + 39;
}

/** Compare the 24-byte header echo at payload offset 1 (view position o + 1) with row `i`. */
function verifyEcho(d: DataView, o: number, t: GetPageRequestTable, i: number): number {
  if (d.getInt32(o + 1) !== (t.reqidHi[i]! | 0) || d.getInt32(o + 5) !== (t.reqidLo[i]! | 0)) return MISMATCH_REQID;
  if (d.getInt32(o + 9) !== (t.lsnHi[i]! | 0) || d.getInt32(o + 13) !== (t.lsnLo[i]! | 0)) return MISMATCH_REQUEST_LSN;
  if (d.getInt32(o + 17) !== (t.nmsHi[i]! | 0) || d.getInt32(o + 21) !== (t.nmsLo[i]! | 0)) return MISMATCH_NOT_MODIFIED_SINCE;
  return VERIFY_OK;
}

/**
 * Verify a V3 response payload buf[p, p+len) against row `i`: tag, length, and
 * all eight echo fields (reqid, request_lsn, not_modified_since, spcnode,
 * dbnode, relnode, forknum, blkno). An Error response is checked on its three
 * header fields (as the compute does) and yields RESPONSE_ERROR if they match.
 */
export function verifyGetPageV3(buf: Buffer, p: number, len: number, t: GetPageRequestTable, i: number): number {
  const tag = buf[p];
  if (tag !== ResponseTag.GetPage) {
    if (tag === ResponseTag.Error) {
      // tag + 24-byte echo + at least the message's NUL; anything shorter
      // cannot carry the echo, so it cannot be matched to the request.
      if (len < 26) return MISMATCH_LENGTH;
      const e = verifyEcho(verView.select(buf), verView.base + p, t, i);
      return e === VERIFY_OK ? RESPONSE_ERROR : e;
    }
    return MISMATCH_TAG;
  }
  if (len !== 8234) return MISMATCH_LENGTH;
  const d = verView.select(buf);
  const o = verView.base + p;
  const e = verifyEcho(d, o, t, i);
  if (e !== VERIFY_OK) return e;
  if (d.getInt32(o + 25) !== (t.spcnode[i]! | 0)) return MISMATCH_SPCNODE;
  if (d.getInt32(o + 29) !== (t.dbnode[i]! | 0)) return MISMATCH_DBNODE;
  if (d.getInt32(o + 33) !== (t.relnode[i]! | 0)) return MISMATCH_RELNODE;
  if (buf[p + 37] !== t.forknum[i]) return MISMATCH_FORKNUM;
  if (d.getInt32(o + 38) !== (t.blkno[i]! | 0)) return MISMATCH_BLKNO;
  return VERIFY_OK;
}

/** V2 carries no echo: only the tag and the length can be checked. */
export function verifyGetPageV2(buf: Buffer, p: number, len: number): number {
  const tag = buf[p];
  if (tag !== ResponseTag.GetPage) return tag === ResponseTag.Error ? RESPONSE_ERROR : MISMATCH_TAG;
  return len === 8193 ? VERIFY_OK : MISMATCH_LENGTH;
}

/**
 * V3 framing check without comparing the echo (the `v3-noverify` variant):
 * tag and length only, so it pays the bandwidth of V3 but not the compare.
 */
export function checkGetPageV3Frame(buf: Buffer, p: number, len: number): number {
  const tag = buf[p];
  if (tag !== ResponseTag.GetPage) return tag === ResponseTag.Error ? RESPONSE_ERROR : MISMATCH_TAG;
  return len === 8234 ? VERIFY_OK : MISMATCH_LENGTH;
}

/**
 * Verify the page image's data checksum against the requested block number.
 * Call after a VERIFY_OK from one of the above. Works for both versions.
 */
export function verifyGetPageChecksum(v: PagestreamVersion, buf: Buffer, p: number, t: GetPageRequestTable, i: number): number {
  return verifyPageChecksum(buf, p + PAGE_OFFSET[v], t.blkno[i]!) ? VERIFY_OK : MISMATCH_CHECKSUM;
}

/** Cold path: fill row `i` from ordinary values. */
export function setGetPageRow(
  t: GetPageRequestTable, i: number,
  reqid: bigint, requestLsn: bigint, notModifiedSince: bigint,
  rel: { spcnode: number; dbnode: number; relnode: number; forknum: number }, blkno: number,
): void {
  t.reqidHi[i] = Number(reqid >> 32n);
  t.reqidLo[i] = Number(reqid & 0xFFFF_FFFFn);
  t.lsnHi[i] = Number(requestLsn >> 32n);
  t.lsnLo[i] = Number(requestLsn & 0xFFFF_FFFFn);
  t.nmsHi[i] = Number(notModifiedSince >> 32n);
  t.nmsLo[i] = Number(notModifiedSince & 0xFFFF_FFFFn);
  t.spcnode[i] = rel.spcnode;
  t.dbnode[i] = rel.dbnode;
  t.relnode[i] = rel.relnode;
  t.forknum[i] = rel.forknum;
  t.blkno[i] = blkno;
}

export { GETPAGE_RESPONSE_PAYLOAD, GETPAGE_REQUEST_PAYLOAD };
