/**
 * The GetPage hot path does not allocate: millions of calls, zero GC events.
 * A sanity sub-test first shows the counter does see GC from allocating code,
 * so a zero here is a measurement, not a broken observer.
 * Run with --expose-gc (npm test does) so setup garbage is collected first.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GcWindow } from './helpers/gc-window.js';
import { buildFixtures, SLOTS, BLCKSZ, V3_PAYLOAD, V2_PAYLOAD } from '../../bench/helpers/micro-fixtures.js';
import {
  encodeGetPageV3, encodeGetPageV2, verifyGetPageV3, verifyGetPageV2, checkGetPageV3Frame, verifyGetPageChecksum,
  VERIFY_OK, MISMATCH_REQID, RESPONSE_ERROR,
} from '../../src/protocol/getpage.js';
import { verifyPageChecksum } from '../../src/protocol/page.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { encodeResponse } from '../../src/protocol/pagestream.js';

const gcw = new GcWindow();
after(() => gcw.close());
const fx = buildFixtures(64);
// Results go to a typed array: a plain number variable past 2^30 would itself allocate.
const acc = new Float64Array(8);

test('sanity: the GC counter sees collections caused by allocating code', async () => {
  const keep: unknown[] = new Array(1024);
  const n = await gcw.count(() => {
    for (let k = 0; k < 3_000_000; k++) keep[k & 1023] = { k, s: `x${k}` };
  });
  assert.ok(n > 0, `expected GC events from 3M allocations, saw ${n}`);
});

test('10 million V3 verifications (OK, mismatch and Error responses): zero GC', async () => {
  const { v3, table } = fx;
  // One Error response echoing row 0, and row 0's GetPage response checked against row 1 (reqid mismatch).
  const err = encodeResponse(3, { kind: 'error', hdr: { reqid: (4242n << 32n) | 1n, requestLsn: 0xFFFF_FFFF_FFFF_FFFFn, notModifiedSince: 0x1_0169_AD58n }, message: 'boom' });
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = k & (SLOTS - 1);
      acc[0] += verifyGetPageV3(v3, i * V3_PAYLOAD, V3_PAYLOAD, table, i); // OK: 0
      if ((k & 15) === 0) {
        acc[1] += verifyGetPageV3(v3, 0, V3_PAYLOAD, table, 1); // MISMATCH_REQID
        acc[2] += verifyGetPageV3(err, 0, err.length, table, 0); // RESPONSE_ERROR
      }
    }
  };
  run(200_000); // warm up: let TurboFan compile before we count
  acc.fill(0);
  const n = 10_000_000;
  const gcs = await gcw.count(() => run(n));
  assert.equal(acc[0], VERIFY_OK * n, 'every matching response verified OK');
  assert.equal(acc[1], MISMATCH_REQID * (n / 16));
  assert.equal(acc[2], RESPONSE_ERROR * (n / 16));
  assert.equal(gcs, 0, `${gcs} GC events during 10M V3 verifications`);
});

test('V2 verify and the V3 noverify frame check, 10 million each: zero GC', async () => {
  const { v2, v3 } = fx;
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = k & (SLOTS - 1);
      acc[0] += verifyGetPageV2(v2, i * V2_PAYLOAD, V2_PAYLOAD) + checkGetPageV3Frame(v3, i * V3_PAYLOAD, V3_PAYLOAD) + 1;
    }
  };
  run(200_000);
  acc.fill(0);
  const gcs = await gcw.count(() => run(10_000_000));
  assert.equal(acc[0], 10_000_000);
  assert.equal(gcs, 0);
});

test('1 million checksum verifications of 8 KiB pages: zero GC', async () => {
  const { pages, v3, table } = fx;
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const b = k & (SLOTS - 1);
      if (verifyPageChecksum(pages, b * BLCKSZ, b)) acc[0]++;
      // Unaligned, inside response payloads, through the GetPage helper.
      if ((k & 7) === 0 && verifyGetPageChecksum(3, v3, b * V3_PAYLOAD, table, b) === VERIFY_OK) acc[1]++;
    }
  };
  run(20_000);
  acc.fill(0);
  const n = 1_000_000;
  const gcs = await gcw.count(() => run(n));
  assert.equal(acc[0], n, 'every page verified');
  assert.equal(acc[1], n / 8);
  assert.equal(gcs, 0, `${gcs} GC events during 1M checksum verifications`);
});

test('1 million V3 and 1 million V2 request encodes: zero GC', async () => {
  const { out, table } = fx;
  const run = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = k & (SLOTS - 1);
      acc[0] += encodeGetPageV3(out, i * 47, table, i) - i * 47;
      acc[1] += encodeGetPageV2(out, i * 47, table, i) - i * 47;
    }
  };
  run(200_000);
  acc.fill(0);
  const n = 1_000_000;
  const gcs = await gcw.count(() => run(n));
  assert.equal(acc[0], 47 * n);
  assert.equal(acc[1], 39 * n);
  assert.equal(gcs, 0);
});

test('FrameReader over pre-filled 256 KiB reads (with straddling frames), verifying each response: zero GC', async () => {
  const { reads, table } = fx;
  let slot = 0;
  const reader = new FrameReader({
    onFrame(type, buf, off, len) {
      acc[0]++;
      if (type === 0x64 && verifyGetPageV3(buf, off, len, table, slot) === VERIFY_OK) acc[1]++;
      slot = (slot + 1) & (SLOTS - 1);
    },
  });
  const run = (rounds: number): void => {
    for (let r = 0; r < rounds; r++) for (let c = 0; c < reads.length; c++) reader.push(reads[c]!, 0, reads[c]!.length);
  };
  run(200);
  acc.fill(0);
  const rounds = Math.ceil(1_000_000 / fx.streamFrames);
  const gcs = await gcw.count(() => run(rounds));
  assert.equal(acc[0], rounds * fx.streamFrames, 'every frame delivered');
  assert.equal(acc[1], acc[0], 'every frame verified against its request');
  assert.ok(reads.length >= 2 && reads[0]!.length === 256 * 1024, 'frames straddle reads');
  assert.equal(reader.buffered, 0);
  assert.equal(gcs, 0, `${gcs} GC events while reading ${acc[0]} frames`);
});
