/**
 * Malformed input gives the typed ProtocolError with the right stable code —
 * never a crash with another error type, a hang, or an unbounded buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError, type ProtocolErrorCode } from '../../src/protocol/errors.js';
import { FrameReader, MAX_FRAME_LENGTH } from '../../src/protocol/frame-reader.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, requestPayloadSize, type PagestreamVersion } from '../../src/protocol/pagestream.js';
import {
  decodeStartupPacket, decodeErrorFields, decodeCstrBody, decodeParameterStatus, decodeAuthentication,
  encodeQuery, encodeStartupMessage, encodePasswordMessage, encodeErrorResponse,
} from '../../src/protocol/libpq.js';
import { parseId, parseLsn, parseRelTag, parseFork } from '../../src/protocol/text.js';
import { bytes, ascii } from './helpers/bytes.js';

function throwsCode(fn: () => unknown, code: ProtocolErrorCode, what = ''): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ProtocolError, `${what}: expected ProtocolError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `${what}: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), 'one line');
  return caught;
}

const nop = { onFrame() {} };

// ---------------------------------------------------------------- frames

test('frame length < 4 (3, 0, negative) -> ERR_BAD_LENGTH with the stream position', () => {
  for (const len of ['00 00 00 03', '00 00 00 00', 'ff ff ff ff', '80 00 00 00']) {
    const r = new FrameReader(nop);
    const wire = bytes('5a 00 00 00 05 49', '64', len, '00 00');
    const e = throwsCode(() => r.push(wire, 0, wire.length), 'ERR_BAD_LENGTH', len);
    assert.equal(e.offset, 6, 'position of the bad frame in the stream');
    assert.match(e.message, /at byte 6/);
  }
});

test('frame length above 1 GiB (default limit) -> ERR_BAD_LENGTH before anything is buffered', () => {
  assert.equal(MAX_FRAME_LENGTH, 1024 * 1024 * 1024);
  const r = new FrameReader(nop);
  const wire = bytes('64 40 00 00 01', '00'.repeat(50));
  throwsCode(() => r.push(wire, 0, wire.length), 'ERR_BAD_LENGTH');
  assert.equal(r.buffered, 0);
  const ok = new FrameReader(nop);
  const max = bytes('64 40 00 00 00');
  ok.push(max, 0, max.length); // exactly 1 GiB is allowed: no throw, 5 bytes held
  assert.equal(ok.buffered, 5);
});

test('frame length above maxFrameLength -> ERR_BAD_LENGTH, also when the header straddles reads', () => {
  const r = new FrameReader(nop, { maxFrameLength: 1024 });
  const wire = bytes('64 00 00 04 01');
  throwsCode(() => r.push(wire, 0, wire.length), 'ERR_BAD_LENGTH');
  const s = new FrameReader(nop, { maxFrameLength: 1024 });
  const ok = bytes('5a 00 00 00 05 49');
  s.push(ok, 0, ok.length);
  s.push(wire, 0, 2);
  assert.equal(throwsCode(() => s.push(wire, 2, 5), 'ERR_BAD_LENGTH').offset, 6, 'position of the straddling frame');
  assert.ok(s.buffered <= 5);
  const u = new FrameReader(nop, { untyped: true, maxFrameLength: 10_000 });
  const st = bytes('00 01 00 00 00 03 00 00');
  throwsCode(() => u.push(st, 0, st.length), 'ERR_BAD_LENGTH', 'untyped');
});

test('a claimed ~1 GiB frame followed by silence holds only the bytes received', () => {
  const r = new FrameReader(nop);
  const head = bytes('64 3f ff ff ff', '11'.repeat(100));
  r.push(head, 0, head.length);
  assert.equal(r.buffered, 105);
  const pendingCapacity = (r as unknown as { pending: Buffer }).pending.length;
  assert.ok(pendingCapacity <= 16384, `pending buffer is ${pendingCapacity} bytes`);
  const more = Buffer.alloc(64 * 1024);
  r.push(more, 0, more.length);
  assert.equal(r.buffered, 105 + 64 * 1024);
  assert.ok((r as unknown as { pending: Buffer }).pending.length <= 2 * (105 + 64 * 1024));
});

test('random bytes into a FrameReader: frames or ERR_BAD_LENGTH, nothing else; buffer bounded by input', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat({ max: 400 }), (raw, cut) => {
    const b = Buffer.from(raw);
    const r = new FrameReader(nop, { maxFrameLength: 1 << 20 });
    try {
      const c = Math.min(cut, b.length);
      r.push(b, 0, c);
      r.push(b, c, b.length);
      assert.ok(r.buffered <= b.length);
    } catch (e) {
      assert.ok(e instanceof ProtocolError && e.code === 'ERR_BAD_LENGTH', String(e));
    }
  }), { numRuns: 500 });
});

// ---------------------------------------------------------------- page-stream

const sampleRequests = {
  exists: { kind: 'exists', hdr: { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n }, rel: { spcnode: 1, dbnode: 2, relnode: 3, forknum: 0 } },
  nblocks: { kind: 'nblocks', hdr: { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n }, rel: { spcnode: 1, dbnode: 2, relnode: 3, forknum: 0 } },
  getpage: { kind: 'getpage', hdr: { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n }, rel: { spcnode: 1, dbnode: 2, relnode: 3, forknum: 0 }, blkno: 4 },
  dbsize: { kind: 'dbsize', hdr: { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n }, dbnode: 5 },
  slru: { kind: 'slru', hdr: { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n }, slruKind: 0, segno: 6 },
} as const;

test('requests: truncated -> ERR_TRUNCATED, overlong -> ERR_BAD_LENGTH, unknown tag -> ERR_UNKNOWN_TAG, empty -> ERR_TRUNCATED', () => {
  for (const v of [2, 3] as PagestreamVersion[]) {
    for (const r of Object.values(sampleRequests)) {
      const enc = Buffer.concat([encodeRequest(v, r), bytes('00')]);
      const n = requestPayloadSize(v, r.kind);
      for (const len of [1, 17, n - 1]) throwsCode(() => decodeRequest(v, enc, 0, len), 'ERR_TRUNCATED', `V${v} ${r.kind} len ${len}`);
      throwsCode(() => decodeRequest(v, enc, 0, n + 1), 'ERR_BAD_LENGTH', `V${v} ${r.kind} +1`);
    }
    for (const tag of [5, 99, 100, 255]) throwsCode(() => decodeRequest(v, bytes(tag.toString(16).padStart(2, '0'), '00'.repeat(41)), 0, 42), 'ERR_UNKNOWN_TAG', `tag ${tag}`);
    throwsCode(() => decodeRequest(v, Buffer.alloc(4), 2, 0), 'ERR_TRUNCATED');
  }
});

test('responses: truncated, overlong, unknown tag, Error without NUL, SLRU claiming more blocks than sent', () => {
  const hdr = { reqid: 1n, requestLsn: 2n, notModifiedSince: 1n };
  const rel = { spcnode: 1, dbnode: 2, relnode: 3, forknum: 0 };
  const page = Buffer.alloc(8192);
  for (const v of [2, 3] as PagestreamVersion[]) {
    const rs = [
      encodeResponse(v, { kind: 'exists', hdr, rel, exists: true }),
      encodeResponse(v, { kind: 'nblocks', hdr, rel, nblocks: 1 }),
      encodeResponse(v, { kind: 'getpage', hdr, rel, blkno: 1, page }),
      encodeResponse(v, { kind: 'dbsize', hdr, dbnode: 1, dbSize: 1n }),
      encodeResponse(v, { kind: 'slru', hdr, slruKind: 0, segno: 0, nBlocks: 1, data: page }),
    ];
    for (const r of rs) {
      const padded = Buffer.concat([r, bytes('00')]);
      throwsCode(() => decodeResponse(v, padded, 0, r.length - 1), 'ERR_TRUNCATED', `V${v} tag ${r[0]} short`);
      throwsCode(() => decodeResponse(v, padded, 0, r.length + 1), 'ERR_BAD_LENGTH', `V${v} tag ${r[0]} long`);
    }
    for (const tag of [0, 2, 99, 106, 255]) throwsCode(() => decodeResponse(v, bytes(tag.toString(16).padStart(2, '0'), '00'.repeat(40)), 0, 41), 'ERR_UNKNOWN_TAG');
    throwsCode(() => decodeResponse(v, Buffer.alloc(1), 0, 0), 'ERR_TRUNCATED');
    const echo = v === 3 ? '00'.repeat(24) : '';
    throwsCode(() => decodeResponse(v, bytes('67', echo, ascii('no nul')), 0, 1 + echo.length / 2 + 6), 'ERR_MISSING_NUL');
    // The NUL exists in the buffer but past the message: still missing.
    throwsCode(() => decodeResponse(v, bytes('67', echo, ascii('abc\0')), 0, 1 + echo.length / 2 + 3), 'ERR_MISSING_NUL');
    throwsCode(() => decodeResponse(v, bytes('67', echo, ascii('abc\0xy')), 0, 1 + echo.length / 2 + 6), 'ERR_BAD_LENGTH');
    const slruHead = v === 3 ? bytes('69', echo, '00 00 00 00 00') : bytes('69');
    for (const nb of ['00 00 00 02', 'ff ff ff ff']) {
      const m = bytes(slruHead, nb, '00'.repeat(8192));
      throwsCode(() => decodeResponse(v, m, 0, m.length), 'ERR_TRUNCATED', `slru n_blocks ${nb}`);
    }
  }
  if (true) {
    const v3short = bytes('67', '00'.repeat(10));
    throwsCode(() => decodeResponse(3, v3short, 0, v3short.length), 'ERR_TRUNCATED', 'V3 Error shorter than its echo');
  }
});

test('encoders refuse what they cannot encode', () => {
  throwsCode(() => encodeResponse(3, { kind: 'exists', exists: true }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeResponse(3, { kind: 'exists', hdr: { reqid: 0n, requestLsn: 0n, notModifiedSince: 0n }, exists: true }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeResponse(2, { kind: 'getpage', page: Buffer.alloc(100) }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeResponse(2, { kind: 'error', message: 'a\0b' }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeResponse(2, { kind: 'slru', nBlocks: 2, data: Buffer.alloc(8192) }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeQuery('select 1\0'), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodePasswordMessage('a\0'), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeStartupMessage({ '': 'x' }), 'ERR_BAD_MESSAGE');
  throwsCode(() => encodeErrorResponse({ severity: 'ERROR', code: 'XX000', message: 'a\0' }), 'ERR_BAD_MESSAGE');
});

// ---------------------------------------------------------------- libpq

test('libpq bodies: missing NUL, truncated, unsupported protocol', () => {
  const sp = bytes('00 03 00 00', ascii('user\0u\0')); // no final NUL
  throwsCode(() => decodeStartupPacket(sp, 0, sp.length), 'ERR_MISSING_NUL', 'startup list');
  const sv = bytes('00 03 00 00', ascii('user\0u'));
  throwsCode(() => decodeStartupPacket(sv, 0, sv.length), 'ERR_MISSING_NUL', 'startup value');
  throwsCode(() => decodeStartupPacket(bytes('00 03 00'), 0, 3), 'ERR_TRUNCATED');
  throwsCode(() => decodeStartupPacket(bytes('00 02 00 00 00'), 0, 5), 'ERR_BAD_MESSAGE', 'protocol 2.0');
  const ef = ascii('SERROR\0Cabc');
  throwsCode(() => decodeErrorFields(ef, 0, ef.length), 'ERR_MISSING_NUL', 'error field');
  const eterm = ascii('SERROR\0');
  throwsCode(() => decodeErrorFields(eterm, 0, eterm.length), 'ERR_MISSING_NUL', 'error final NUL');
  // The NUL right after the body must not count.
  const eb = ascii('SERROR\0Mab\0');
  throwsCode(() => decodeErrorFields(eb, 0, eb.length - 1), 'ERR_MISSING_NUL', 'error body bound');
  throwsCode(() => decodeCstrBody(ascii('select'), 0, 6, 'query'), 'ERR_MISSING_NUL');
  throwsCode(() => decodeParameterStatus(ascii('a\0b'), 0, 3), 'ERR_MISSING_NUL');
  throwsCode(() => decodeAuthentication(bytes('00 00 00'), 0, 3), 'ERR_TRUNCATED');
});

test('a startup parameter named __proto__ is kept as a parameter', () => {
  const b = bytes('00 03 00 00', ascii('__proto__\0x\0user\0u\0\0'));
  const p = decodeStartupPacket(b, 0, b.length);
  assert.equal(Object.getPrototypeOf(p.params), Object.prototype);
  assert.deepEqual(Object.keys(p.params), ['__proto__', 'user']);
  assert.equal(Object.getOwnPropertyDescriptor(p.params, '__proto__')?.value, 'x');
});

test('random bytes into every decoder: a value or a ProtocolError, never another error', () => {
  const decoders: Array<(b: Buffer) => unknown> = [
    (b) => decodeRequest(2, b, 0, b.length), (b) => decodeRequest(3, b, 0, b.length),
    (b) => decodeResponse(2, b, 0, b.length), (b) => decodeResponse(3, b, 0, b.length),
    (b) => decodeStartupPacket(b, 0, b.length), (b) => decodeErrorFields(b, 0, b.length),
    (b) => decodeParameterStatus(b, 0, b.length), (b) => decodeAuthentication(b, 0, b.length),
    (b) => decodeCstrBody(b, 0, b.length, 'x'),
  ];
  // Bias the first byte toward real tags so decoders get past the tag check.
  const input = fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 105, 0x53), fc.uint8Array({ maxLength: 120 }))
    .map(([t, rest]) => Buffer.from([t, ...rest]));
  fc.assert(fc.property(input, fc.nat({ max: decoders.length - 1 }), (b, k) => {
    try {
      decoders[k]!(b);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `decoder ${k}: ${String(e)}`);
    }
  }), { numRuns: 2000 });
});

// ---------------------------------------------------------------- text

test('bad ids -> ERR_BAD_ID', () => {
  for (const id of ['', 'g'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), '01234567-89ab-cdef-0123-456789abcdef', ` ${'a'.repeat(31)}`, `${'a'.repeat(30)}-0102`]) {
    throwsCode(() => parseId(id, 'tenant id'), 'ERR_BAD_ID', id);
  }
  assert.match(throwsCode(() => parseId('xyz', 'tenant id'), 'ERR_BAD_ID').message, /tenant id "xyz"/);
});

test('bad LSN text -> ERR_BAD_LSN', () => {
  for (const t of ['', '0', '0/', '/0', '123456789/0', '0/123456789', '0/G', ' 0/1', '0/1 ', '0x0/1', '0/-1', '1/2/3', '0\\1']) {
    throwsCode(() => parseLsn(t), 'ERR_BAD_LSN', JSON.stringify(t));
  }
  assert.equal(parseLsn('0/169AD58'), 0x169AD58n);
  assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 0xFFFFFFFFFFFFFFFFn);
});

test('bad RelTag text -> ERR_BAD_RELTAG', () => {
  for (const t of ['', '1/2', '1/2/3/4', '1/2/x', '1/2/3.5', '1/2/3.foo', '1/2/3.', '4294967296/1/1', '-1/2/3', '1//3', '1/2/3.main.vm', ' 1/2/3', '1.5/2/3']) {
    throwsCode(() => parseRelTag(t), 'ERR_BAD_RELTAG', JSON.stringify(t));
  }
  throwsCode(() => parseFork('4'), 'ERR_BAD_RELTAG');
  assert.deepEqual(parseRelTag('1663/5/16384.vm'), { spcnode: 1663, dbnode: 5, relnode: 16384, forknum: 2 });
  assert.deepEqual(parseRelTag('4294967295/0/1.3'), { spcnode: 4294967295, dbnode: 0, relnode: 1, forknum: 3 });
});
