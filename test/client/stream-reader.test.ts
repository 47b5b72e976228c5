/**
 * StreamFrameReader, the hot path's frame splitter: every frame of a stream
 * comes out once, in order, with its type and length, however the stream is
 * cut into reads — reads landing in the worker's read region as on the socket
 * path. Whole mode hands over every byte; head-only mode hands over the first
 * GETPAGE_HEAD_BYTES of a GetPage response (all the verifier reads) and every
 * other frame whole. The expected bytes are built here, byte by byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GETPAGE_HEAD_BYTES, ReadArena, StreamFrameReader } from '../../src/client/stream-reader.js';

interface Frame { bytes: Uint8Array }

/** A CopyData frame 'd' | i32 (4 + payload) | payload, payload[0] = tag, the rest a pattern of `seed`. */
function frame(tag: number, payloadLen: number, seed: number): Frame {
  const b = new Uint8Array(5 + payloadLen);
  b[0] = 0x64;
  const len = 4 + payloadLen;
  b[1] = len >>> 24; b[2] = (len >>> 16) & 0xff; b[3] = (len >>> 8) & 0xff; b[4] = len & 0xff;
  b[5] = tag;
  for (let k = 6; k < b.length; k++) b[k] = (seed * 31 + k * 7) & 0xff;
  return { bytes: b };
}

const GETPAGE_V3 = (seed: number): Frame => frame(102, 8234, seed);
const GETPAGE_V2 = (seed: number): Frame => frame(102, 8193, seed);
const ERROR = (seed: number, n: number): Frame => frame(103, 26 + n, seed);

interface Seen { type: number; len: number; bytes: Uint8Array }

/** Feed `frames` cut at `cuts` (sorted stream offsets) through the arena's read region. */
function run(frames: Frame[], cuts: number[], headOnly: boolean, readSize: number): Seen[] {
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.bytes.length, 0));
  let o = 0;
  for (const f of frames) { stream.set(f.bytes, o); o += f.bytes.length; }
  const arena = new ReadArena(readSize, 2);
  const seen: Seen[] = [];
  const reader = new StreamFrameReader(arena, {
    onFrame(type, buf, off, len) {
      seen.push({ type, len, bytes: new Uint8Array(buf.subarray(off, off + len)) });
    },
  }, headOnly);
  // A second reader on the same arena: its pending region must never be touched.
  const other = new StreamFrameReader(arena, { onFrame() { throw new Error('other reader called'); } }, headOnly);
  void other;
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < stream.length), stream.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    // A read never exceeds the read region: split long pieces as the socket would.
    for (let a = bounds[i]!; a < bounds[i + 1]!; a += readSize) {
      const b = Math.min(bounds[i + 1]!, a + readSize);
      arena.read.set(stream.subarray(a, b), 0);
      // Poison the rest of the read region: stale bytes must never be handed out.
      arena.read.fill(0xee, b - a);
      reader.push(arena.read, 0, b - a);
    }
  }
  return seen;
}

function check(frames: Frame[], seen: Seen[], headOnly: boolean): void {
  assert.equal(seen.length, frames.length, 'one delivery per frame');
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!.bytes;
    const s = seen[i]!;
    assert.equal(s.type, 0x64, `frame ${i}: type`);
    assert.equal(s.len, f.length - 5, `frame ${i}: payload length`);
    const payload = f.subarray(5);
    const n = headOnly && payload[0] === 102 ? GETPAGE_HEAD_BYTES - 5 : payload.length;
    assert.deepEqual(s.bytes.subarray(0, n), payload.subarray(0, n), `frame ${i}: first ${n} payload bytes`);
  }
}

const frameArb = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(GETPAGE_V3),
  fc.integer({ min: 0, max: 255 }).map(GETPAGE_V2),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 300 })).map(([s, n]) => ERROR(s, n)),
  // Larger than a connection's pending region (16 KiB): the cold allocated path.
  fc.integer({ min: 0, max: 255 }).map((s) => frame(103, 20_000, s)),
);

for (const headOnly of [false, true]) {
  test(`random frames, random cuts (${headOnly ? 'head-only' : 'whole'}): every frame once, in order, its bytes`, () => {
    fc.assert(fc.property(
      fc.array(frameArb, { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 12 * 20_100 }), { maxLength: 40 }),
      fc.constantFrom(4096, 65536, 262144),
      (frames, cuts, readSize) => {
        check(frames, run(frames, [...cuts].sort((a, b) => a - b), headOnly, readSize), headOnly);
      },
    ), { numRuns: 150, seed: headOnly ? 7 : 8 });
  });

  test(`two GetPage frames and an Error cut at every offset (${headOnly ? 'head-only' : 'whole'})`, () => {
    const frames = [GETPAGE_V3(1), ERROR(2, 40), GETPAGE_V3(3)];
    const total = frames.reduce((n, f) => n + f.bytes.length, 0);
    for (let c = 1; c < total; c++) check(frames, run(frames, [c], headOnly, 262144), headOnly);
  });
}

test('head-only skips the page of a straddling GetPage response, and only that', () => {
  // Cut the first GetPage 100 bytes in: whole mode delivers its page from the
  // pending region; head-only delivers the head, and the page bytes past it are
  // not the frame's (here: whatever the pending region held, not the page).
  const frames = [GETPAGE_V3(9), ERROR(4, 10)];
  const whole = run(frames, [100, 8239 + 20], false, 262144);
  check(frames, whole, false);
  const head = run(frames, [100, 8239 + 20], true, 262144);
  check(frames, head, true);
  const page = frames[0]!.bytes.subarray(5 + 42);
  assert.notDeepEqual(head[0]!.bytes.subarray(42), page, 'head-only must not have copied the page');
  // The Error frame straddled too (cut 20 bytes in) and came out whole.
  assert.deepEqual(head[1]!.bytes, frames[1]!.bytes.subarray(5));
});
