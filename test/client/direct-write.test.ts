/**
 * The client's direct request writes (src/client/direct-write.ts) on real
 * loopback sockets: small batches go straight to the kernel (Node queues
 * nothing), and when the peer stops reading, the rest goes through Node and
 * every byte still arrives, in order.
 */
import { test } from 'node:test';
import net from 'node:net';
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
      assert.equal(writeDirect(p.client, fd, buf, o, o + 512), o + 512, 'the kernel took all of it');
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
      const buf = Buffer.from(expect.subarray(o, o + chunk));
      const at = writeDirect(p.client, fd, buf, 0, chunk);
      // The rest through Node, as PageStreamConnection's writeOut does.
      if (at < chunk) {
        queued = true;
        p.client.write(buf.subarray(at));
      }
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

test('while Node holds bytes of the socket nothing is written directly: they would be overtaken', async () => {
  const p = await socketPair();
  try {
    const fd = socketFd(p.client);
    const first = Buffer.alloc(300, 1);
    const second = Buffer.alloc(200, 2);
    const arrived = collectBytes(p.server, 500);
    p.client.cork(); // Node holds `first`; the kernel's buffer is empty
    p.client.write(first);
    assert.ok(p.client.writableLength > 0);
    const at = writeDirect(p.client, fd, second, 0, 200);
    assert.equal(at, 0, 'nothing written directly');
    p.client.write(second.subarray(at));
    p.client.uncork();
    assert.ok((await arrived).equals(Buffer.concat([first, second])), 'in the order written');
  } finally {
    p.close();
  }
});

test('a destroyed socket is never written directly (its descriptor number may already be reused)', async () => {
  const p = await socketPair();
  const fd = socketFd(p.client);
  // A listener first, so that the next connect is what takes the freed number.
  let accepted!: (s: net.Socket) => void;
  const got = new Promise<net.Socket>((r) => (accepted = r));
  const srv = net.createServer((s) => accepted(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  p.client.on('error', () => {});
  p.client.destroy();
  const reuser = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
  await new Promise<void>((r, j) => reuser.once('connect', r).once('error', j));
  const peer = await got;
  try {
    assert.equal(socketFd(reuser), fd, 'the new socket took the freed descriptor number');
    let received = 0;
    peer.on('data', (c: Buffer) => (received += c.length));
    assert.equal(writeDirect(p.client, fd, Buffer.alloc(100, 7), 0, 100), 0, 'nothing written directly');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received, 0, 'the bytes did not go to the socket that took the number');
  } finally {
    reuser.destroy();
    peer.destroy();
    srv.close();
    p.close();
  }
});
