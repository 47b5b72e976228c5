/**
 * Fuzz properties shared by the in-suite fuzz test (>= 100k cases) and the long
 * run (`npm run fuzz`, >= 10M cases).
 *
 * Each property feeds an arbitrary byte stream, cut at arbitrary points, into a
 * real parsing path and checks:
 *  - every failure is a typed ProtocolError (anything else — RangeError from an
 *    out-of-bounds read, TypeError — is a bug);
 *  - the outcome does not depend on the chunking (same frames, same error code);
 *  - memory held back is bounded by the bytes received and by the frame limit,
 *    so a claimed 1 GiB frame costs nothing;
 *  - loops terminate (the property returns; fast-check's per-run timeout is not
 *    needed because nothing here awaits).
 *
 * The streams mix three kinds of segments so that the fuzzer reaches deep code:
 * well-formed frames with well-formed page-stream payloads (so decode and verify
 * run), well-formed frames with random payloads (decode error paths), and raw
 * garbage (frame-header error paths).
 */
import fc from 'fast-check';
import { FrameReader } from '../../../src/protocol/frame-reader.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { decodeRequest, decodeResponse, ResponseTag, RequestTag } from '../../../src/protocol/pagestream.js';
import type { PagestreamVersion } from '../../../src/protocol/pagestream.js';
import {
  GetPageRequestTable, setGetPageRow, verifyGetPageV3, verifyGetPageV2, checkGetPageV3Frame,
  verifyGetPageChecksum, VERIFY_OK,
} from '../../../src/protocol/getpage.js';
import { decodeStartupPacket, decodeErrorFields, decodeCstrBody, decodeAuthentication, decodeParameterStatus, Msg } from '../../../src/protocol/libpq.js';
import { buildPage } from '../../../src/protocol/page.js';
import { message } from '../../protocol/helpers/bytes.js';

/** The frame limit a client would use for page-stream traffic: small, so the fuzzer hits it. */
export const FUZZ_MAX_FRAME = 64 * 1024;
const INITIAL_PENDING = 1024;

// ---------------------------------------------------------------- byte builders (hand-written layouts, protocol.md §1–§3)


/** One real page image, built once (8 KiB per case would dominate the fuzz time). */
const PAGE = Buffer.alloc(8192);
buildPage(PAGE, 0, { spcnode: 1663, dbnode: 5, relnode: 16384, forknum: 0, blkno: 7, lsnHi: 0, lsnLo: 0x169ad58 });

/** The request the verifier expects in the fuzz properties (matches PAGE). */
export const EXPECTED = { reqid: 0x100000001n, lsn: 0xffffffffffffffffn, nms: 0x169ad58n, rel: { spcnode: 1663, dbnode: 5, relnode: 16384, forknum: 0 }, blkno: 7 };

function v3GetPagePayload(echoMutate: number, byte: number): Buffer {
  const b = Buffer.alloc(8234);
  b[0] = ResponseTag.GetPage;
  b.writeBigUInt64BE(EXPECTED.reqid, 1);
  b.writeBigUInt64BE(EXPECTED.lsn, 9);
  b.writeBigUInt64BE(EXPECTED.nms, 17);
  b.writeUInt32BE(EXPECTED.rel.spcnode, 25);
  b.writeUInt32BE(EXPECTED.rel.dbnode, 29);
  b.writeUInt32BE(EXPECTED.rel.relnode, 33);
  b[37] = EXPECTED.rel.forknum;
  b.writeUInt32BE(EXPECTED.blkno, 38);
  PAGE.copy(b, 42);
  // Flip one byte somewhere (echo or page) unless echoMutate is out of range.
  if (echoMutate < b.length && echoMutate > 0) b[echoMutate] ^= byte | 1;
  return b;
}

function v2GetPagePayload(mutate: number, byte: number): Buffer {
  const b = Buffer.alloc(8193);
  b[0] = ResponseTag.GetPage;
  PAGE.copy(b, 1);
  if (mutate > 0 && mutate < b.length) b[mutate] ^= byte | 1;
  return b;
}

function errorPayload(v: PagestreamVersion, msg: Uint8Array, nulAt: number): Buffer {
  const echo = v === 3 ? 24 : 0;
  const b = Buffer.alloc(1 + echo + msg.length + 1);
  b[0] = ResponseTag.Error;
  if (v === 3) {
    b.writeBigUInt64BE(EXPECTED.reqid, 1);
    b.writeBigUInt64BE(EXPECTED.lsn, 9);
    b.writeBigUInt64BE(EXPECTED.nms, 17);
  }
  b.set(msg, 1 + echo);
  // Usually terminated at the end; sometimes an early NUL or none.
  if (nulAt >= 0 && nulAt < msg.length + 1) b[1 + echo + nulAt] = 0;
  return b;
}

// ---------------------------------------------------------------- arbitraries

const smallBytes = fc.uint8Array({ minLength: 0, maxLength: 48 });

/** A page-stream response payload: well-formed, mutated, or random. */
function responsePayload(v: PagestreamVersion): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.tuple(fc.nat(9000), fc.nat(255)).map(([m, x]) => (v === 3 ? v3GetPagePayload(m, x) : v2GetPagePayload(m, x))) },
    { weight: 4, arbitrary: fc.tuple(smallBytes, fc.integer({ min: -1, max: 50 })).map(([m, n]) => errorPayload(v, m, n)) },
    // Known tags with random bodies: Exists, Nblocks, DbSize, Slru, unknown.
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(100, 101, 102, 103, 104, 105, 0, 2, 106, 255), smallBytes).map(([t, body]) => Buffer.concat([Buffer.of(t), body])) },
    { weight: 2, arbitrary: smallBytes },
  );
}

/** A frame header with an arbitrary (often absurd) length field and a short body: either direction. */
const absurdFrame: fc.Arbitrary<Uint8Array> = fc.tuple(fc.nat(255), fc.integer({ min: -0x80000000, max: 0x7fffffff }), smallBytes).map(([t, len, body]) => {
  const b = Buffer.allocUnsafe(5 + body.length);
  b[0] = t;
  b.writeInt32BE(len, 1);
  b.set(body, 5);
  return b;
});

/** One segment of a server->client stream. */
function serverSegment(v: PagestreamVersion): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: responsePayload(v).map((p) => message(Msg.CopyData, p)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(Msg.ErrorResponse, Msg.NoticeResponse, Msg.Authentication, Msg.ParameterStatus, Msg.ReadyForQuery, Msg.CopyBothResponse, 0x00, 0xff), smallBytes).map(([t, b]) => message(t, b)) },
    { weight: 1, arbitrary: absurdFrame },
    { weight: 1, arbitrary: smallBytes },
  );
}

/** A client->server stream: startup-phase packet(s) then typed messages. */
function clientSegment(v: PagestreamVersion): fc.Arbitrary<Uint8Array> {
  const reqPayload = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 5, 200), fc.uint8Array({ minLength: 0, maxLength: 45 })).map(([t, b]) => Buffer.concat([Buffer.of(t), b])) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ minLength: 45, maxLength: 45 })).map(([t, b]) => {
      // exact-size requests so decode succeeds and its field reads run
      const sizes = v === 3 ? [38, 38, 42, 29, 30] : [30, 30, 34, 21, 22];
      const out = Buffer.alloc(sizes[t]!);
      out[0] = t;
      out.set(b.subarray(0, out.length - 1), 1);
      return out;
    }) },
  );
  return fc.oneof(
    { weight: 6, arbitrary: reqPayload.map((p) => message(Msg.CopyData, p)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(Msg.Query, Msg.Password, Msg.Terminate, Msg.CopyDone, Msg.CopyFail, 0x00, 0xff), smallBytes).map(([t, b]) => message(t, b)) },
    { weight: 1, arbitrary: absurdFrame },
    { weight: 1, arbitrary: smallBytes },
  );
}

/** Startup phase: a real StartupMessage, SSLRequest, or garbage with a length. */
const startupSegment: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(Buffer.from('0000000804d2162f', 'hex')), // SSLRequest: len 8, code 80877103
  fc.constant(Buffer.from('0000000804d21630', 'hex')), // GSSENCRequest: 80877104
  fc.tuple(fc.integer({ min: -10, max: 200 }), fc.uint8Array({ minLength: 0, maxLength: 60 })).map(([len, body]) => {
    const b = Buffer.allocUnsafe(4 + body.length);
    b.writeInt32BE(len < 0 ? len : len + 4, 0);
    b.set(body, 4);
    return b;
  }),
  fc.uint8Array({ minLength: 0, maxLength: 60 }).map((params) => {
    // version 3.0 then random parameter bytes (often without the final NUL)
    const b = Buffer.allocUnsafe(8 + params.length);
    b.writeInt32BE(8 + params.length, 0);
    b.writeInt32BE(196608, 4);
    b.set(params, 8);
    return b;
  }),
);

export interface StreamCase {
  version: PagestreamVersion;
  stream: Buffer;
  /** Cut points (sorted, deduplicated, inside the stream). */
  cuts: number[];
}

function withCuts(version: PagestreamVersion, segs: Uint8Array[], cutSeeds: number[]): StreamCase {
  const stream = Buffer.concat(segs);
  const cuts = [...new Set(cutSeeds.map((c) => (stream.length === 0 ? 0 : c % (stream.length + 1))))].sort((a, b) => a - b);
  return { version, stream, cuts };
}

export const serverStreamArb: fc.Arbitrary<StreamCase> = fc.constantFrom<PagestreamVersion>(2, 3).chain((v) =>
  fc.tuple(fc.array(serverSegment(v), { minLength: 0, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 })).map(([segs, cuts]) => withCuts(v, segs, cuts)));

export const clientStreamArb: fc.Arbitrary<StreamCase> = fc.constantFrom<PagestreamVersion>(2, 3).chain((v) =>
  fc.tuple(fc.array(startupSegment, { minLength: 1, maxLength: 2 }), fc.array(clientSegment(v), { minLength: 0, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }))
    .map(([st, segs, cuts]) => withCuts(v, [...st, ...segs], cuts)));

/** Pure garbage, any length up to 4 KiB, any chunking. */
export const garbageArb: fc.Arbitrary<StreamCase> = fc.tuple(fc.constantFrom<PagestreamVersion>(2, 3), fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat(), { maxLength: 16 }))
  .map(([v, b, cuts]) => withCuts(v, [b], cuts));

// ---------------------------------------------------------------- drivers

/** What a parse of a stream produced: frames seen (type + body hex digest) and how it ended. */
export interface Outcome {
  frames: string[];
  /** ProtocolError code that stopped the stream, or 'eof' with leftover bytes. */
  end: string;
}

export class FuzzFailure extends Error {}

function expectTyped(e: unknown, where: string): string {
  if (e instanceof ProtocolError) {
    if (typeof e.code !== 'string' || !e.code.startsWith('ERR_')) throw new FuzzFailure(`${where}: ProtocolError without a stable code: ${String(e.code)}`);
    return e.code;
  }
  throw new FuzzFailure(`${where}: untyped failure ${e instanceof Error ? e.name + ': ' + e.message : String(e)}`);
}

function digest(buf: Buffer, off: number, len: number): string {
  // Cheap exact fingerprint: length + a 32-bit FNV over the body.
  let h = 0x811c9dc5;
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ buf[i]!, 16777619);
  return `${len}:${(h >>> 0).toString(16)}`;
}

const table = new GetPageRequestTable(1);
setGetPageRow(table, 0, EXPECTED.reqid, EXPECTED.lsn, EXPECTED.nms, EXPECTED.rel, EXPECTED.blkno);

/** The client's receive path for one CopyData payload: decode, verify, checksum. */
function clientPayload(v: PagestreamVersion, buf: Buffer, off: number, len: number): string {
  // The hot path verifiers must never throw, whatever the bytes (they read only inside [off, off+len)).
  let code: number;
  try {
    code = len === 0 ? -1 : v === 3 ? verifyGetPageV3(buf, off, len, table, 0) : verifyGetPageV2(buf, off, len);
    if (len > 0) checkGetPageV3Frame(buf, off, len);
    if (code === VERIFY_OK && buf[off] === ResponseTag.GetPage) code = verifyGetPageChecksum(v, buf, off, table, 0) === VERIFY_OK ? 0 : 100;
  } catch (e) {
    throw new FuzzFailure(`verify threw on a ${len}-byte payload: ${String(e)}`);
  }
  let decoded: string;
  try {
    decoded = decodeResponse(v, buf, off, len).kind;
  } catch (e) {
    decoded = expectTyped(e, 'decodeResponse');
  }
  return `${code}/${decoded}`;
}

function clientFrame(v: PagestreamVersion, type: number, buf: Buffer, off: number, len: number): string {
  let r = '';
  try {
    switch (type) {
      case Msg.CopyData: r = clientPayload(v, buf, off, len); break;
      case Msg.ErrorResponse:
      case Msg.NoticeResponse: r = decodeErrorFields(buf, off, len).code; break;
      case Msg.Authentication: r = String(decodeAuthentication(buf, off, len)); break;
      case Msg.ParameterStatus: r = decodeParameterStatus(buf, off, len).join('='); break;
      default: r = 'other';
    }
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    r = expectTyped(e, `frame type ${type}`);
  }
  return r;
}

function serverFrame(v: PagestreamVersion, reader: FrameReader, type: number, buf: Buffer, off: number, len: number): string {
  try {
    if (type === 0) {
      const p = decodeStartupPacket(buf, off, len);
      // SSL/GSSENC are followed by another untyped packet (the server answered 'N').
      if (p.kind === 'ssl' || p.kind === 'gssenc') reader.untyped = true;
      return p.kind;
    }
    switch (type) {
      case Msg.CopyData: return decodeRequest(v, buf, off, len).kind;
      case Msg.Query:
      case Msg.Password: return `q${decodeCstrBody(buf, off, len, 'query').length}`;
      default: return 'other';
    }
  } catch (e) {
    return expectTyped(e, `server frame type ${type}`);
  }
}

function run(c: StreamCase, side: 'client' | 'server', chunked: boolean): Outcome {
  const frames: string[] = [];
  const reader: FrameReader = new FrameReader({
    onFrame(type, buf, off, len) {
      if (off < 0 || len < 0 || off + len > buf.length) throw new FuzzFailure(`frame view out of bounds: off ${off} len ${len} buf ${buf.length}`);
      frames.push(`${type}:${digest(buf, off, len)}:${side === 'client' ? clientFrame(c.version, type, buf, off, len) : serverFrame(c.version, reader, type, buf, off, len)}`);
    },
  }, { maxFrameLength: FUZZ_MAX_FRAME, untyped: side === 'server', initialPending: INITIAL_PENDING });
  let fed = 0;
  const points = chunked ? [...c.cuts, c.stream.length] : [c.stream.length];
  let prev = 0;
  try {
    for (const cut of points) {
      if (cut < prev) continue;
      // Feed a view into a larger buffer, as a reused socket read buffer would be.
      reader.push(c.stream, prev, cut);
      fed += cut - prev;
      prev = cut;
      checkBounded(reader, fed);
    }
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    return { frames, end: expectTyped(e, 'FrameReader.push') };
  }
  return { frames, end: `eof+${reader.buffered}` };
}

function checkBounded(reader: FrameReader, fed: number): void {
  const buffered = reader.buffered;
  if (buffered > fed) throw new FuzzFailure(`reader holds ${buffered} bytes but was fed ${fed}`);
  if (buffered > FUZZ_MAX_FRAME + 1) throw new FuzzFailure(`reader holds ${buffered} bytes, more than one maximal frame`);
  const cap = (reader as unknown as { pending: Buffer }).pending.length;
  if (cap > Math.max(INITIAL_PENDING, 2 * (FUZZ_MAX_FRAME + 1))) throw new FuzzFailure(`pending buffer grew to ${cap} bytes`);
}

function same(a: Outcome, b: Outcome, what: string): void {
  if (a.end !== b.end || a.frames.length !== b.frames.length || a.frames.some((f, i) => f !== b.frames[i])) {
    throw new FuzzFailure(`${what}: outcome depends on chunking:\n whole: ${JSON.stringify(a)}\n cut:   ${JSON.stringify(b)}`);
  }
}

/** The client path's outcome for one case (for reach statistics). */
export function outcomeOf(c: StreamCase): Outcome {
  return run(c, 'client', true);
}

/** Property: the client's receive path (FrameReader -> decode/verify) on server bytes. */
export function clientPathProperty(c: StreamCase): void {
  same(run(c, 'client', false), run(c, 'client', true), 'client path');
}

/** Property: a server's request parse path (untyped startup, then typed messages -> decodeRequest). */
export function serverPathProperty(c: StreamCase): void {
  same(run(c, 'server', false), run(c, 'server', true), 'server path');
}

export { RequestTag };
