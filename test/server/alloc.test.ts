/**
 * The serving loop allocates nothing per request: a connection is driven with
 * a million pipelined V3 GetPage requests through a socket stand-in (so Node's
 * own socket layer, which does allocate, is out of the picture), and not one
 * garbage collection may happen while it runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GcWindow } from '../protocol/helpers/gc-window.js';
import type { Socket } from 'node:net';
import { Connection } from '../../src/server/connection.js';
import { EmulatorCore } from '../../src/server/core.js';
import { defaultEmulatorOptions } from '../../src/server/config.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { startupMessage, query, getPageFrame, LSN_MAX } from './helpers/raw-client.js';
import { M_DIRECT_BYTES } from '../../src/server/metrics.js';
import { closeSync, openSync } from 'node:fs';

/** Just enough of net.Socket for a Connection; write() only counts bytes. */
class SocketStandIn {
  remoteAddress = '127.0.0.1';
  remotePort = 1;
  writableLength = 0;
  destroyed = false;
  /** Bytes and writes so far, in a Float64Array: a counter past 2^31 in a field would deopt into boxed numbers. */
  private readonly n = new Float64Array(2);
  get bytes(): number {
    return this.n[0]!;
  }
  private readonly handlers = new Map<string, (x: Buffer) => void>();
  on(ev: string, fn: (x: Buffer) => void): this {
    this.handlers.set(ev, fn);
    return this;
  }
  data(b: Buffer): void {
    this.handlers.get('data')!(b);
  }
  write(b: Buffer): boolean {
    this.n[0] += b.length;
    this.n[1]++;
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

/**
 * Drive a connection over `sock` with a million pipelined V3 GetPage
 * requests (after a warm-up) and count GC events meanwhile.
 */
async function serveMillion(core: EmulatorCore, sock: SocketStandIn): Promise<{ gcs: number; reads: number; bytes: number }> {
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
  // GC entries arrive asynchronously, later than a setImmediate: the window
  // counts the events that began while the loop ran, after it settles.
  const window = new GcWindow();
  try {
    const gcs = await window.count(() => {
      for (let i = 0; i < READS; i++) sock.data(chunk);
    });
    return { gcs, reads: READS, bytes: sock.bytes - b0 };
  } finally {
    window.close();
  }
}

test('one million V3 GetPage requests through the serving loop (writes through Node): zero GC events', async () => {
  const core = new EmulatorCore({ ...defaultEmulatorOptions(), log: () => {} }, performance.now());
  const sock = new SocketStandIn();
  const { gcs, reads, bytes } = await serveMillion(core, sock);
  assert.equal(core.metrics.c[M_DIRECT_BYTES], 0, 'a stand-in without a descriptor: every write through Node');
  assert.equal(bytes, reads * 32 * 8239, 'every request answered with one full V3 GetPage frame');
  assert.equal(gcs, 0, `${gcs} GC events while serving ${reads * 32} requests`);
});

test('one million V3 GetPage requests with direct output (one writev per pump, to /dev/null): zero GC events', async () => {
  const core = new EmulatorCore({ ...defaultEmulatorOptions(), log: () => {} }, performance.now());
  const sock = new SocketStandIn();
  const fd = openSync('/dev/null', 'w');
  // Where socketFd() finds a socket's descriptor.
  (sock as unknown as { _handle: { fd: number } })._handle = { fd };
  try {
    const { gcs, reads, bytes } = await serveMillion(core, sock);
    assert.equal(bytes, 0, 'nothing through Node');
    // Warm-up and measured reads alike: every response went out through writev.
    assert.equal(core.metrics.c[M_DIRECT_BYTES], (2000 + reads) * 32 * 8239, 'every response written directly');
    assert.equal(gcs, 0, `${gcs} GC events while serving ${reads * 32} requests`);
  } finally {
    closeSync(fd);
  }
});
