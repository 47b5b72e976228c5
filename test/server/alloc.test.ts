/**
 * The serving loop allocates nothing per request: a connection is driven with
 * a million pipelined V3 GetPage requests through a socket stand-in (so Node's
 * own socket layer, which does allocate, is out of the picture), and not one
 * garbage collection may happen while it runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { Connection } from '../../src/server/connection.js';
import { EmulatorCore } from '../../src/server/core.js';
import { defaultEmulatorOptions } from '../../src/server/config.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { startupMessage, query, getPageFrame, LSN_MAX } from './helpers/raw-client.js';

/** Just enough of net.Socket for a Connection; write() only counts bytes. */
class SocketStandIn {
  remoteAddress = '127.0.0.1';
  remotePort = 1;
  writableLength = 0;
  destroyed = false;
  bytes = 0;
  writes = 0;
  private readonly handlers = new Map<string, (x: Buffer) => void>();
  on(ev: string, fn: (x: Buffer) => void): this {
    this.handlers.set(ev, fn);
    return this;
  }
  data(b: Buffer): void {
    this.handlers.get('data')!(b);
  }
  write(b: Buffer): boolean {
    this.bytes += b.length;
    this.writes++;
    return true;
  }
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

test('one million V3 GetPage requests through the serving loop: zero GC events', async () => {
  const opts = { ...defaultEmulatorOptions(), log: () => {} };
  const core = new EmulatorCore(opts, performance.now());
  const sock = new SocketStandIn();
  new Connection(core, sock as unknown as Socket, 1, () => {});
  sock.data(startupMessage({ user: 'u' }));
  sock.data(query(`pagestream_v3 ${DEFAULT_TENANT_ID} ${DEFAULT_TIMELINE_ID}`));
  // One read's worth of pipelined requests: 32 different blocks of two relations.
  const frames = [];
  for (let k = 0; k < 32; k++) {
    frames.push(getPageFrame(3, { reqid: [1, k], lsn: LSN_MAX, nms: [0, 0x100] }, { spc: 1663, db: 16384, rel: 16400 + (k & 1), fork: 0 }, k * 37));
  }
  const chunk = Buffer.concat(frames);
  const READS = 31250; // x 32 = 1,000,000 requests
  for (let i = 0; i < 2000; i++) sock.data(chunk); // warm up: JIT, page cache, views
  const b0 = sock.bytes;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < READS; i++) sock.data(chunk);
  await new Promise((r) => setImmediate(r)); // let the observer deliver
  obs.disconnect();
  assert.equal(sock.bytes - b0, READS * 32 * 8239, 'every request answered with one full V3 GetPage frame');
  assert.equal(gcs, 0, `${gcs} GC events while serving ${READS * 32} requests`);
});
