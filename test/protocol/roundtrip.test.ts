/**
 * Round-trip properties (fast-check) for every codec: what we encode we decode
 * back to the same value, at any offset inside a larger buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeRequest, decodeRequest, encodeResponse, decodeResponse, requestPayloadSize,
  type PagestreamRequest, type PagestreamResponse, type PagestreamVersion,
} from '../../src/protocol/pagestream.js';
import {
  encodeStartupMessage, decodeStartupPacket, encodePasswordMessage, encodeQuery, decodeCstrBody,
  encodeParameterStatus, decodeParameterStatus, encodeErrorResponse, decodeErrorFields, encodeBackendKeyData,
  encodeAuthentication, decodeAuthentication, encodeReadyForQuery, encodeCopyData, Msg,
} from '../../src/protocol/libpq.js';
import { parseLsn, formatLsn, parseRelTag, formatRelTag, parseId, forkName } from '../../src/protocol/text.js';
import { readU64, writeU64, fromHiLo, hi32, lo32 } from '../../src/protocol/u64.js';
import {
  GetPageRequestTable, setGetPageRow, encodeGetPageV3, encodeGetPageV2, verifyGetPageV3, verifyGetPageV2,
  VERIFY_OK, MISMATCH_REQID, MISMATCH_REQUEST_LSN, MISMATCH_NOT_MODIFIED_SINCE, MISMATCH_SPCNODE, MISMATCH_DBNODE,
  MISMATCH_RELNODE, MISMATCH_FORKNUM, MISMATCH_BLKNO, RESPONSE_ERROR,
} from '../../src/protocol/getpage.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';

const RUNS = { numRuns: 300 };
// fast-check records have a null prototype by default; ours are plain objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rec = ((model: any) => fc.record(model, { noNullPrototype: true })) as typeof fc.record;
const u32 = fc.integer({ min: 0, max: 0xFFFF_FFFF });
const u64 = fc.bigInt({ min: 0n, max: 0xFFFF_FFFF_FFFF_FFFFn });
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const relTag = rec({ spcnode: u32, dbnode: u32, relnode: u32, forknum: fc.integer({ min: 0, max: 255 }) });
const version = fc.constantFrom<PagestreamVersion>(2, 3);
const header = rec({ reqid: u64, requestLsn: u64, notModifiedSince: u64 });
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
const nonEmptyText = text.filter((s) => s.length > 0);
const pad = fc.nat({ max: 9 });

function inside(b: Buffer, before: number): Buffer {
  const out = Buffer.alloc(before + b.length + 3, 0xa5);
  b.copy(out, before);
  return out;
}

const request: fc.Arbitrary<PagestreamRequest> = fc.oneof(
  rec({ kind: fc.constant('exists' as const), hdr: header, rel: relTag }),
  rec({ kind: fc.constant('nblocks' as const), hdr: header, rel: relTag }),
  rec({ kind: fc.constant('getpage' as const), hdr: header, rel: relTag, blkno: u32 }),
  rec({ kind: fc.constant('dbsize' as const), hdr: header, dbnode: u32 }),
  rec({ kind: fc.constant('slru' as const), hdr: header, slruKind: fc.integer({ min: 0, max: 255 }), segno: u32 }),
);

test('page-stream requests round-trip, V2 and V3 (V2 carries no reqid)', () => {
  fc.assert(fc.property(version, request, pad, (v, r, before) => {
    const enc = encodeRequest(v, r);
    assert.equal(enc.length, requestPayloadSize(v, r.kind));
    const dec = decodeRequest(v, inside(enc, before), before, enc.length);
    const want = v === 2 ? { ...r, hdr: { ...r.hdr, reqid: 0n } } : r;
    assert.deepEqual(dec, want);
  }), RUNS);
});

const blocks = (n: number) => fc.uint8Array({ minLength: n * 8192, maxLength: n * 8192 }).map((a) => Buffer.from(a));
const v3response: fc.Arbitrary<PagestreamResponse> = fc.oneof(
  rec({ kind: fc.constant('exists' as const), hdr: header, rel: relTag, exists: fc.boolean() }),
  rec({ kind: fc.constant('nblocks' as const), hdr: header, rel: relTag, nblocks: u32 }),
  rec({ kind: fc.constant('getpage' as const), hdr: header, rel: relTag, blkno: u32, page: blocks(1) }),
  rec({ kind: fc.constant('error' as const), hdr: header, message: text }),
  rec({ kind: fc.constant('dbsize' as const), hdr: header, dbnode: u32, dbSize: i64 }),
  fc.integer({ min: 0, max: 2 }).chain((n) => rec({
    kind: fc.constant('slru' as const), hdr: header, slruKind: fc.integer({ min: 0, max: 255 }), segno: u32,
    nBlocks: fc.constant(n), data: blocks(n),
  })),
);
const v2response: fc.Arbitrary<PagestreamResponse> = fc.oneof(
  rec({ kind: fc.constant('exists' as const), exists: fc.boolean() }),
  rec({ kind: fc.constant('nblocks' as const), nblocks: u32 }),
  rec({ kind: fc.constant('getpage' as const), page: blocks(1) }),
  rec({ kind: fc.constant('error' as const), message: text }),
  rec({ kind: fc.constant('dbsize' as const), dbSize: i64 }),
  fc.integer({ min: 0, max: 2 }).chain((n) => rec({ kind: fc.constant('slru' as const), nBlocks: fc.constant(n), data: blocks(n) })),
);

test('page-stream responses round-trip, V3', () => {
  fc.assert(fc.property(v3response, pad, (r, before) => {
    const enc = encodeResponse(3, r);
    assert.deepEqual(decodeResponse(3, inside(enc, before), before, enc.length), r);
  }), { numRuns: 150 });
});

test('page-stream responses round-trip, V2', () => {
  fc.assert(fc.property(v2response, pad, (r, before) => {
    const enc = encodeResponse(2, r);
    assert.deepEqual(decodeResponse(2, inside(enc, before), before, enc.length), r);
  }), { numRuns: 150 });
});

test('StartupMessage round-trips its parameters', () => {
  fc.assert(fc.property(fc.dictionary(nonEmptyText, text, { maxKeys: 5 }), (params) => {
    const enc = encodeStartupMessage(params);
    assert.equal(enc.readInt32BE(0), enc.length);
    const d = decodeStartupPacket(enc, 4, enc.length - 4);
    assert.equal(d.kind, 'startup');
    assert.deepEqual(d.params, { ...params });
  }), RUNS);
});

test('typed libpq messages round-trip', () => {
  fc.assert(fc.property(text, text, text, text, fc.option(text, { nil: undefined }), (a, b, c, d, detail) => {
    const q = encodeQuery(a);
    assert.equal(q[0], Msg.Query);
    assert.equal(q.readInt32BE(1), q.length - 1);
    assert.equal(decodeCstrBody(q, 5, q.length - 5, 'query'), a);
    const p = encodePasswordMessage(b);
    assert.equal(decodeCstrBody(p, 5, p.length - 5, 'password'), b);
    const s = encodeParameterStatus(a, b);
    assert.deepEqual(decodeParameterStatus(s, 5, s.length - 5), [a, b]);
    const f = { severity: c, code: d, message: a, ...(detail === undefined ? {} : { detail }) };
    const e = encodeErrorResponse(f);
    assert.equal(e.readInt32BE(1), e.length - 1);
    const got = decodeErrorFields(e, 5, e.length - 5);
    assert.deepEqual({ severity: got.severity, code: got.code, message: got.message, detail: got.detail }, { ...f, detail });
  }), RUNS);
  fc.assert(fc.property(fc.integer({ min: -0x8000_0000, max: 0x7FFF_FFFF }), u32, (kind, secret) => {
    const a = encodeAuthentication(kind);
    assert.equal(decodeAuthentication(a, 5, 4), kind);
    const k = encodeBackendKeyData(kind, secret);
    assert.equal(k.readInt32BE(5), kind);
    assert.equal(k.readUInt32BE(9), secret);
  }), RUNS);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
    const c = encodeCopyData(Buffer.from(payload));
    assert.equal(c[0], Msg.CopyData);
    assert.equal(c.readInt32BE(1), 4 + payload.length);
    assert.deepEqual(new Uint8Array(c.subarray(5)), payload);
  }), RUNS);
  for (const st of ['I', 'T', 'E'] as const) assert.equal(String.fromCharCode(encodeReadyForQuery(st)[5]!), st);
});

test('text forms round-trip: LSN, RelTag, ids; u64 helpers', () => {
  fc.assert(fc.property(u64, (lsn) => {
    const t = formatLsn(lsn);
    assert.match(t, /^[0-9A-F]{1,8}\/[0-9A-F]{8}$/);
    assert.equal(parseLsn(t), lsn);
    assert.equal(parseLsn(t.toLowerCase()), lsn);
    assert.equal(fromHiLo(hi32(lsn), lo32(lsn)), lsn);
    const b = Buffer.alloc(11);
    writeU64(b, 3, lsn);
    assert.equal(readU64(b, 3), lsn);
  }), RUNS);
  fc.assert(fc.property(relTag.map((r) => ({ ...r, forknum: r.forknum & 3 })), fc.boolean(), (r, byNumber) => {
    assert.deepEqual(parseRelTag(formatRelTag(r)), r);
    const numeric = `${r.spcnode}/${r.dbnode}/${r.relnode}.${byNumber ? r.forknum : forkName(r.forknum)}`;
    assert.deepEqual(parseRelTag(numeric), r);
    if (r.forknum === 0) assert.deepEqual(parseRelTag(`${r.spcnode}/${r.dbnode}/${r.relnode}`), r);
  }), RUNS);
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (raw, upper) => {
    const id = Buffer.from(raw).toString('hex');
    assert.equal(parseId(upper ? id.toUpperCase() : id), id);
  }), RUNS);
});

// The echo field a payload byte belongs to, for the mutation property below.
function fieldCode(b: number): number {
  if (b < 9) return MISMATCH_REQID;
  if (b < 17) return MISMATCH_REQUEST_LSN;
  if (b < 25) return MISMATCH_NOT_MODIFIED_SINCE;
  if (b < 29) return MISMATCH_SPCNODE;
  if (b < 33) return MISMATCH_DBNODE;
  if (b < 37) return MISMATCH_RELNODE;
  if (b < 38) return MISMATCH_FORKNUM;
  return MISMATCH_BLKNO;
}

test('hot path: encodeGetPageV3/V2 agree with the general codec; a response to the request verifies; any echo byte flip is caught by its field', () => {
  const t = new GetPageRequestTable(64);
  const frame = Buffer.alloc(100);
  const page = Buffer.alloc(8192, 0x5a);
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 63 }), header, relTag, u32, pad,
    fc.integer({ min: 1, max: 41 }), fc.integer({ min: 1, max: 255 }),
    (slot, hdr, rel, blkno, off, flipAt, flip) => {
      setGetPageRow(t, slot, hdr.reqid, hdr.requestLsn, hdr.notModifiedSince, rel, blkno);
      assert.equal(encodeGetPageV3(frame, off, t, slot), off + 47);
      assert.equal(frame[off], 0x64);
      assert.equal(frame.readInt32BE(off + 1), 46);
      assert.deepEqual(decodeRequest(3, frame, off + 5, 42), { kind: 'getpage', hdr, rel, blkno });
      assert.equal(encodeGetPageV2(frame, off, t, slot), off + 39);
      assert.equal(frame.readInt32BE(off + 1), 38);
      assert.deepEqual(decodeRequest(2, frame, off + 5, 34), { kind: 'getpage', hdr: { ...hdr, reqid: 0n }, rel, blkno });

      const resp = encodeResponse(3, { kind: 'getpage', hdr, rel, blkno, page });
      assert.equal(verifyGetPageV3(resp, 0, resp.length, t, slot), VERIFY_OK);
      resp[flipAt] ^= flip;
      assert.equal(verifyGetPageV3(resp, 0, resp.length, t, slot), fieldCode(flipAt));
      const err = encodeResponse(3, { kind: 'error', hdr, message: 'x' });
      assert.equal(verifyGetPageV3(err, 0, err.length, t, slot), RESPONSE_ERROR);
      const r2 = encodeResponse(2, { kind: 'getpage', page });
      assert.equal(verifyGetPageV2(r2, 0, r2.length), VERIFY_OK);
    },
  ), RUNS);
});

test('FrameReader delivers the same frames under random chunking', () => {
  const frameArb = rec({ type: fc.integer({ min: 1, max: 255 }), body: fc.uint8Array({ maxLength: 200 }) });
  fc.assert(fc.property(
    fc.array(frameArb, { minLength: 1, maxLength: 30 }),
    fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 20 }),
    (fs, cutsRaw) => {
      const wire = Buffer.concat(fs.map((f) => {
        const b = Buffer.alloc(5 + f.body.length);
        b[0] = f.type;
        b.writeInt32BE(4 + f.body.length, 1);
        b.set(f.body, 5);
        return b;
      }));
      const cuts = [...new Set(cutsRaw.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const got: Array<{ type: number; body: Uint8Array }> = [];
      const inPlace: boolean[] = [];
      let current: Buffer | null = null;
      const r = new FrameReader({
        onFrame: (type, buf, off, len) => {
          got.push({ type, body: new Uint8Array(buf.subarray(off, off + len)) });
          inPlace.push(buf === current);
        },
      }, { initialPending: 8 });
      let prev = 0;
      for (const c of [...cuts, wire.length]) {
        // Each read lands in a fresh buffer at a random-ish offset, like a socket's.
        const chunk = Buffer.alloc(c - prev + 4);
        wire.copy(chunk, 2, prev, c);
        current = chunk;
        r.push(chunk, 2, 2 + c - prev);
        prev = c;
      }
      assert.equal(r.buffered, 0);
      assert.equal(r.position, wire.length);
      assert.deepEqual(got, fs.map((f) => ({ type: f.type, body: f.body })));
      // Zero copy: a frame is delivered from the chunk itself exactly when no cut falls inside it.
      let start = 0;
      const expectInPlace = fs.map((f) => {
        const end = start + 5 + f.body.length;
        const whole = !cuts.some((c) => c > start && c < end);
        start = end;
        return whole;
      });
      assert.deepEqual(inPlace, expectInPlace);
    },
  ), { numRuns: 200 });
});
