/**
 * An independent pipelined V3 GetPage client (written from protocol.md, no
 * code shared with src/client): `connections` sockets, each keeping `depth`
 * requests in flight with reqid = (connection << 32) | counter, checking that
 * every response's reqid echo is the oldest outstanding request's. Used to
 * tell whether a mismatch comes from the server or from the load generator.
 */
import net from 'node:net';
import { message } from '../../protocol/helpers/bytes.js';

export interface ProbeResult {
  responses: number;
  /** Responses whose reqid echo was not the oldest outstanding request's. */
  mismatches: number;
  /** Responses that were not GetPage (tag 102). */
  other: number;
}


export async function probeV3(opts: {
  port: number; tenant: string; timeline: string; rel: { spc: number; db: number; rel: number }; nblocks: number;
  connections: number; depth: number; seconds: number;
}): Promise<ProbeResult> {
  const res: ProbeResult = { responses: 0, mismatches: 0, other: 0 };
  const end = Date.now() + opts.seconds * 1000;
  const params = Buffer.from('user\0probe\0database\0postgres\0\0', 'latin1');
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  const one = (id: number): Promise<void> => new Promise((resolve) => {
    const s = net.connect(opts.port, '127.0.0.1');
    let buf: Buffer = Buffer.alloc(0);
    let phase = 0;
    let next = 1;
    const outstanding: number[] = [];
    const request = (): Buffer => {
      const p = Buffer.alloc(42);
      p[0] = 2;
      p.writeUInt32BE(id, 1);
      p.writeUInt32BE(next, 5);
      p.fill(0xff, 9, 17); // Lsn::MAX
      p.writeUInt32BE(opts.rel.spc, 25);
      p.writeUInt32BE(opts.rel.db, 29);
      p.writeUInt32BE(opts.rel.rel, 33);
      p[37] = 0;
      p.writeUInt32BE((next * 7919) % opts.nblocks, 38);
      outstanding.push(next++);
      return message(0x64, p);
    };
    s.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const out: Buffer[] = [];
      while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
        const t = buf[0]!;
        const len = buf.readInt32BE(1);
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (phase === 0 && t === 0x5a) {
          phase = 1;
          s.write(message(0x51, Buffer.from(`pagestream_v3 ${opts.tenant} ${opts.timeline}\0`)));
        } else if (phase === 1 && t === 0x57) {
          phase = 2;
          for (let k = 0; k < opts.depth; k++) out.push(request());
        } else if (phase === 2 && t === 0x64) {
          res.responses++;
          const want = outstanding.shift();
          if (body[0] !== 102) res.other++;
          else if (body.readUInt32BE(1) !== id || body.readUInt32BE(5) !== want) res.mismatches++;
          if (Date.now() < end) out.push(request());
        }
      }
      if (out.length) s.write(Buffer.concat(out));
      if (Date.now() >= end && outstanding.length === 0) s.end();
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    s.write(startup);
    setTimeout(() => s.destroy(), opts.seconds * 1000 + 5000);
  });
  await Promise.all(Array.from({ length: opts.connections }, (_, i) => one(i + 1)));
  return res;
}
