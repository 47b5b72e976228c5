/**
 * Direct output (src/server/direct-output.ts, native/writev.c) on real
 * loopback sockets: slices of three buffers arrive byte for byte and in order,
 * what a full send buffer does not take is queued through Node and still
 * arrives in order, and an emulator writing directly serves exactly the bytes
 * of one writing through Node's streams.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon, socketFd } from '../../src/native/addon.js';
import { BASE_CACHE, BASE_FIXED, BASE_HEADERS, DirectOutput } from '../../src/server/direct-output.js';
import { M_DIRECT_BYTES, M_DIRECT_QUEUED } from '../../src/server/metrics.js';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { openStream, getPageFrame, LSN_MAX } from './helpers/raw-client.js';
import { verifyPageChecksum } from '../../src/protocol/page.js';
import { collectBytes, socketPair } from '../helpers/socket-pair.js';
import type { SocketPair } from '../helpers/socket-pair.js';

type Slice = [base: number, offset: number, length: number];

/**
 * A DirectOutput on the server side of `p`, over three buffers of
 * recognisable bytes (base b holds (b * 64 + i * 7) & 0xff at i), and the
 * bytes a list of slices stands for.
 */
function directOn(p: SocketPair): { out: DirectOutput; counters: Float64Array; bytesOf(slices: Slice[]): Buffer; piece(s: Slice): Buffer } {
  const mk = (b: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (b * 64 + i * 7) & 0xff));
  const bases = [mk(0, 1 << 20), mk(1, 4096), mk(2, 16384)] as const;
  const counters = new Float64Array(64);
  const piece = ([b, o, l]: Slice): Buffer => bases[b]!.subarray(o, o + l);
  return {
    out: new DirectOutput(nativeAddon()!, socketFd(p.server), p.server, counters, bases[0], bases[1], bases[2]),
    counters,
    piece,
    bytesOf: (slices) => Buffer.concat(slices.map(piece)),
  };
}

test('the native writev is built (npm install) and loads', () => {
  assert.equal(typeof nativeAddon()?.writeFrames, 'function');
});

test('slices of three buffers arrive byte for byte, in order', async () => {
  const p = await socketPair();
  try {
    const { out, counters, bytesOf } = directOn(p);
    const slices: Slice[] = [[BASE_HEADERS, 1, 47], [BASE_FIXED, 8192, 100], [BASE_CACHE, 5000, 25], [BASE_FIXED, 0, 3], [BASE_CACHE, 0, 8192]];
    const expect = bytesOf(slices);
    const arrived = collectBytes(p.client, expect.length);
    for (const [b, o, l] of slices) out.add(b, o, l);
    assert.equal(out.flush(), true, 'a few KiB fit the send buffer');
    assert.deepEqual(await arrived, expect);
    assert.equal(counters[M_DIRECT_BYTES], expect.length);
    assert.equal(counters[M_DIRECT_QUEUED], 0);
  } finally {
    p.close();
  }
});

test('a full send buffer: the rest goes through Node, and every byte still arrives in order', async () => {
  const p = await socketPair();
  try {
    const { out, counters, bytesOf, piece } = directOn(p);
    p.client.pause(); // nobody reads: the kernel's buffers fill
    const slices: Slice[] = [];
    for (let k = 0; k < 1000; k++) slices.push([BASE_HEADERS, k % 64, 47], [BASE_CACHE, (k * 8192) % (1 << 20), 8192]);
    const expect = bytesOf(slices);
    let allDirect = true;
    for (let i = 0; i < slices.length; i += 200) {
      for (const [b, o, l] of slices.slice(i, i + 200)) out.add(b, o, l);
      // After a partial write the caller writes through Node (as the emulator's pump does).
      if (!out.flush()) {
        allDirect = false;
        const rest = slices.slice(i + 200);
        for (const sl of rest) p.server.write(piece(sl));
        break;
      }
    }
    assert.equal(allDirect, false, '8 MiB do not fit loopback socket buffers');
    assert.ok(counters[M_DIRECT_QUEUED]! > 0, 'a rest was queued through Node');
    assert.ok(counters[M_DIRECT_BYTES]! > 0, 'what fitted was written directly');
    const arrived = collectBytes(p.client, expect.length);
    p.client.resume();
    assert.ok((await arrived).equals(expect), 'the bytes arrive complete and in order');
  } finally {
    p.close();
  }
});

async function stream(writes: 'direct' | 'node', version: 2 | 3): Promise<{ bytes: Buffer; direct: number }> {
  const emu = new PageserverEmulator({ relationBlocks: [50, 7], writes, log: () => {} });
  const { port } = await emu.listen();
  try {
    const c = await openStream(port, version, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID);
    const frames = [];
    // In range, repeated blocks in one batch, past the end (the zero page), both relations, an older LSN.
    for (let k = 0; k < 300; k++) {
      const rel = 16400 + (k % 2);
      const blk = k % 11 === 0 ? 60 : (k * 7) % 50;
      const lsn: [number, number] = k % 13 === 0 ? [0, 0x0100_0000] : LSN_MAX;
      frames.push(getPageFrame(version, { reqid: [0, k], lsn, nms: [0, 1] }, { spc: 1663, db: 16384, rel, fork: 0 }, blk));
    }
    c.send(Buffer.concat(frames));
    const size = version === 3 ? 8239 : 8198;
    const got: Buffer[] = [];
    for (let k = 0; k < 300; k++) {
      const f = Buffer.from(await c.read(size));
      const blk = k % 11 === 0 ? 60 : (k * 7) % 50;
      // Every page whole: its checksum covers all 8192 bytes (the zero page has none).
      if (blk < 50) assert.ok(verifyPageChecksum(f, size - 8192, blk), `${writes}: response ${k} carries a broken page`);
      got.push(f);
    }
    c.close();
    return { bytes: Buffer.concat(got), direct: emu.core.metrics.c[M_DIRECT_BYTES]! };
  } finally {
    await emu.close();
  }
}

for (const version of [2, 3] as const) {
  test(`V${version}: an emulator writing directly serves exactly the bytes of one writing through Node`, async () => {
    const direct = await stream('direct', version);
    const node = await stream('node', version);
    assert.ok(direct.direct > 0, 'the direct emulator wrote through writev');
    assert.equal(node.direct, 0, 'writes: node never does');
    assert.equal(direct.bytes.length, node.bytes.length);
    assert.ok(direct.bytes.equals(node.bytes), 'byte-identical streams');
  });
}

test('a destroyed socket: what was gathered is dropped, its closed descriptor never written', async () => {
  const p = await socketPair();
  try {
    const { out, counters } = directOn(p);
    out.add(BASE_CACHE, 0, 8192);
    p.server.destroy();
    assert.equal(out.flush(), false);
    assert.equal(counters[M_DIRECT_BYTES], 0);
    assert.equal(counters[M_DIRECT_QUEUED], 0);
  } finally {
    p.close();
  }
});
