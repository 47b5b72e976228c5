/**
 * Page-stream requests and responses, V2 and V3, every kind (protocol.md §2–§3).
 * These are the general (cold-path) codecs: objects in, payload Buffers out, and
 * back. The per-request GetPage path that must not allocate is in getpage.ts.
 *
 * A payload is the body of one CopyData message. All integers are big-endian.
 */
import { ProtocolError } from './errors.js';
import type { RelTag } from './text.js';
import { readU64, writeU64 } from './u64.js';

export type PagestreamVersion = 2 | 3;

export const RequestTag = { Exists: 0, Nblocks: 1, GetPage: 2, DbSize: 3, GetSlruSegment: 4 } as const;
export const ResponseTag = { Exists: 100, Nblocks: 101, GetPage: 102, Error: 103, DbSize: 104, GetSlruSegment: 105 } as const;

export const BLCKSZ = 8192;
export const RELTAG_SIZE = 13;
/** Common request header: V2 tag|lsn|nms = 17 bytes; V3 adds reqid = 25 bytes. */
export const headerSize = (v: PagestreamVersion): number => (v === 3 ? 25 : 17);
/** Response echo (V3 only): reqid|request_lsn|not_modified_since. */
export const ECHO_SIZE = 24;

export const GETPAGE_REQUEST_PAYLOAD = { 2: 34, 3: 42 } as const;
export const GETPAGE_RESPONSE_PAYLOAD = { 2: 1 + BLCKSZ, 3: 1 + ECHO_SIZE + RELTAG_SIZE + 4 + BLCKSZ } as const;

/** The fields every request carries (reqid is 0 and not sent in V2). */
export interface RequestHeader {
  reqid: bigint;
  requestLsn: bigint;
  notModifiedSince: bigint;
}

export type PagestreamRequest =
  | { kind: 'exists'; hdr: RequestHeader; rel: RelTag }
  | { kind: 'nblocks'; hdr: RequestHeader; rel: RelTag }
  | { kind: 'getpage'; hdr: RequestHeader; rel: RelTag; blkno: number }
  | { kind: 'dbsize'; hdr: RequestHeader; dbnode: number }
  | { kind: 'slru'; hdr: RequestHeader; slruKind: number; segno: number };

/** `hdr` (the V3 echo) is present only in V3 responses. */
export type PagestreamResponse =
  | { kind: 'exists'; hdr?: RequestHeader; rel?: RelTag; exists: boolean }
  | { kind: 'nblocks'; hdr?: RequestHeader; rel?: RelTag; nblocks: number }
  | { kind: 'getpage'; hdr?: RequestHeader; rel?: RelTag; blkno?: number; page: Buffer }
  | { kind: 'error'; hdr?: RequestHeader; message: string }
  | { kind: 'dbsize'; hdr?: RequestHeader; dbnode?: number; dbSize: bigint }
  | { kind: 'slru'; hdr?: RequestHeader; slruKind?: number; segno?: number; nBlocks: number; data: Buffer };

// ---------------------------------------------------------------- writers

function putRelTag(b: Buffer, off: number, r: RelTag): number {
  b.writeUInt32BE(r.spcnode, off);
  b.writeUInt32BE(r.dbnode, off + 4);
  b.writeUInt32BE(r.relnode, off + 8);
  b.writeUInt8(r.forknum, off + 12);
  return off + RELTAG_SIZE;
}

function getRelTag(b: Buffer, off: number): RelTag {
  return { spcnode: b.readUInt32BE(off), dbnode: b.readUInt32BE(off + 4), relnode: b.readUInt32BE(off + 8), forknum: b[off + 12]! };
}

function putHeader(b: Buffer, v: PagestreamVersion, tag: number, h: RequestHeader): number {
  b[0] = tag;
  let off = 1;
  if (v === 3) {
    writeU64(b, off, h.reqid);
    off += 8;
  }
  writeU64(b, off, h.requestLsn);
  writeU64(b, off + 8, h.notModifiedSince);
  return off + 16;
}

/** The V3 echo of a request header, written at `off`. */
function putEcho(b: Buffer, off: number, h: RequestHeader): number {
  writeU64(b, off, h.reqid);
  writeU64(b, off + 8, h.requestLsn);
  writeU64(b, off + 16, h.notModifiedSince);
  return off + ECHO_SIZE;
}

function getEcho(b: Buffer, off: number): RequestHeader {
  return { reqid: readU64(b, off), requestLsn: readU64(b, off + 8), notModifiedSince: readU64(b, off + 16) };
}

export function requestPayloadSize(v: PagestreamVersion, kind: PagestreamRequest['kind']): number {
  const h = headerSize(v);
  switch (kind) {
    case 'exists':
    case 'nblocks':
      return h + RELTAG_SIZE;
    case 'getpage':
      return h + RELTAG_SIZE + 4;
    case 'dbsize':
      return h + 4;
    case 'slru':
      return h + 5;
  }
}

const REQUEST_TAG: Record<PagestreamRequest['kind'], number> = {
  exists: RequestTag.Exists, nblocks: RequestTag.Nblocks, getpage: RequestTag.GetPage,
  dbsize: RequestTag.DbSize, slru: RequestTag.GetSlruSegment,
};

/** Encode a request payload (the CopyData body). */
export function encodeRequest(v: PagestreamVersion, r: PagestreamRequest): Buffer {
  const b = Buffer.allocUnsafe(requestPayloadSize(v, r.kind));
  let off = putHeader(b, v, REQUEST_TAG[r.kind], r.hdr);
  switch (r.kind) {
    case 'exists':
    case 'nblocks':
      putRelTag(b, off, r.rel);
      break;
    case 'getpage':
      off = putRelTag(b, off, r.rel);
      b.writeUInt32BE(r.blkno, off);
      break;
    case 'dbsize':
      b.writeUInt32BE(r.dbnode, off);
      break;
    case 'slru':
      b[off] = r.slruKind;
      b.writeUInt32BE(r.segno, off + 1);
      break;
  }
  return b;
}

const KIND_OF_REQUEST_TAG = ['exists', 'nblocks', 'getpage', 'dbsize', 'slru'] as const;

/** Decode a request payload. Throws ProtocolError on unknown tag or wrong length. */
export function decodeRequest(v: PagestreamVersion, buf: Buffer, off: number, len: number): PagestreamRequest {
  if (len < 1) throw new ProtocolError('ERR_TRUNCATED', 'empty page-stream request', off);
  const tag = buf[off]!;
  const kind = KIND_OF_REQUEST_TAG[tag];
  if (kind === undefined) throw new ProtocolError('ERR_UNKNOWN_TAG', `unknown page-stream request tag ${tag}`, off);
  const want = requestPayloadSize(v, kind);
  if (len !== want) {
    throw new ProtocolError(len < want ? 'ERR_TRUNCATED' : 'ERR_BAD_LENGTH', `V${v} ${kind} request is ${want} bytes, got ${len}`, off);
  }
  let p = off + 1;
  let reqid = 0n;
  if (v === 3) {
    reqid = readU64(buf, p);
    p += 8;
  }
  const hdr: RequestHeader = { reqid, requestLsn: readU64(buf, p), notModifiedSince: readU64(buf, p + 8) };
  p += 16;
  switch (kind) {
    case 'exists':
    case 'nblocks':
      return { kind, hdr, rel: getRelTag(buf, p) };
    case 'getpage':
      return { kind, hdr, rel: getRelTag(buf, p), blkno: buf.readUInt32BE(p + RELTAG_SIZE) };
    case 'dbsize':
      return { kind, hdr, dbnode: buf.readUInt32BE(p) };
    case 'slru':
      return { kind, hdr, slruKind: buf[p]!, segno: buf.readUInt32BE(p + 1) };
  }
}

// ---------------------------------------------------------------- responses

/**
 * Encode a response payload. For V3 the echo fields come from `echo` (the
 * request being answered, whose hdr/rel/blkno/dbnode/slruKind/segno are copied).
 */
export function encodeResponse(v: PagestreamVersion, r: PagestreamResponse): Buffer {
  const v3 = v === 3;
  if (v3 && r.hdr === undefined) throw new ProtocolError('ERR_BAD_MESSAGE', `V3 ${r.kind} response needs the request header to echo`);
  const echo = v3 ? ECHO_SIZE : 0;
  let b: Buffer;
  let off = 1;
  const start = (tag: number, size: number): void => {
    b = Buffer.allocUnsafe(size);
    b[0] = tag;
    if (v3) off = putEcho(b, 1, r.hdr!);
  };
  const rel = (x: RelTag | undefined, what: string): RelTag => {
    if (x === undefined) throw new ProtocolError('ERR_BAD_MESSAGE', `V3 ${what} response needs the RelTag to echo`);
    return x;
  };
  switch (r.kind) {
    case 'exists':
      start(ResponseTag.Exists, 1 + echo + (v3 ? RELTAG_SIZE : 0) + 1);
      if (v3) off = putRelTag(b!, off, rel(r.rel, 'exists'));
      b![off] = r.exists ? 1 : 0;
      return b!;
    case 'nblocks':
      start(ResponseTag.Nblocks, 1 + echo + (v3 ? RELTAG_SIZE : 0) + 4);
      if (v3) off = putRelTag(b!, off, rel(r.rel, 'nblocks'));
      b!.writeUInt32BE(r.nblocks, off);
      return b!;
    case 'getpage':
      if (r.page.length !== BLCKSZ) throw new ProtocolError('ERR_BAD_MESSAGE', `page image is ${r.page.length} bytes, not ${BLCKSZ}`);
      start(ResponseTag.GetPage, 1 + echo + (v3 ? RELTAG_SIZE + 4 : 0) + BLCKSZ);
      if (v3) {
        off = putRelTag(b!, off, rel(r.rel, 'getpage'));
        b!.writeUInt32BE(r.blkno ?? 0, off);
        off += 4;
      }
      r.page.copy(b!, off);
      return b!;
    case 'error': {
      const msg = Buffer.from(r.message, 'utf8');
      if (msg.includes(0)) throw new ProtocolError('ERR_BAD_MESSAGE', 'error message contains a NUL');
      start(ResponseTag.Error, 1 + echo + msg.length + 1);
      msg.copy(b!, off);
      b![off + msg.length] = 0;
      return b!;
    }
    case 'dbsize':
      start(ResponseTag.DbSize, 1 + echo + (v3 ? 4 : 0) + 8);
      if (v3) {
        b!.writeUInt32BE(r.dbnode ?? 0, off);
        off += 4;
      }
      b!.writeBigInt64BE(r.dbSize, off);
      return b!;
    case 'slru':
      if (r.data.length !== r.nBlocks * BLCKSZ) throw new ProtocolError('ERR_BAD_MESSAGE', `SLRU data is ${r.data.length} bytes, not n_blocks × ${BLCKSZ}`);
      start(ResponseTag.GetSlruSegment, 1 + echo + (v3 ? 5 : 0) + 4 + r.data.length);
      if (v3) {
        b![off] = r.slruKind ?? 0;
        b!.writeUInt32BE(r.segno ?? 0, off + 1);
        off += 5;
      }
      b!.writeUInt32BE(r.nBlocks, off);
      r.data.copy(b!, off + 4);
      return b!;
  }
}

function need(len: number, want: number, what: string, off: number, exact = true): void {
  if (len < want) throw new ProtocolError('ERR_TRUNCATED', `${what} response needs ${want} bytes, got ${len}`, off);
  if (exact && len !== want) throw new ProtocolError('ERR_BAD_LENGTH', `${what} response is ${want} bytes, got ${len}`, off);
}

/**
 * Decode a response payload. The page or SLRU data is a view into `buf`
 * (copy it if you keep it past the current read).
 */
export function decodeResponse(v: PagestreamVersion, buf: Buffer, off: number, len: number): PagestreamResponse {
  if (len < 1) throw new ProtocolError('ERR_TRUNCATED', 'empty page-stream response', off);
  const v3 = v === 3;
  const tag = buf[off]!;
  const echo = v3 ? ECHO_SIZE : 0;
  const end = off + len;
  let p = off + 1;
  let hdr: RequestHeader | undefined;
  const readEcho = (what: string, min: number, exact = true): void => {
    need(len, min, `V${v} ${what}`, off, exact);
    if (v3) {
      hdr = getEcho(buf, p);
      p += ECHO_SIZE;
    }
  };
  switch (tag) {
    case ResponseTag.Exists: {
      readEcho('exists', 1 + echo + (v3 ? RELTAG_SIZE : 0) + 1);
      const rel = v3 ? getRelTag(buf, p) : undefined;
      if (v3) p += RELTAG_SIZE;
      return v3 ? { kind: 'exists', hdr: hdr!, rel: rel!, exists: buf[p] !== 0 } : { kind: 'exists', exists: buf[p] !== 0 };
    }
    case ResponseTag.Nblocks: {
      readEcho('nblocks', 1 + echo + (v3 ? RELTAG_SIZE : 0) + 4);
      if (!v3) return { kind: 'nblocks', nblocks: buf.readUInt32BE(p) };
      return { kind: 'nblocks', hdr: hdr!, rel: getRelTag(buf, p), nblocks: buf.readUInt32BE(p + RELTAG_SIZE) };
    }
    case ResponseTag.GetPage: {
      readEcho('getpage', GETPAGE_RESPONSE_PAYLOAD[v]);
      if (!v3) return { kind: 'getpage', page: buf.subarray(p, p + BLCKSZ) };
      const rel = getRelTag(buf, p);
      const blkno = buf.readUInt32BE(p + RELTAG_SIZE);
      p += RELTAG_SIZE + 4;
      return { kind: 'getpage', hdr: hdr!, rel, blkno, page: buf.subarray(p, p + BLCKSZ) };
    }
    case ResponseTag.Error: {
      readEcho('error', 1 + echo + 1, false);
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= end) throw new ProtocolError('ERR_MISSING_NUL', `V${v} error response message without terminating NUL`, p);
      if (nul !== end - 1) throw new ProtocolError('ERR_BAD_LENGTH', `V${v} error response has ${end - 1 - nul} bytes after its message`, nul);
      const message = buf.toString('utf8', p, nul);
      return v3 ? { kind: 'error', hdr: hdr!, message } : { kind: 'error', message };
    }
    case ResponseTag.DbSize: {
      readEcho('dbsize', 1 + echo + (v3 ? 4 : 0) + 8);
      if (!v3) return { kind: 'dbsize', dbSize: buf.readBigInt64BE(p) };
      return { kind: 'dbsize', hdr: hdr!, dbnode: buf.readUInt32BE(p), dbSize: buf.readBigInt64BE(p + 4) };
    }
    case ResponseTag.GetSlruSegment: {
      const fixed = 1 + echo + (v3 ? 5 : 0) + 4;
      readEcho('slru', fixed, false);
      let slruKind: number | undefined;
      let segno: number | undefined;
      if (v3) {
        slruKind = buf[p]!;
        segno = buf.readUInt32BE(p + 1);
        p += 5;
      }
      const nBlocks = buf.readUInt32BE(p);
      p += 4;
      need(len, fixed + nBlocks * BLCKSZ, `V${v} slru`, off);
      const data = buf.subarray(p, p + nBlocks * BLCKSZ);
      return v3 ? { kind: 'slru', hdr: hdr!, slruKind: slruKind!, segno: segno!, nBlocks, data } : { kind: 'slru', nBlocks, data };
    }
    default:
      throw new ProtocolError('ERR_UNKNOWN_TAG', `unknown page-stream response tag ${tag}`, off);
  }
}

/** The text of the command that enters the page stream. */
export function pagestreamCommand(v: PagestreamVersion, tenant: string, timeline: string): string {
  return `pagestream_v${v} ${tenant} ${timeline}`;
}
