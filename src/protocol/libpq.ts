/**
 * The subset of the PostgreSQL v3 wire protocol that a compute and a pageserver
 * exchange (protocol.md §1). Encoders return a fresh Buffer (cold path: they run
 * once per connection); the per-request CopyData path lives in getpage.ts.
 *
 * Frame layout: typed messages are `type u8 | len i32 | body` with len counting
 * itself but not the type byte; the startup-phase messages (StartupMessage,
 * SSLRequest, GSSENCRequest) have no type byte.
 */
import { ProtocolError } from './errors.js';

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** Message type bytes. */
export const Msg = {
  // frontend
  Password: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Terminate: 0x58, // 'X'
  // both directions
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  // backend
  Authentication: 0x52, // 'R'
  ParameterStatus: 0x53, // 'S'
  BackendKeyData: 0x4b, // 'K'
  ReadyForQuery: 0x5a, // 'Z'
  CopyBothResponse: 0x57, // 'W'
  ErrorResponse: 0x45, // 'E'
  NoticeResponse: 0x4e, // 'N'
} as const;

/** One-byte answers to SSLRequest / GSSENCRequest (no type byte, no length). */
export const SSL_SUPPORTED = 0x53; // 'S'
export const SSL_NOT_SUPPORTED = 0x4e; // 'N'
export const GSSENC_NOT_SUPPORTED = 0x4e; // 'N'

export const AUTH_OK = 0;
export const AUTH_CLEARTEXT_PASSWORD = 3;

function typed(type: number, bodyLen: number): Buffer {
  const b = Buffer.allocUnsafe(5 + bodyLen);
  b[0] = type;
  b.writeInt32BE(4 + bodyLen, 1);
  return b;
}

function cstrLen(s: string): number {
  return Buffer.byteLength(s, 'utf8') + 1;
}
function putCstr(b: Buffer, off: number, s: string): number {
  if (s.includes('\0')) throw new ProtocolError('ERR_BAD_MESSAGE', `string ${JSON.stringify(s)} contains a NUL`);
  off += b.write(s, off, 'utf8');
  b[off] = 0;
  return off + 1;
}

// ---------------------------------------------------------------- frontend

/** StartupMessage: len i32 | 196608 i32 | (key NUL value NUL)* | NUL. */
export function encodeStartupMessage(params: Record<string, string>): Buffer {
  const entries = Object.entries(params);
  for (const [k] of entries) {
    // An empty name would encode as a lone NUL, which ends the list.
    if (k === '') throw new ProtocolError('ERR_BAD_MESSAGE', 'startup parameter with an empty name');
  }
  let len = 8 + 1;
  for (const [k, v] of entries) len += cstrLen(k) + cstrLen(v);
  const b = Buffer.allocUnsafe(len);
  b.writeInt32BE(len, 0);
  b.writeInt32BE(PROTOCOL_3_0, 4);
  let off = 8;
  for (const [k, v] of entries) {
    off = putCstr(b, off, k);
    off = putCstr(b, off, v);
  }
  b[off] = 0;
  return b;
}

function encodeCodeOnly(code: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(code, 4);
  return b;
}
export const encodeSSLRequest = (): Buffer => encodeCodeOnly(SSL_REQUEST_CODE);
export const encodeGSSENCRequest = (): Buffer => encodeCodeOnly(GSSENC_REQUEST_CODE);

export function encodePasswordMessage(password: string): Buffer {
  const b = typed(Msg.Password, cstrLen(password));
  putCstr(b, 5, password);
  return b;
}

export function encodeQuery(sql: string): Buffer {
  const b = typed(Msg.Query, cstrLen(sql));
  putCstr(b, 5, sql);
  return b;
}

export function encodeCopyData(payload: Buffer): Buffer {
  const b = typed(Msg.CopyData, payload.length);
  payload.copy(b, 5);
  return b;
}

export const encodeCopyDone = (): Buffer => typed(Msg.CopyDone, 0);
export const encodeTerminate = (): Buffer => typed(Msg.Terminate, 0);

// ---------------------------------------------------------------- backend

export function encodeAuthentication(kind: number): Buffer {
  const b = typed(Msg.Authentication, 4);
  b.writeInt32BE(kind, 5);
  return b;
}
export const encodeAuthenticationOk = (): Buffer => encodeAuthentication(AUTH_OK);
export const encodeAuthenticationCleartextPassword = (): Buffer => encodeAuthentication(AUTH_CLEARTEXT_PASSWORD);

export function encodeParameterStatus(name: string, value: string): Buffer {
  const b = typed(Msg.ParameterStatus, cstrLen(name) + cstrLen(value));
  putCstr(b, putCstr(b, 5, name), value);
  return b;
}

export function encodeBackendKeyData(pid: number, secret: number): Buffer {
  const b = typed(Msg.BackendKeyData, 8);
  // Both are int32 on the wire; accept u32 values too (a random secret often
  // has its top bit set) and store their two's-complement bit pattern.
  b.writeInt32BE(pid | 0, 5);
  b.writeInt32BE(secret | 0, 9);
  return b;
}

export type TransactionStatus = 'I' | 'T' | 'E';
export function encodeReadyForQuery(status: TransactionStatus = 'I'): Buffer {
  const b = typed(Msg.ReadyForQuery, 1);
  b[5] = status.charCodeAt(0);
  return b;
}

/** CopyBothResponse as a pageserver sends it: overall format 0 (text), zero columns. */
export function encodeCopyBothResponse(): Buffer {
  const b = typed(Msg.CopyBothResponse, 3);
  b[5] = 0;
  b.writeInt16BE(0, 6);
  return b;
}

export interface ErrorFields {
  severity: string;
  code: string;
  message: string;
  detail?: string;
}

/** ErrorResponse / NoticeResponse: (fieldtype u8, value NUL)* then NUL. */
export function encodeErrorResponse(f: ErrorFields, type: number = Msg.ErrorResponse): Buffer {
  const fields: Array<[string, string]> = [['S', f.severity], ['C', f.code], ['M', f.message]];
  if (f.detail !== undefined) fields.push(['D', f.detail]);
  let len = 1;
  for (const [, v] of fields) len += 1 + cstrLen(v);
  const b = typed(type, len);
  let off = 5;
  for (const [k, v] of fields) {
    b[off++] = k.charCodeAt(0);
    off = putCstr(b, off, v);
  }
  b[off] = 0;
  return b;
}

// ---------------------------------------------------------------- decoding bodies

/** Read a NUL-terminated UTF-8 string in [off, end); returns the string and the offset past the NUL. */
export function readCstr(buf: Buffer, off: number, end: number, what: string): [string, number] {
  const nul = buf.indexOf(0, off);
  if (nul < 0 || nul >= end) throw new ProtocolError('ERR_MISSING_NUL', `${what}: string without terminating NUL`, off);
  return [buf.toString('utf8', off, nul), nul + 1];
}

export interface StartupPacket {
  kind: 'startup' | 'ssl' | 'gssenc' | 'cancel';
  protocol: number;
  params: Record<string, string>;
}

/** Decode an untyped startup-phase packet body (the bytes after its length field). */
export function decodeStartupPacket(buf: Buffer, off: number, len: number): StartupPacket {
  const end = off + len;
  if (len < 4) throw new ProtocolError('ERR_TRUNCATED', 'startup packet shorter than its protocol code', off);
  const code = buf.readInt32BE(off);
  if (code === SSL_REQUEST_CODE) return { kind: 'ssl', protocol: code, params: {} };
  if (code === GSSENC_REQUEST_CODE) return { kind: 'gssenc', protocol: code, params: {} };
  if (code === CANCEL_REQUEST_CODE) return { kind: 'cancel', protocol: code, params: {} };
  if (code >>> 16 !== 3) throw new ProtocolError('ERR_BAD_MESSAGE', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`, off);
  const params: Record<string, string> = {};
  let p = off + 4;
  for (;;) {
    if (p >= end) throw new ProtocolError('ERR_MISSING_NUL', 'startup packet parameter list without final NUL', p);
    if (buf[p] === 0) break;
    let k: string, v: string;
    [k, p] = readCstr(buf, p, end, 'startup parameter name');
    [v, p] = readCstr(buf, p, end, `startup parameter ${k}`);
    // Define, not assign: a parameter named "__proto__" must stay a parameter.
    Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { kind: 'startup', protocol: code, params };
}

/** Decode the body of an ErrorResponse or NoticeResponse. */
export function decodeErrorFields(buf: Buffer, off: number, len: number): ErrorFields & Record<string, string | undefined> {
  const end = off + len;
  const out: ErrorFields & Record<string, string | undefined> = { severity: '', code: '', message: '' };
  let p = off;
  for (;;) {
    if (p >= end) throw new ProtocolError('ERR_MISSING_NUL', 'error response without final NUL', p);
    const t = buf[p++]!;
    if (t === 0) break;
    let v: string;
    [v, p] = readCstr(buf, p, end, `error field ${String.fromCharCode(t)}`);
    switch (t) {
      case 0x53: out.severity = v; break; // S
      case 0x43: out.code = v; break; // C
      case 0x4d: out.message = v; break; // M
      case 0x44: out.detail = v; break; // D
      default: out[String.fromCharCode(t)] = v;
    }
  }
  return out;
}

/** Body of a Query or PasswordMessage: one C string filling the body. */
export function decodeCstrBody(buf: Buffer, off: number, len: number, what: string): string {
  return readCstr(buf, off, off + len, what)[0];
}

export function decodeAuthentication(buf: Buffer, off: number, len: number): number {
  if (len < 4) throw new ProtocolError('ERR_TRUNCATED', 'Authentication message shorter than 4 bytes', off);
  return buf.readInt32BE(off);
}

export function decodeParameterStatus(buf: Buffer, off: number, len: number): [string, string] {
  const end = off + len;
  const [k, p] = readCstr(buf, off, end, 'ParameterStatus name');
  const [v] = readCstr(buf, p, end, `ParameterStatus ${k}`);
  return [k, v];
}
