/**
 * Inputs for the protocol micro-benchmarks and the allocation test: a request
 * table, V3/V2 GetPage responses that answer it, checksummed pages, and a
 * stream of V3 GetPage response frames cut into 256 KiB reads. Everything is
 * built once; the measured functions only read it.
 */
import { GetPageRequestTable, setGetPageRow } from '../../src/protocol/getpage.js';
import { encodeResponse } from '../../src/protocol/pagestream.js';
import { buildPage } from '../../src/protocol/page.js';

export const SLOTS = 64;
export const BLCKSZ = 8192;
export const V3_PAYLOAD = 8234;
export const V2_PAYLOAD = 8193;
export const V3_FRAME = 8239;
export const READ_SIZE = 256 * 1024;

export interface MicroFixtures {
  table: GetPageRequestTable;
  /** SLOTS V3 GetPage response payloads back to back; response i at i * V3_PAYLOAD answers row i. */
  v3: Buffer;
  /** SLOTS V2 GetPage response payloads back to back. */
  v2: Buffer;
  /** SLOTS checksummed pages; page i is block i. */
  pages: Buffer;
  /** A stream of `streamFrames` V3 response frames cut into reads of READ_SIZE (the last one shorter): frames straddle reads. */
  reads: Buffer[];
  /** The same stream cut at frame boundaries into reads of at most READ_SIZE (31 whole frames each): no frame straddles. */
  alignedReads: Buffer[];
  streamFrames: number;
  /** Request frames are written here. */
  out: Buffer;
}

export function buildFixtures(streamFrames = 64): MicroFixtures {
  const table = new GetPageRequestTable(SLOTS);
  const pages = Buffer.alloc(SLOTS * BLCKSZ);
  const v3 = Buffer.alloc(SLOTS * V3_PAYLOAD);
  const v2 = Buffer.alloc(SLOTS * V2_PAYLOAD);
  for (let i = 0; i < SLOTS; i++) {
    const rel = { spcnode: 1663, dbnode: 5, relnode: 16384 + (i & 3), forknum: 0 };
    const reqid = (4242n << 32n) | BigInt(i + 1);
    const lsn = 0xFFFF_FFFF_FFFF_FFFFn;
    const nms = 0x1_0169_AD58n + BigInt(i * 8);
    setGetPageRow(table, i, reqid, lsn, nms, rel, i);
    buildPage(pages, i * BLCKSZ, { ...rel, blkno: i, lsnHi: 1, lsnLo: 0x0169AD58 + i * 8 });
    const page = pages.subarray(i * BLCKSZ, (i + 1) * BLCKSZ);
    encodeResponse(3, { kind: 'getpage', hdr: { reqid, requestLsn: lsn, notModifiedSince: nms }, rel, blkno: i, page }).copy(v3, i * V3_PAYLOAD);
    encodeResponse(2, { kind: 'getpage', page }).copy(v2, i * V2_PAYLOAD);
  }
  const stream = Buffer.alloc(streamFrames * V3_FRAME);
  for (let f = 0; f < streamFrames; f++) {
    const o = f * V3_FRAME;
    stream[o] = 0x64;
    stream.writeInt32BE(4 + V3_PAYLOAD, o + 1);
    const s = f % SLOTS;
    v3.copy(stream, o + 5, s * V3_PAYLOAD, (s + 1) * V3_PAYLOAD);
  }
  const reads: Buffer[] = [];
  for (let p = 0; p < stream.length; p += READ_SIZE) reads.push(stream.subarray(p, Math.min(stream.length, p + READ_SIZE)));
  const alignedReads: Buffer[] = [];
  const perRead = Math.floor(READ_SIZE / V3_FRAME) * V3_FRAME;
  for (let p = 0; p < stream.length; p += perRead) alignedReads.push(stream.subarray(p, Math.min(stream.length, p + perRead)));
  return { table, v3, v2, pages, reads, alignedReads, streamFrames, out: Buffer.alloc(SLOTS * 47) };
}
