/**
 * --rcvbuf through the native helper (native/sockopt.c), on real loopback
 * sockets: the kernel reports the buffer that was set (Linux: twice the
 * request, for its bookkeeping), a socket without a descriptor is refused
 * without throwing, and a run records what it applied — or, with
 * --rcvbuf 0, that it left the buffers to the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { receiveBufferSupported, setReceiveBuffer } from '../../src/client/sockopt.js';
import { defaultRunOptions, runBenchmark } from '../../src/client/run.js';

test('the native helper is built (npm install) and loads', () => {
  assert.equal(receiveBufferSupported(), true);
});

test('setReceiveBuffer on a connected loopback socket: the kernel reports at least the request', async () => {
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  try {
    const small = setReceiveBuffer(sock, 64 * 1024);
    assert.ok(small !== null && small >= 64 * 1024, `64 KiB asked, kernel reports ${small}`);
    const big = setReceiveBuffer(sock, 2 * 1024 * 1024);
    assert.ok(big !== null && big > small!, `2 MiB asked after 64 KiB, kernel reports ${big}`);
  } finally {
    sock.destroy();
    server.close();
  }
  // Not connected (no handle yet / destroyed): null, no throw.
  assert.equal(setReceiveBuffer(new net.Socket(), 65536), null);
});

test('a run records the buffer it applied; --rcvbuf 0 applies none', async () => {
  const base = { ...defaultRunOptions(2), protocol: 'v3' as const, connections: 2, pipeline: 4, workers: 1, rounds: 1, durationS: 0.2, warmupS: 0.05 };
  const fixed = await runBenchmark({ ...base, rcvbufBytes: 1024 * 1024 }, { log: () => {} });
  assert.equal(fixed.config.rcvbuf?.requestedBytes, 1024 * 1024);
  assert.ok((fixed.config.rcvbuf?.appliedBytes ?? 0) >= 1024 * 1024, `applied ${fixed.config.rcvbuf?.appliedBytes}`);
  assert.equal(fixed.config.rcvbuf?.connectsWithout, 0);
  assert.ok(fixed.variants.v3!.responses > 0);
  const kernel = await runBenchmark({ ...base, rcvbufBytes: 0 }, { log: () => {} });
  assert.deepEqual(kernel.config.rcvbuf, { requestedBytes: 0, appliedBytes: null, connectsWithout: 0 });
});
