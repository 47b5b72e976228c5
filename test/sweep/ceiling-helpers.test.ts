/**
 * bench:ceiling's helpers (bench/ceiling/*), tested here because bench/ has no
 * test directory of its own: the raw arm's constant frames against hand-written
 * bytes from protocol.md, and the per-round ratio arithmetic every reported
 * ratio goes through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPageRequestFrameV3, getPageResponseFrameV3, repeatedFrames } from '../../bench/ceiling/frames.js';
import { roundRatio, spread } from '../../bench/ceiling/stats.js';
import { roundFigures } from '../../bench/ceiling/child-arm.js';

test('raw arm frames: a 47-byte V3 GetPage request and its 8239-byte response, byte-exact', () => {
  const req = getPageRequestFrameV3();
  // protocol.md §2: 'd', int32 len = 4 + 42, tag 2, reqid u64, request_lsn u64
  // (Lsn::MAX), not_modified_since u64, RelTag (spc, db, rel u32, fork u8), blkno u32.
  const want = Buffer.from(
    [
      '64', '0000002e', '02',
      '0000000000000001', 'ffffffffffffffff', '000000000169ad58',
      '0000067f', '00004000', '00004010', '00', '00000007',
    ].join(''),
    'hex',
  );
  assert.equal(req.length, 47);
  assert.deepEqual(req, want);
  const resp = getPageResponseFrameV3();
  assert.equal(resp.length, 8239);
  // §3: 'd', int32 len = 4 + 8234, tag 102, the echo (reqid, request_lsn, nms), RelTag, blkno, page.
  assert.deepEqual(
    resp.subarray(0, 47),
    Buffer.from(['64', '0000202e', '66', '0000000000000001', 'ffffffffffffffff', '000000000169ad58', '0000067f', '00004000', '00004010', '00', '00000007'].join(''), 'hex'),
  );
  // The page: pd_pagesize_version (LE u16 at 18) = 8192 | 4.
  assert.equal(resp.readUInt16LE(47 + 18), 8196);
});

test('repeatedFrames: views[n] is n back-to-back copies', () => {
  const f = Buffer.from([1, 2, 3]);
  const v = repeatedFrames(f, 4);
  assert.equal(v.length, 5);
  assert.equal(v[0]!.length, 0);
  assert.deepEqual(v[3], Buffer.from([1, 2, 3, 1, 2, 3, 1, 2, 3]));
  assert.equal(v[4]!.buffer, v[1]!.buffer, 'views of one buffer, made once');
});

test('median and spread', () => {
  assert.equal(spread([3, 1, 2]).median, 2);
  assert.equal(spread([4, 1, 3, 2]).median, 2.5);
  assert.ok(Number.isNaN(spread([]).median));
  assert.deepEqual(spread([2, NaN, 1, 3]), { median: 2, min: 1, max: 3, perRound: [2, NaN, 1, 3] });
});

test('roundRatio pairs rounds by number and skips rounds one arm lacks', () => {
  const c = [
    { round: 1, v: 2 },
    { round: 2, v: 3 },
    { round: 3, v: 4 },
  ];
  const a = [
    { round: 1, v: 1 },
    { round: 3, v: 2 },
  ];
  assert.deepEqual(roundRatio(c, a, 'v'), { median: 2, min: 2, max: 2, perRound: [2, 2] });
  assert.equal(roundRatio(c, [], 'v'), undefined);
  assert.equal(roundRatio(undefined, a, 'v'), undefined);
});

test('roundFigures: window deltas -> responses/s, CPU and syscalls per response', () => {
  const m = (responses: number, userUs: number, systemUs: number, ms: number, syscr: number, syscw: number) => ({ responses, userUs, systemUs, ms, syscr, syscw });
  const r = roundFigures(
    1,
    m(100, 1_000, 2_000, 10_000, 10, 10),
    m(200_100, 101_000, 202_000, 12_000, 12_510, 12_510),
    { cpuUs: 5_000, responses: 50, syscr: 1, syscw: 1 },
    { cpuUs: 245_000, responses: 200_050, syscr: 6_251, syscw: 6_251 },
  );
  assert.equal(r.responses, 200_000);
  assert.equal(r.durationS, 2);
  assert.equal(r.throughputRps, 100_000);
  assert.equal(r.clientCpuPerResponseUs, 1.5);
  assert.equal(r.clientUserPerResponseUs, 0.5);
  assert.equal(r.clientSystemPerResponseUs, 1);
  assert.equal(r.clientReadsPerResponse, 0.0625);
  assert.equal(r.serverCpuPerResponseUs, 1.2);
  assert.equal(r.serverWritesPerResponse, 0.03125);
});
