/**
 * The constant frames of the raw arm: one V3 GetPage request frame (47 bytes)
 * and the 8239-byte response frame that answers it, built once through the
 * protocol layer's cold-path codecs. The raw pair never builds a frame per
 * request: it only slices views of these, made once up front.
 */
import { encodeRequest, encodeResponse } from '../../src/protocol/pagestream.js';
import { GETPAGE_REQUEST_FRAME as REQ, GETPAGE_RESPONSE_FRAME as RESP } from '../../src/protocol/getpage.js';
import { buildPage } from '../../src/protocol/page.js';

export const REQUEST_FRAME_BYTES = REQ[3]; // 47
export const RESPONSE_FRAME_BYTES = RESP[3]; // 8239

// The emulator's first relation (1663/16384/16400, main fork), so the same frames are valid against it.
const REL = { spcnode: 1663, dbnode: 16384, relnode: 16400, forknum: 0 };
const HDR = { reqid: 1n, requestLsn: 0xffffffffffffffffn, notModifiedSince: 0x169ad58n };

/** Wrap a page-stream payload in a CopyData envelope: 'd', int32 length (4 + payload), payload. */
function copyData(payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(5 + payload.length);
  f[0] = 0x64; // 'd'
  f.writeUInt32BE(4 + payload.length, 1);
  payload.copy(f, 5);
  return f;
}

export function getPageRequestFrameV3(): Buffer {
  const f = copyData(encodeRequest(3, { kind: 'getpage', hdr: HDR, rel: REL, blkno: 7 }));
  if (f.length !== REQUEST_FRAME_BYTES) throw new Error(`request frame is ${f.length} bytes, expected ${REQUEST_FRAME_BYTES}`);
  return f;
}

export function getPageResponseFrameV3(): Buffer {
  const page = Buffer.alloc(8192);
  // buildPage also sets the page's data checksum.
  buildPage(page, 0, { spcnode: REL.spcnode, dbnode: REL.dbnode, relnode: REL.relnode, forknum: 0, blkno: 7, lsnHi: 0, lsnLo: 0x169ad58 });
  const f = copyData(encodeResponse(3, { kind: 'getpage', hdr: HDR, rel: REL, blkno: 7, page }));
  if (f.length !== RESPONSE_FRAME_BYTES) throw new Error(`response frame is ${f.length} bytes, expected ${RESPONSE_FRAME_BYTES}`);
  return f;
}

/**
 * `count` copies of `frame` back to back, and views[n] = the first n frames,
 * so a batch of n answers (or n refills) is one write of a view made up front.
 */
export function repeatedFrames(frame: Buffer, count: number): Buffer[] {
  const all = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(all, i * frame.length);
  const views: Buffer[] = [Buffer.alloc(0)];
  for (let n = 1; n <= count; n++) views.push(all.subarray(0, n * frame.length));
  return views;
}
