/**
 * The client's direct request writes (src/client/direct-write.ts) on real
 * loopback sockets: small batches go straight to the kernel (Node queues
 * nothing), and when the peer stops reading, the rest goes through Node and
 * every byte still arrives, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directWritesEnabled, writeDirect } from '../../src/client/direct-write.js';
import { socketFd } from '../../src/native/addon.js';
import { collectBytes, socketPair } from '../helpers/socket-pair.js';

test('direct writes are on where the native helper is built', () => {
  assert.equal(directWritesEnabled(), true);
});

test('small batches go straight to the kernel and arrive in order', async () => {
  const p = await socketPair();
  try {
    const buf = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
    const arrived = collectBytes(p.server, 4096);
    const fd = socketFd(p.client);
    assert.ok(fd >= 0);
    for (let o = 0; o < 4096; o += 512) {
      assert.equal(writeDirect(p.client, fd, buf, o, o + 512), true);
      assert.equal(p.client.writableLength, 0, 'Node queued nothing');
    }
    assert.ok((await arrived).equals(buf));
  } finally {
    p.close();
  }
});

test('a peer that stops reading: the rest goes through Node, every byte arrives in order', async () => {
  const p = await socketPair();
  try {
    p.server.pause();
    const chunk = 64 * 1024;
    const total = 16 * 1024 * 1024;
    const expect = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) expect.writeUInt32BE(i, i);
    const fd = socketFd(p.client);
    let queued = false;
    for (let o = 0; o < total; o += chunk) {
      // The caller's buffer is reused after a true return, as the request encoder does.
      const buf = Buffer.from(expect.subarray(o, o + chunk));
      if (!writeDirect(p.client, fd, buf, 0, chunk)) queued = true;
    }
    assert.equal(queued, true, '16 MiB to a peer that does not read fill the kernel buffers');
    assert.ok(p.client.writableLength > 0);
    const arrived = collectBytes(p.server, total);
    p.server.resume();
    assert.ok((await arrived).equals(expect), 'complete and in order');
  } finally {
    p.close();
  }
});
