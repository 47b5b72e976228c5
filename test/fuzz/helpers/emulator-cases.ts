/**
 * Emulator fuzz cases: arbitrary client byte streams (often a valid startup
 * and pagestream query first, so the page-stream parser is reached) and the
 * in-memory socket that feeds them to the real `Connection` class.
 * Shared by test/fuzz/emulator-fuzz.test.ts and the long run.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import fc from 'fast-check';
import { Connection } from '../../../src/server/connection.js';
import type { PageserverEmulator } from '../../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID, FIRST_USER_DB_OID } from '../../../src/server/ids.js';
import { message } from '../../protocol/helpers/bytes.js';

export const DB = FIRST_USER_DB_OID;
export const REL0 = 16400; // the emulator's first relation in each database (src/server/dataset.ts)
/** Output cap per fuzz case: a parser that answers garbage with unbounded output fails. */
const MAX_OUT_PER_CASE = 64 * 1024 * 1024;

/** The socket surface Connection uses, in memory. Writes are counted, not kept. */
export class MemSocket extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  remoteAddress = '127.0.0.1';
  remotePort = 1;
  out = 0;
  setNoDelay(): this { return this; }
  cork(): void {}
  uncork(): void {}
  pause(): this { return this; }
  resume(): this { return this; }
  write(b: Uint8Array | string): boolean {
    this.out += typeof b === 'string' ? Buffer.byteLength(b) : b.length;
    if (this.out > MAX_OUT_PER_CASE) throw new Error(`connection wrote more than ${MAX_OUT_PER_CASE} bytes for one fuzz case`);
    return true;
  }
  end(): this {
    if (!this.destroyed) queueMicrotask(() => this.destroy());
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    queueMicrotask(() => this.emit('close', false));
    return this;
  }
}

export function startup(): Buffer {
  const params = Buffer.from('user\0cloud_admin\0database\0postgres\0\0', 'latin1');
  const b = Buffer.alloc(8 + params.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  params.copy(b, 8);
  return b;
}
export const query = (v: 2 | 3, tenant = DEFAULT_TENANT_ID, timeline = DEFAULT_TIMELINE_ID): Buffer =>
  message(0x51, Buffer.from(`pagestream_v${v} ${tenant} ${timeline}\0`));

/** Requests that are well-formed except for what the fuzzer chose (tag, size, fields). */
function requestArb(v: 2 | 3): fc.Arbitrary<Uint8Array> {
  const sizes = v === 3 ? [38, 38, 42, 29, 30] : [30, 30, 34, 21, 22];
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ minLength: 45, maxLength: 45 }), fc.boolean()).map(([t, body, lsnMax]) => {
      const p = Buffer.alloc(sizes[t]!);
      p[0] = t;
      p.set(body.subarray(0, p.length - 1), 1);
      const h = v === 3 ? 9 : 1;
      if (lsnMax) p.fill(0xff, h, h + 8); // request_lsn = Lsn::MAX, the common case
      if (t === 2 || t === 1 || t === 0) {
        // Often a real RelTag of the dataset (1663/16384/1640x), so lookups succeed.
        const rt = h + 16;
        if (body[0]! < 160) { p.writeUInt32BE(1663, rt); p.writeUInt32BE(DB, rt + 4); p.writeUInt32BE(REL0 + (body[1]! & 1), rt + 8); p[rt + 12] = body[2]! & 3; }
        if (t === 2) p.writeUInt32BE(body[3]! & 0x7f, rt + 13);
      }
      return message(0x64, p);
    }) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(255), fc.uint8Array({ maxLength: 60 })).map(([t, b]) => message(0x64, Buffer.concat([Buffer.of(t), b]))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x58, 0x63, 0x66, 0x51, 0x70, 0x00, 0xff), fc.uint8Array({ maxLength: 20 })).map(([t, b]) => message(t, b)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  );
}

export interface Case { stream: Buffer; cuts: number[] }

export const caseArb: fc.Arbitrary<Case> = fc.oneof(
  // Deep: valid startup, valid query, then requests.
  { weight: 6, arbitrary: fc.constantFrom<2 | 3>(2, 3).chain((v) => fc.tuple(fc.constant(v), fc.boolean(), fc.array(requestArb(v), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }))
    .map(([ver, sslFirst, reqs, cuts]) => ({ stream: Buffer.concat([...(sslFirst ? [Buffer.from('0000000804d2162f', 'hex')] : []), startup(), query(ver), ...reqs]), cuts }))) },
  // Handshake-level: valid startup then arbitrary typed messages (bad queries, wrong ids, passwords).
  { weight: 2, arbitrary: fc.tuple(fc.array(fc.oneof(
    fc.tuple(fc.constantFrom(0x51, 0x70, 0x58, 0x64, 0x00), fc.uint8Array({ maxLength: 80 })).map(([t, b]) => message(t, b)),
    fc.tuple(fc.constantFrom<2 | 3>(2, 3), fc.string({ unit: fc.constantFrom(...'0123456789abcdefG'), minLength: 0, maxLength: 34 })).map(([v, id]) => query(v, id, DEFAULT_TIMELINE_ID)),
  ), { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 })).map(([msgs, cuts]) => ({ stream: Buffer.concat([startup(), ...msgs]), cuts })) },
  // Raw garbage.
  { weight: 2, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 })).map(([b, cuts]) => ({ stream: Buffer.from(b), cuts })) },
);

export function chunks(c: Case): Buffer[] {
  const pts = [...new Set(c.cuts.map((x) => (c.stream.length ? x % (c.stream.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...pts, c.stream.length]) {
    if (p > prev) out.push(c.stream.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

/** Feed one case to a fresh Connection; returns whether the emulator answered anything. */
let nextId = 1_000_000;
export function feedCase(emu: PageserverEmulator, c: Case): boolean {
  const s = new MemSocket();
  const conn = new Connection(emu.core, s as unknown as net.Socket, nextId++, () => {});
  for (const ch of chunks(c)) {
    if (s.destroyed) break;
    s.emit('data', ch);
  }
  const answered = s.out > 0;
  // The client goes away, as a real one eventually does.
  s.emit('end');
  conn.destroy();
  return answered;
}
