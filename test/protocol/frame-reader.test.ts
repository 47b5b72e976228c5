/**
 * FrameReader under every chunking a socket can produce: a frame split at every
 * byte position, the 5-byte header split across reads, one byte per read, many
 * frames per chunk; and zero-copy delivery for frames wholly inside a chunk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { bytes, ascii, message } from './helpers/bytes.js';

interface Got { type: number; body: Buffer; sameBuf: boolean; off: number }

function collector(chunkRef: { current: Buffer | null }) {
  const got: Got[] = [];
  const reader = new FrameReader({
    onFrame(type, buf, off, len) {
      // Copy: the view is valid only during the call.
      got.push({ type, body: Buffer.from(buf.subarray(off, off + len)), sameBuf: buf === chunkRef.current, off });
    },
  });
  return { got, reader };
}


/** A V3 GetPage response frame (8239 bytes) with recognisable content. */
function getPageFrame(seed: number): Buffer {
  const payload = Buffer.alloc(8234);
  payload[0] = 102;
  for (let i = 1; i < payload.length; i++) payload[i] = (i * 31 + seed) & 0xff;
  return message(0x64, payload);
}

const small = bytes('5a 00 00 00 05 49'); // ReadyForQuery
const empty = bytes('63 00 00 00 04'); // CopyDone, empty body
const stream = Buffer.concat([small, getPageFrame(1), empty, message(0x64, ascii('hello'))]);
const expected = [
  { type: 0x5a, body: bytes('49') },
  { type: 0x64, body: getPageFrame(1).subarray(5) },
  { type: 0x63, body: Buffer.alloc(0) },
  { type: 0x64, body: ascii('hello') },
];
const strip = (g: Got[]) => g.map(({ type, body }) => ({ type, body }));

test('a stream split into two reads at every byte position', () => {
  const ref = { current: null as Buffer | null };
  for (let i = 0; i <= stream.length; i++) {
    const { got, reader } = collector(ref);
    // Both reads come from one receive buffer, as with a reused socket buffer.
    reader.push(stream, 0, i);
    reader.push(stream, i, stream.length);
    assert.equal(reader.buffered, 0, `split ${i}`);
    assert.deepEqual(strip(got), expected, `split at ${i}`);
  }
});

test('a stream fed one byte per read, each from a fresh buffer', () => {
  const ref = { current: null as Buffer | null };
  const { got, reader } = collector(ref);
  for (let i = 0; i < stream.length; i++) {
    const b = Buffer.from([stream[i]!]);
    ref.current = b;
    reader.push(b, 0, 1);
  }
  assert.deepEqual(strip(got), expected);
  assert.ok(got.every((g) => !g.sameBuf), 'frames assembled across reads come from the pending buffer');
});

test('the 5-byte header split across reads at each position, three reads', () => {
  const f = getPageFrame(9);
  const ref = { current: null as Buffer | null };
  for (let h = 1; h < 5; h++) {
    for (const tail of [6, 100, f.length]) {
      const { got, reader } = collector(ref);
      reader.push(f, 0, h);
      assert.equal(reader.buffered, h);
      reader.push(f, h, tail);
      reader.push(f, tail, f.length);
      assert.equal(got.length, 1, `header split at ${h}, tail ${tail}`);
      assert.deepEqual(got[0]!.body, f.subarray(5));
    }
  }
});

test('zero-copy: a frame wholly inside a chunk is delivered with buf === chunk, at its offset', () => {
  const ref = { current: null as Buffer | null };
  const { got, reader } = collector(ref);
  const chunk = Buffer.concat([bytes('ee ee ee'), stream, bytes('ee')]);
  ref.current = chunk;
  reader.push(chunk, 3, 3 + stream.length);
  assert.deepEqual(strip(got), expected);
  assert.ok(got.every((g) => g.sameBuf), 'no frame was copied');
  assert.deepEqual(got.map((g) => g.off), [3 + 5, 3 + 6 + 5, 3 + 6 + 8239 + 5, 3 + 6 + 8239 + 5 + 5]);
});

test('after a straddling frame, the rest of the chunk is again delivered in place', () => {
  const ref = { current: null as Buffer | null };
  const { got, reader } = collector(ref);
  const a = stream.subarray(0, 100); // ReadyForQuery whole + part of the GetPage frame
  const b = Buffer.from(stream.subarray(100));
  ref.current = stream;
  reader.push(stream, 0, 100);
  ref.current = b;
  reader.push(b, 0, b.length);
  assert.equal(a.length, 100);
  assert.deepEqual(strip(got), expected);
  assert.deepEqual(got.map((g) => g.sameBuf), [true, false, true, true]);
});

test('many frames per chunk: a 256 KiB read of V3 GetPage responses', () => {
  const n = Math.floor((256 * 1024) / 8239); // 31 whole frames
  const frames = Array.from({ length: n + 1 }, (_, k) => getPageFrame(k));
  const all = Buffer.concat(frames);
  const chunk = all.subarray(0, 256 * 1024); // ends inside frame n
  const ref = { current: chunk as Buffer | null };
  const { got, reader } = collector(ref);
  reader.push(chunk, 0, chunk.length);
  assert.equal(got.length, n);
  assert.ok(got.every((g) => g.sameBuf));
  assert.equal(reader.buffered, 256 * 1024 - n * 8239);
  const rest = all.subarray(256 * 1024);
  ref.current = null;
  reader.push(rest, 0, rest.length);
  assert.equal(got.length, n + 1);
  for (let k = 0; k <= n; k++) assert.deepEqual(got[k]!.body, frames[k]!.subarray(5), `frame ${k}`);
  assert.equal(reader.position, all.length);
});

test('a frame larger than the initial pending buffer, fed in small pieces', () => {
  const big = message(0x64, Buffer.alloc(100_000, 7));
  const got: number[] = [];
  const reader = new FrameReader({ onFrame: (_t, buf, off, len) => got.push(len, buf[off]!, buf[off + len - 1]!) }, { initialPending: 16 });
  for (let p = 0; p < big.length; p += 4093) reader.push(big, p, Math.min(big.length, p + 4093));
  assert.deepEqual(got, [100_000, 7, 7]);
  assert.equal(reader.buffered, 0);
});

test('untyped startup phase: a StartupMessage, then typed frames', () => {
  const startup = bytes('00 00 00 0d 00 03 00 00', ascii('a\0b\0\0'));
  const wire = Buffer.concat([startup, bytes('51 00 00 00 06 78 00')]);
  for (let i = 0; i <= wire.length; i++) {
    const seen: Array<[number, string]> = [];
    const r = new FrameReader({ onFrame: (type, buf, off, len) => seen.push([type, buf.subarray(off, off + len).toString('hex')]) }, { untyped: true });
    r.push(wire, 0, i);
    r.push(wire, i, wire.length);
    assert.deepEqual(seen, [[0, '00030000' + '6100620000'], [0x51, '7800']], `split ${i}`);
  }
});

test('reset() drops a partial frame and restarts positions', () => {
  const { got, reader } = collector({ current: null });
  reader.push(stream, 0, 20);
  assert.ok(reader.buffered > 0);
  reader.reset();
  assert.equal(reader.buffered, 0);
  assert.equal(reader.position, 0);
  reader.push(stream, 0, stream.length);
  assert.equal(got.length, 1 + expected.length);
});
