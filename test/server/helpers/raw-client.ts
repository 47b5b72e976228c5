/**
 * A deliberately small libpq client for conformance tests: raw bytes out, raw
 * bytes in, no protocol library of the project under test. Messages are built
 * by hand here (hex and explicit field writes) so that a bug in src/protocol
 * cannot hide a bug in the server.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { message } from '../../protocol/helpers/bytes.js';

export class RawClient {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiter: (() => void) | undefined;
  ended = false;
  error: Error | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.ended = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, noDelay: true });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  send(b: Buffer): void {
    this.socket.write(b);
  }

  get buffered(): number {
    return this.have;
  }

  /** Exactly n bytes, or throw after timeoutMs / when the server closes first. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.have < n) {
      if (this.ended) throw new Error(`connection ended after ${this.have} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.have} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }

  /** One typed message: type byte, length, body. */
  async readMessage(timeoutMs = 5000): Promise<{ type: string; body: Buffer; raw: Buffer }> {
    const hdr = await this.read(5, timeoutMs);
    const len = hdr.readInt32BE(1);
    const body = await this.read(len - 4, timeoutMs);
    return { type: String.fromCharCode(hdr[0]!), body, raw: Buffer.concat([hdr, body]) };
  }

  /** Resolves true when the server closes the connection within timeoutMs, with nothing more to read. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- hand-built messages

export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params)) parts.push(Buffer.from(`${k}\0${v}\0`, 'utf8'));
  const body = Buffer.concat([Buffer.from([0x00, 0x03, 0x00, 0x00]), ...parts, Buffer.from([0])]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}

export const SSL_REQUEST = Buffer.from('0000000804d2162f', 'hex');
export const GSSENC_REQUEST = Buffer.from('0000000804d21630', 'hex');
export const TERMINATE = Buffer.from('5800000004', 'hex');
export const COPY_DONE = Buffer.from('6300000004', 'hex');

/** Trust handshake as the server must send it, byte for byte (protocol.md §1). */
export const TRUST_HANDSHAKE = Buffer.concat([
  Buffer.from('5200000008' + '00000000', 'hex'), // AuthenticationOk
  Buffer.from('53' + '00000019', 'hex'), Buffer.from('client_encoding\0UTF8\0', 'utf8'),
  Buffer.from('53' + '00000019', 'hex'), Buffer.from('integer_datetimes\0on\0', 'utf8'),
  Buffer.from('53' + '00000018', 'hex'), Buffer.from('server_version\x0014.1\0', 'utf8'),
  Buffer.from('5a' + '00000005' + '49', 'hex'), // ReadyForQuery 'I'
]);
export const COPY_BOTH_RESPONSE = Buffer.from('57' + '00000007' + '00' + '0000', 'hex');
export const READY_FOR_QUERY = Buffer.from('5a0000000549', 'hex');

export function typedMessage(type: string, body: Buffer): Buffer {
  return message(type.charCodeAt(0), body);
}

export function query(text: string): Buffer {
  return typedMessage('Q', Buffer.from(text + '\0', 'utf8'));
}

export function password(text: string): Buffer {
  return typedMessage('p', Buffer.from(text + '\0', 'utf8'));
}

/** ErrorResponse with S ERROR, C code, M message, as expected from the server. */
export function errorResponse(code: string, message: string): Buffer {
  return typedMessage('E', Buffer.from(`SERROR\0C${code}\0M${message}\0\0`, 'utf8'));
}

export function u64(hi: number, lo: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(hi >>> 0, 0);
  b.writeUInt32BE(lo >>> 0, 4);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

export interface Rel {
  spc: number;
  db: number;
  rel: number;
  fork: number;
}
export interface Hdr {
  reqid?: [number, number];
  lsn: [number, number];
  nms: [number, number];
}
export const LSN_MAX: [number, number] = [0xffffffff, 0xffffffff];

/** Request payload (CopyData body), built field by field from protocol.md §2. */
export function requestPayload(v: 2 | 3, tag: number, h: Hdr, body: Buffer): Buffer {
  const head = [u8(tag)];
  if (v === 3) head.push(u64(...(h.reqid ?? [0, 0])));
  head.push(u64(...h.lsn), u64(...h.nms));
  return Buffer.concat([...head, body]);
}
export function relBody(r: Rel): Buffer {
  return Buffer.concat([u32(r.spc), u32(r.db), u32(r.rel), u8(r.fork)]);
}
export function copyData(payload: Buffer): Buffer {
  return typedMessage('d', payload);
}
export function getPageFrame(v: 2 | 3, h: Hdr, r: Rel, blkno: number): Buffer {
  return copyData(requestPayload(v, 2, h, Buffer.concat([relBody(r), u32(blkno)])));
}

/** Connect, trust handshake, enter the page stream; returns the client positioned after CopyBothResponse. */
export async function openStream(port: number, v: 2 | 3, tenant: string, timeline: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.send(startupMessage({ user: 'cloud_admin', database: 'postgres' }));
  await c.read(TRUST_HANDSHAKE.length);
  c.send(query(`pagestream_v${v} ${tenant} ${timeline}`));
  const w = await c.read(COPY_BOTH_RESPONSE.length);
  if (!w.equals(COPY_BOTH_RESPONSE)) throw new Error(`expected CopyBothResponse, got ${w.toString('hex')}`);
  return c;
}
