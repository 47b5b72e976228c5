/**
 * A scriptable misbehaving pageserver for robustness tests: a raw `net` server
 * on 127.0.0.1 that speaks just enough libpq and page stream (protocol.md
 * §1–§3) to get a client into the GetPage stream, serves `after` GetPage
 * responses correctly on each connection, and then misbehaves in one chosen
 * way. It records what it saw so a test can assert reconnects and secrets.
 *
 * Written from protocol.md, independently of src/server (the emulator is under
 * test elsewhere; a bug shared by both would otherwise hide).
 */
import net from 'node:net';
import { buildPage } from '../../../src/protocol/page.js';
import { message } from '../../protocol/helpers/bytes.js';

export type Behaviour =
  /** Serve correctly forever. */
  | 'none'
  /** Half of a GetPage response frame, then close. */
  | 'truncate-close'
  /** A CopyData header whose length field is 2^31-1, a few bytes, then silence. */
  | 'absurd-length'
  /** A libpq message with a type byte no server sends ('Y'), well framed. */
  | 'unknown-tag'
  /** A libpq ErrorResponse in the middle of the copy stream, then close (as a pageserver does on a fatal error). */
  | 'error-response'
  /** Every GetPage from then on answered with a page-stream Error (tag 103, V3 echo right). */
  | 'pagestream-error'
  /** Stop reading the socket and stop answering (the client's writes back up). */
  | 'stop-reading'
  /** Handshake and Nblocks fine, GetPage never answered; the socket stays open. */
  | 'never-answer'
  /** Not a pageserver at all: an HTTP reply to the startup packet, then close. */
  | 'http'
  /** Reset the connection (TCP RST) instead of answering the GetPage. */
  | 'reset';

export interface BadServerOptions {
  behaviour: Behaviour;
  /** GetPage responses served correctly on each connection before misbehaving. Default 20. */
  after?: number;
  /** Misbehave only on the first N connections (later ones serve correctly). Default: all. */
  connectionsToBreak?: number;
  /** Delay before AuthenticationOk, in ms (slow handshake). */
  handshakeDelayMs?: number;
  /** Ask for a cleartext password (as a pageserver with JWT auth does) and record it. */
  askPassword?: boolean;
  /** With askPassword: reject any other password with ErrorResponse 28P01 (as a pageserver rejects a bad JWT). */
  expectPassword?: string;
  /** Blocks in every relation (Nblocks answer). Default 1000. */
  nblocks?: number;
}

export interface BadServerStats {
  connections: number;
  /** Connections that reached the page stream. */
  streams: number;
  getPagesAnswered: number;
  /** Times the scripted misbehaviour fired. */
  misbehaved: number;
  passwords: string[];
  startupParams: Array<Record<string, string>>;
  queries: string[];
  /** ms timestamps (Date.now) of each accepted connection, for backoff checks. */
  connectTimes: number[];
}

export interface BadServer {
  port: number;
  url: string;
  stats: BadServerStats;
  close(): Promise<void>;
}

export const TENANT = '0123456789abcdef0123456789abcdef';
export const TIMELINE = 'fedcba9876543210fedcba9876543210';
export const REL = '1663/5/16384';

const LSN_HI = 0;
const LSN_LO = 0x169ad58;

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.of(0)]);
const authOk = (): Buffer => message(0x52, Buffer.from([0, 0, 0, 0]));
const authCleartext = (): Buffer => message(0x52, Buffer.from([0, 0, 0, 3]));
const paramStatus = (k: string, v: string): Buffer => message(0x53, Buffer.concat([cstr(k), cstr(v)]));
const readyForQuery = (): Buffer => message(0x5a, Buffer.from('I'));
const copyBoth = (): Buffer => message(0x57, Buffer.from([0, 0, 0]));
function errorResponse(code: string, msg: string): Buffer {
  return message(0x45, Buffer.concat([Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(msg), Buffer.of(0)]));
}

export async function startBadServer(opts: BadServerOptions): Promise<BadServer> {
  const after = opts.after ?? 20;
  const nblocks = opts.nblocks ?? 1000;
  const stats: BadServerStats = { connections: 0, streams: 0, getPagesAnswered: 0, misbehaved: 0, passwords: [], startupParams: [], queries: [], connectTimes: [] };
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => { /* the client may reset; that is its right */ });
    sock.setNoDelay(true);
    const connNo = stats.connections++;
    stats.connectTimes.push(Date.now());
    const breakThis = opts.connectionsToBreak === undefined || connNo < opts.connectionsToBreak;
    let buf: Buffer = Buffer.alloc(0);
    let phase: 'startup' | 'password' | 'wait' | 'query' | 'stream' | 'dead' = 'startup';
    let version = 3;
    let served = 0;
    let broken = false;

    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
      timers.add(t);
    };
    const misbehave = (): boolean => {
      if (!breakThis || broken || served < after) return false;
      broken = opts.behaviour !== 'pagestream-error';
      if (opts.behaviour !== 'pagestream-error' || served === after) stats.misbehaved++;
      return true;
    };

    const startupDone = (): void => {
      const go = (): void => {
        if (sock.destroyed) return;
        sock.write(Buffer.concat([authOk(), paramStatus('client_encoding', 'UTF8'), paramStatus('integer_datetimes', 'on'), paramStatus('server_version', '14.1'), readyForQuery()]));
        phase = 'query';
        drain();
      };
      phase = 'wait';
      if (opts.handshakeDelayMs) later(opts.handshakeDelayMs, go);
      else go();
    };

    const onPayload = (p: Buffer): void => {
      const tag = p[0];
      const hdr = version === 3 ? 25 : 17;
      const echo = version === 3 ? p.subarray(1, 25) : Buffer.alloc(0);
      if (tag === 1 || tag === 0) {
        // Nblocks / Exists: header, RelTag (13 bytes)
        const rel = p.subarray(hdr, hdr + 13);
        const val = Buffer.alloc(tag === 1 ? 4 : 1);
        if (tag === 1) val.writeUInt32BE(nblocks); else val[0] = 1;
        sock.write(message(0x64, Buffer.concat([Buffer.of(100 + tag), echo, version === 3 ? rel : Buffer.alloc(0), val])));
        return;
      }
      if (tag === 3) {
        const db = p.subarray(hdr, hdr + 4);
        const size = Buffer.alloc(8);
        size.writeBigInt64BE(BigInt(nblocks) * 8192n);
        sock.write(message(0x64, Buffer.concat([Buffer.of(104), echo, version === 3 ? db : Buffer.alloc(0), size])));
        return;
      }
      if (tag !== 2) {
        sock.write(message(0x64, Buffer.concat([Buffer.of(103), echo, cstr('unsupported request')])));
        return;
      }
      // GetPage
      if (misbehave()) {
        switch (opts.behaviour) {
          case 'none': break;
          case 'truncate-close': {
            const full = getPageResponse(p, hdr, echo);
            sock.end(full.subarray(0, full.length >> 1));
            phase = 'dead';
            return;
          }
          case 'absurd-length': {
            const b = Buffer.from([0x64, 0x7f, 0xff, 0xff, 0xff, 102, 0, 0, 0]);
            sock.write(b);
            phase = 'dead'; // then silence: the client must not wait for 2 GiB
            return;
          }
          case 'unknown-tag':
            sock.write(message(0x59, Buffer.from('hello')));
            phase = 'dead';
            return;
          case 'error-response':
            sock.end(errorResponse('XX000', 'simulated fatal error in the middle of the page stream'));
            phase = 'dead';
            return;
          case 'pagestream-error':
            sock.write(message(0x64, Buffer.concat([Buffer.of(103), echo, cstr('Not found: simulated page-stream error')])));
            return;
          case 'stop-reading':
            sock.pause();
            phase = 'dead';
            return;
          case 'never-answer':
            phase = 'dead';
            return;
          case 'reset':
            phase = 'dead';
            sock.resetAndDestroy();
            return;
          case 'http':
            break;
        }
      }
      served++;
      stats.getPagesAnswered++;
      sock.write(getPageResponse(p, hdr, echo));
    };

    const getPageResponse = (p: Buffer, hdr: number, echo: Buffer): Buffer => {
      const rel = p.subarray(hdr, hdr + 13);
      const blk = p.subarray(hdr + 13, hdr + 17);
      const body = Buffer.alloc(1 + (version === 3 ? 24 + 13 + 4 : 0) + 8192);
      body[0] = 102;
      let o = 1;
      if (version === 3) {
        echo.copy(body, 1);
        rel.copy(body, 25);
        blk.copy(body, 38);
        o = 42;
      }
      buildPage(body, o, { spcnode: rel.readUInt32BE(0), dbnode: rel.readUInt32BE(4), relnode: rel.readUInt32BE(8), forknum: rel[12]!, blkno: blk.readUInt32BE(0), lsnHi: LSN_HI, lsnLo: LSN_LO });
      return message(0x64, body);
    };

    sock.on('data', (chunk: Buffer) => {
      if (phase === 'dead') return;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      drain();
    });
    const drain = (): void => {
      for (;;) {
        if (phase === 'dead' || phase === 'wait') return;
        if (phase === 'startup') {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (len < 8 || len > 10000) { sock.destroy(); return; }
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const body = buf.subarray(8, len);
          buf = buf.subarray(len);
          if (opts.behaviour === 'http') {
            stats.misbehaved++;
            sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
            phase = 'dead';
            return;
          }
          if (code === 80877103 || code === 80877104) { sock.write('N'); continue; }
          const params: Record<string, string> = {};
          const parts = body.toString('utf8').split('\0');
          for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) params[parts[i]!] = parts[i + 1]!;
          stats.startupParams.push(params);
          if (opts.askPassword) {
            sock.write(authCleartext());
            phase = 'password';
          } else startupDone();
          continue;
        }
        if (buf.length < 5) return;
        const type = buf[0]!;
        const len = buf.readInt32BE(1);
        if (len < 4 || len > 1 << 20) { sock.destroy(); return; }
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 0x58) { sock.end(); phase = 'dead'; return; } // Terminate
        if (phase === 'password') {
          if (type !== 0x70) { sock.destroy(); return; }
          const pw = body.subarray(0, Math.max(0, body.length - 1)).toString('utf8');
          stats.passwords.push(pw);
          if (opts.expectPassword !== undefined && pw !== opts.expectPassword) {
            sock.end(errorResponse('28P01', 'Authentication error: invalid JWT token'));
            phase = 'dead';
            return;
          }
          startupDone();
          continue;
        }
        if (phase === 'query') {
          if (type !== 0x51) { sock.write(Buffer.concat([errorResponse('08P01', 'expected a query'), readyForQuery()])); continue; }
          const q = body.subarray(0, body.length - 1).toString('utf8');
          stats.queries.push(q);
          const m = /^pagestream_v([23]) ([0-9a-f]{32}) ([0-9a-f]{32})$/.exec(q);
          if (!m) { sock.write(Buffer.concat([errorResponse('42601', `unsupported command ${q}`), readyForQuery()])); continue; }
          version = Number(m[1]);
          stats.streams++;
          sock.write(copyBoth());
          phase = 'stream';
          continue;
        }
        if (phase === 'stream') {
          if (type !== 0x64) { sock.end(errorResponse('08P01', 'unexpected message during COPY')); phase = 'dead'; return; }
          onPayload(body);
        }
      }
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `postgres://127.0.0.1:${port}`,
    stats,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port with nothing listening (bound then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
