/**
 * The raw client's way into a real page stream (used when it drives the
 * emulator rather than the raw server): StartupMessage, wait for
 * ReadyForQuery, `pagestream_v3 <tenant> <timeline>`, wait for
 * CopyBothResponse. Cold path: runs once per connection before measuring,
 * on an ordinary 'data' listener that is removed before the stream starts.
 */
import type net from 'node:net';
import { encodeQuery, encodeStartupMessage, Msg } from '../../src/protocol/libpq.js';

export function pagestreamHandshake(sock: net.Socket, tenant: string, timeline: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    let sentQuery = false;
    const t = setTimeout(() => done(new Error(`handshake: no CopyBothResponse within ${timeoutMs} ms`)), timeoutMs);
    const done = (e?: Error): void => {
      clearTimeout(t);
      sock.off('data', onData);
      if (e) reject(e);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      acc = Buffer.concat([acc, chunk]);
      while (acc.length >= 5) {
        const type = acc[0]!;
        const len = acc.readUInt32BE(1);
        if (acc.length < 1 + len) return;
        acc = acc.subarray(1 + len);
        if (type === Msg.ErrorResponse) return done(new Error('handshake: server answered ErrorResponse'));
        if (type === Msg.ReadyForQuery && !sentQuery) {
          sentQuery = true;
          sock.write(encodeQuery(`pagestream_v3 ${tenant} ${timeline}`));
        } else if (type === Msg.CopyBothResponse) {
          if (acc.length) return done(new Error('handshake: unexpected bytes after CopyBothResponse'));
          return done();
        }
      }
    };
    sock.on('data', onData);
    sock.write(encodeStartupMessage({ user: 'postgres', database: 'postgres', application_name: 'ceiling-raw' }));
  });
}
