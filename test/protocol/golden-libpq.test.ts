/**
 * Golden byte vectors for the libpq subset (protocol.md §1), written by hand.
 * Each vector is checked in both directions: our encoder produces exactly these
 * bytes, and our decoder (through FrameReader, as a real peer would feed it)
 * reads them back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeStartupMessage, encodeSSLRequest, encodeGSSENCRequest, encodeAuthenticationOk,
  encodeAuthenticationCleartextPassword, encodePasswordMessage, encodeParameterStatus, encodeBackendKeyData,
  encodeReadyForQuery, encodeQuery, encodeCopyBothResponse, encodeCopyData, encodeCopyDone, encodeTerminate,
  encodeErrorResponse, decodeStartupPacket, decodeErrorFields, decodeCstrBody, decodeAuthentication,
  decodeParameterStatus, Msg, AUTH_OK, AUTH_CLEARTEXT_PASSWORD, SSL_NOT_SUPPORTED, SSL_SUPPORTED, GSSENC_NOT_SUPPORTED,
} from '../../src/protocol/libpq.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { ascii, bytes, embed } from './helpers/bytes.js';

const TENANT = '0123456789abcdef0123456789abcdef';
const TIMELINE = 'fedcba9876543210fedcba9876543210';

interface Frame { type: number; body: Buffer }
/** Read every frame of `wire` with a fresh FrameReader (bodies copied out). */
function frames(wire: Buffer, untyped = false): Frame[] {
  const out: Frame[] = [];
  const r = new FrameReader({ onFrame: (type, buf, off, len) => out.push({ type, body: Buffer.from(buf.subarray(off, off + len)) }) }, { untyped });
  const { buf, off } = embed(wire);
  r.push(buf, off, off + wire.length);
  assert.equal(r.buffered, 0, 'no bytes left over');
  return out;
}
function one(wire: Buffer, untyped = false): Frame {
  const f = frames(wire, untyped);
  assert.equal(f.length, 1);
  return f[0]!;
}

test('StartupMessage: len, protocol 3.0, key/value pairs, final NUL', () => {
  const golden = bytes(
    '00 00 00 1b', // length 27, counts itself
    '00 03 00 00', // 196608
    ascii('user\0u\0database\0d\0'),
    '00',
  );
  assert.deepEqual(encodeStartupMessage({ user: 'u', database: 'd' }), golden);
  const f = one(golden, true);
  assert.equal(f.type, 0);
  assert.deepEqual(decodeStartupPacket(f.body, 0, f.body.length), { kind: 'startup', protocol: 196608, params: { user: 'u', database: 'd' } });
});

test('StartupMessage with application_name and options', () => {
  // "user\0"=5 "cloud_admin\0"=12 "application_name\0"=17 "pb\0"=3 final NUL=1 -> 38, + 8 = 46
  const golden = bytes('00 00 00 2e', '00 03 00 00', ascii('user\0cloud_admin\0application_name\0pb\0\0'));
  assert.equal(golden.length, 46);
  assert.deepEqual(encodeStartupMessage({ user: 'cloud_admin', application_name: 'pb' }), golden);
});

test('SSLRequest and GSSENCRequest: int32 8, magic code; one-byte answers N/S', () => {
  const ssl = bytes('00 00 00 08 04 d2 16 2f'); // 80877103
  const gss = bytes('00 00 00 08 04 d2 16 30'); // 80877104
  assert.deepEqual(encodeSSLRequest(), ssl);
  assert.deepEqual(encodeGSSENCRequest(), gss);
  const a = one(ssl, true);
  assert.equal(decodeStartupPacket(a.body, 0, a.body.length).kind, 'ssl');
  const b = one(gss, true);
  assert.equal(decodeStartupPacket(b.body, 0, b.body.length).kind, 'gssenc');
  assert.equal(SSL_NOT_SUPPORTED, 0x4e); // 'N'
  assert.equal(SSL_SUPPORTED, 0x53); // 'S'
  assert.equal(GSSENC_NOT_SUPPORTED, 0x4e);
});

test('SSLRequest then StartupMessage: the reader re-armed for a second untyped packet', () => {
  const wire = bytes('00 00 00 08 04 d2 16 2f', '00 00 00 0a 00 03 00 00 00 00');
  const seen: string[] = [];
  const r = new FrameReader({
    onFrame(type, buf, off, len) {
      const p = decodeStartupPacket(buf, off, len);
      seen.push(`${type}:${p.kind}`);
      if (p.kind === 'ssl') r.untyped = true; // the client sends another untyped packet after N
    },
  }, { untyped: true });
  r.push(wire, 0, wire.length);
  assert.deepEqual(seen, ['0:ssl', '0:startup']);
});

test('AuthenticationOk and AuthenticationCleartextPassword', () => {
  const ok = bytes('52 00 00 00 08 00 00 00 00');
  const clear = bytes('52 00 00 00 08 00 00 00 03');
  assert.deepEqual(encodeAuthenticationOk(), ok);
  assert.deepEqual(encodeAuthenticationCleartextPassword(), clear);
  const f = one(ok);
  assert.equal(f.type, 0x52);
  assert.equal(decodeAuthentication(f.body, 0, f.body.length), AUTH_OK);
  const g = one(clear);
  assert.equal(decodeAuthentication(g.body, 0, g.body.length), AUTH_CLEARTEXT_PASSWORD);
});

test('PasswordMessage carries the JWT as a C string', () => {
  const golden = bytes('70 00 00 00 08', ascii('jwt\0'));
  assert.deepEqual(encodePasswordMessage('jwt'), golden);
  const f = one(golden);
  assert.equal(f.type, Msg.Password);
  assert.equal(decodeCstrBody(f.body, 0, f.body.length, 'password'), 'jwt');
});

test('ParameterStatus client_encoding=UTF8', () => {
  const golden = bytes('53 00 00 00 19', ascii('client_encoding\0UTF8\0'));
  assert.deepEqual(encodeParameterStatus('client_encoding', 'UTF8'), golden);
  const f = one(golden);
  assert.equal(f.type, 0x53);
  assert.deepEqual(decodeParameterStatus(f.body, 0, f.body.length), ['client_encoding', 'UTF8']);
});

test('BackendKeyData pid and secret (secret with the top bit set)', () => {
  const golden = bytes('4b 00 00 00 0c 00 00 12 34 de ad be ef');
  assert.deepEqual(encodeBackendKeyData(0x1234, 0xdeadbeef), golden);
  assert.deepEqual(encodeBackendKeyData(0x1234, 0xdeadbeef | 0), golden);
  assert.equal(one(golden).type, 0x4b);
});

test('ReadyForQuery idle', () => {
  const golden = bytes('5a 00 00 00 05 49');
  assert.deepEqual(encodeReadyForQuery(), golden);
  assert.deepEqual(encodeReadyForQuery('E'), bytes('5a 00 00 00 05 45'));
  const f = one(golden);
  assert.equal(f.type, 0x5a);
  assert.deepEqual(f.body, bytes('49'));
});

test('Query pagestream_v3 <tenant> <timeline>', () => {
  const text = `pagestream_v3 ${TENANT} ${TIMELINE}`; // 14 + 32 + 1 + 32 = 79 chars, + NUL = 80, + 4 = 84
  const golden = bytes('51 00 00 00 54', ascii(`${text}\0`));
  assert.deepEqual(encodeQuery(text), golden);
  const f = one(golden);
  assert.equal(f.type, 0x51);
  assert.equal(decodeCstrBody(f.body, 0, f.body.length, 'query'), text);
});

test('CopyBothResponse: W, len 7, format 0, zero columns', () => {
  const golden = bytes('57 00 00 00 07 00 00 00');
  assert.deepEqual(encodeCopyBothResponse(), golden);
  const f = one(golden);
  assert.equal(f.type, 0x57);
  assert.deepEqual(f.body, bytes('00 00 00'));
});

test('CopyData, CopyDone, Terminate', () => {
  assert.deepEqual(encodeCopyData(bytes('01 02 03')), bytes('64 00 00 00 07 01 02 03'));
  assert.deepEqual(encodeCopyData(Buffer.alloc(0)), bytes('64 00 00 00 04'));
  assert.deepEqual(encodeCopyDone(), bytes('63 00 00 00 04'));
  assert.deepEqual(encodeTerminate(), bytes('58 00 00 00 04'));
  const fs = frames(bytes('64 00 00 00 07 01 02 03', '63 00 00 00 04', '58 00 00 00 04'));
  assert.deepEqual(fs.map((f) => f.type), [0x64, 0x63, 0x58]);
  assert.deepEqual(fs[0]!.body, bytes('01 02 03'));
  assert.equal(fs[1]!.body.length, 0);
});

test('ErrorResponse: S, C, M, D fields then NUL; decode severity/code/message/detail', () => {
  const body = ascii('SERROR\0CXX000\0Mboom\0Dd\0\0'); // 7 + 7 + 6 + 3 + 1 = 24
  const golden = bytes('45 00 00 00 1c', body);
  assert.deepEqual(encodeErrorResponse({ severity: 'ERROR', code: 'XX000', message: 'boom', detail: 'd' }), golden);
  const f = one(golden);
  assert.equal(f.type, 0x45);
  const e = decodeErrorFields(f.body, 0, f.body.length);
  assert.equal(e.severity, 'ERROR');
  assert.equal(e.code, 'XX000');
  assert.equal(e.message, 'boom');
  assert.equal(e.detail, 'd');
});

test('ErrorResponse without detail, as a pageserver sends it; unknown fields kept by letter', () => {
  const golden = bytes('45 00 00 00 1e', ascii('SERROR\0C58P01\0Mnot found\0\0'));
  assert.deepEqual(encodeErrorResponse({ severity: 'ERROR', code: '58P01', message: 'not found' }), golden);
  const e = decodeErrorFields(golden, 5, golden.length - 5);
  assert.deepEqual({ s: e.severity, c: e.code, m: e.message, d: e.detail }, { s: 'ERROR', c: '58P01', m: 'not found', d: undefined });
  const withV = ascii('VFATAL\0SFATAL\0C28000\0Mno\0\0');
  const v = decodeErrorFields(withV, 0, withV.length);
  assert.equal(v['V'], 'FATAL');
  assert.equal(v.severity, 'FATAL');
  assert.equal(v.code, '28000');
});

test('ErrorResponse from older Neon pq_proto: SQLSTATE field written as "CXX000" (six chars) still decodes', () => {
  // Older pq_proto wrote b'C' and then the C string "CXX000": the field value is six characters.
  const golden = bytes('45 00 00 00 1a', ascii('SERROR\0CCXX000\0Mboom\0\0')); // 7 + 8 + 6 + 1 = 22, + 4
  const f = one(golden);
  const e = decodeErrorFields(f.body, 0, f.body.length);
  assert.equal(e.severity, 'ERROR');
  assert.equal(e.code, 'CXX000');
  assert.equal(e.message, 'boom');
});

test('NoticeResponse: same body under type N', () => {
  const golden = bytes('4e 00 00 00 1c', ascii('SERROR\0CXX000\0Mboom\0Dd\0\0'));
  assert.deepEqual(encodeErrorResponse({ severity: 'ERROR', code: 'XX000', message: 'boom', detail: 'd' }, Msg.NoticeResponse), golden);
  const f = one(golden);
  assert.equal(f.type, 0x4e);
  assert.equal(decodeErrorFields(f.body, 0, f.body.length).message, 'boom');
});

test('a pageserver trust handshake as one byte stream', () => {
  const wire = bytes(
    '52 00 00 00 08 00 00 00 00',
    '53 00 00 00 19', ascii('client_encoding\0UTF8\0'),
    '53 00 00 00 18', ascii('server_version\x0014.1\0'),
    '5a 00 00 00 05 49',
    '57 00 00 00 07 00 00 00',
  );
  assert.deepEqual(frames(wire).map((f) => String.fromCharCode(f.type)), ['R', 'S', 'S', 'Z', 'W']);
});
