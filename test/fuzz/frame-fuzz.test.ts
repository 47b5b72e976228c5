/**
 * Fuzzing in the suite: >= 100k fast-check cases over the client's receive path
 * (FrameReader -> decodeResponse / verifyGetPageV3 / V2 / checksum) and a
 * server's request parse path (untyped startup -> typed messages ->
 * decodeRequest), each under arbitrary chunking. The long run is
 * `npm run fuzz` (test/fuzz/fuzz-long.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clientPathProperty, serverPathProperty, outcomeOf, clientStreamArb, serverStreamArb, garbageArb, FUZZ_MAX_FRAME } from './helpers/properties.js';
import { message } from '../protocol/helpers/bytes.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { ProtocolError } from '../../src/protocol/errors.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

test('client receive path: 50k structured server streams under arbitrary chunking', () => {
  fc.assert(fc.property(serverStreamArb, (c) => { clientPathProperty(c); }), { numRuns: 50_000, seed: SEED });
});

test('server request path: 40k structured client streams under arbitrary chunking', () => {
  fc.assert(fc.property(clientStreamArb, (c) => { serverPathProperty(c); }), { numRuns: 40_000, seed: SEED + 1 });
});

test('both paths: 12k pure-garbage streams up to 4 KiB', () => {
  fc.assert(fc.property(garbageArb, (c) => { clientPathProperty(c); serverPathProperty(c); }), { numRuns: 12_000, seed: SEED + 2 });
});

// The properties above would pass vacuously if every stream died at its first
// byte; these pin down that the harness really reaches deep into the parsers.
test('harness sanity: a well-formed stream is delivered frame by frame under byte-by-byte chunking', () => {
  const frames: number[] = [];
  const r = new FrameReader({ onFrame: (t, _b, _o, len) => { frames.push(t, len); } }, { maxFrameLength: FUZZ_MAX_FRAME, initialPending: 16 });
  const s = Buffer.concat([message(0x64, Buffer.alloc(8234)), message(0x5a, Buffer.from('I')), message(0x64, Buffer.alloc(3))]);
  for (let i = 0; i < s.length; i++) r.push(s, i, i + 1);
  assert.deepEqual(frames, [0x64, 8234, 0x5a, 1, 0x64, 3]);
  assert.equal(r.buffered, 0);
});

test('a claimed 2^31-1 byte frame is refused before anything is buffered', () => {
  const r = new FrameReader({ onFrame: () => assert.fail('no frame') }, { maxFrameLength: FUZZ_MAX_FRAME });
  const hdr = Buffer.from([0x64, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
  assert.throws(() => r.push(hdr, 0, hdr.length), (e: unknown) => e instanceof ProtocolError && e.code === 'ERR_BAD_LENGTH');
  // Split header: the error comes as soon as the 5 header bytes are in, not later.
  const r2 = new FrameReader({ onFrame: () => assert.fail('no frame') }, { maxFrameLength: FUZZ_MAX_FRAME });
  r2.push(hdr, 0, 3);
  assert.equal(r2.buffered, 3);
  assert.throws(() => r2.push(hdr, 3, 5), (e: unknown) => e instanceof ProtocolError && e.code === 'ERR_BAD_LENGTH');
});

test('harness reach: the generated streams exercise accepted pages, mismatches, decode errors and frame errors', () => {
  const seen = new Set<string>();
  for (const c of fc.sample(serverStreamArb, { numRuns: 3000, seed: SEED + 3 })) {
    const o = outcomeOf(c);
    seen.add(o.end.startsWith('eof') ? 'eof' : o.end);
    for (const f of o.frames) seen.add(f.split(':').slice(3).join(':'));
  }
  // 0/getpage: verified page with a good checksum; 3/getpage: reqid mismatch
  // (V3); 100/getpage: checksum caught a flipped page byte; 12/error: a
  // page-stream Error with a matching echo; decode errors; header errors.
  for (const want of ['0/getpage', '100/getpage', '12/error', 'ERR_BAD_LENGTH', 'ERR_UNKNOWN_TAG', 'ERR_TRUNCATED', 'ERR_MISSING_NUL', 'eof']) {
    assert.ok([...seen].some((s) => s === want || s.endsWith('/' + want)), `never reached ${want}; saw ${[...seen].join(' ')}`);
  }
  assert.ok([...seen].some((s) => /^[3-9]\/getpage$|^10\/getpage$/.test(s)), 'never reached a V3 echo mismatch');
});
