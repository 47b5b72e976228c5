/**
 * The client's direct request writes (src/client/direct-write.ts) on real
 * loopback sockets: small batches go straight to the kernel (Node queues
 * nothing), and when the peer stops reading, the rest goes through Node and
 * every byte still arrives, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { directWritesEnabled, writeDirect } from '../../src/client/direct-write.js';
import { socketFd } from '../../src/native/addon.js';

async function pair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  let accepted!: (s: net.Socket) => void;
  const got = new Promise<net.Socket>((r) => (accepted = r));
  const srv = net.createServer((s) => accepted(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
  const server = await got;
  return { client, server, close: () => { client.destroy(); server.destroy(); srv.close(); } };
}

function collect(s: net.Socket, want: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${have} of ${want} bytes arrived`)), 10_000);
    s.on('data', (c: Buffer) => {
      parts.push(c);
      have += c.length;
      if (have >= want) {
        clearTimeout(timer);
        resolve(Buffer.concat(parts));
      }
    });
  });
}

test('direct writes are on where the native helper is built', () => {
  assert.equal(directWritesEnabled(), true);
});

test('small batches go straight to the kernel and arrive in order', async () => {
  const p = await pair();
  try {
    const buf = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff));
    const arrived = collect(p.server, 4096);
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
  const p = await pair();
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
    const arrived = collect(p.server, total);
    p.server.resume();
    assert.ok((await arrived).equals(expect), 'complete and in order');
  } finally {
    p.close();
  }
});
