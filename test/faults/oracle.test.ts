/**
 * The ground-truth oracle behind the fault study's `undetected` column
 * (PageStreamCore.stampMatches, levels in src/client/oracle.ts): a page the
 * verifier accepted counts as undetected when its identity stamp names another
 * page, or — at ORACLE_PAGE, the default — when its data checksum is broken
 * (the emulator's `corrupt` fault: one byte flipped after the checksum was
 * set). Driven through the real PageStreamCore with V3 response payloads
 * built here from protocol.md's layout; the checksum path is allocation-free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { PageStreamCore, MODE_V3, ON_MISMATCH_COUNT } from '../../src/client/stream-core.js';
import type { CoreOwner, StreamSpec } from '../../src/client/stream-core.js';
import { BlockChooser, makeKeySpace } from '../../src/client/keys.js';
import { C_ALL_RESPONSES, C_MISMATCHES, C_UNDETECTED, ShardStats } from '../../src/client/shard-stats.js';
import { ORACLE_OFF, ORACLE_PAGE, ORACLE_STAMP, oracleLevel } from '../../src/client/oracle.js';
import { MISMATCH_CHECKSUM, RowField } from '../../src/protocol/getpage.js';
import { buildPage, IDENTITY_STAMP_OFFSET } from '../../src/protocol/page.js';

const gc = (globalThis as { gc?: () => void }).gc;
const SPC = 1663, DB = 16384, REL = 16385;
/** V3 GetPage response payload: tag 102, reqid u64, request_lsn u64, not_modified_since u64, RelTag (13), blkno u32, page. */
const PAYLOAD = 1 + 24 + 13 + 4 + 8192;
const PAGE = 42;

function setup(oracle: number | boolean, verifyChecksum: boolean) {
  const stats = new ShardStats();
  const spec: StreamSpec = {
    mode: MODE_V3, pipeline: 8, verifyChecksum, oracle, onMismatch: ON_MISMATCH_COUNT,
    rels: { spcnode: Uint32Array.of(SPC), dbnode: Uint32Array.of(DB), relnode: Uint32Array.of(REL), forknum: Uint8Array.of(0) },
    lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x1000, rateRps: 0, reqidHi: 7,
  };
  const owner: CoreOwner = { flush: () => true, onMismatchAction() {}, onErrorResponse() {} };
  // One block: every request is for block 0 of the relation, so one page image answers all.
  const core = new PageStreamCore(spec, stats, new BlockChooser(makeKeySpace([1]), { kind: 'uniform', s: 0 }, 1, 1, 0, 1), owner);
  core.start(0, true);
  const res = Buffer.alloc(PAYLOAD);
  res[0] = 102;
  for (let k = 9; k < 17; k++) res[k] = 0xff; // request_lsn = Lsn::MAX
  res.writeUInt32BE(0, 17);
  res.writeUInt32BE(0x1000, 21); // not_modified_since
  res.writeUInt32BE(SPC, 25);
  res.writeUInt32BE(DB, 29);
  res.writeUInt32BE(REL, 33);
  res[37] = 0;
  res.writeUInt32BE(0, 38);
  buildPage(res, PAGE, { spcnode: SPC, dbnode: DB, relnode: REL, forknum: 0, blkno: 0, lsnHi: 0, lsnLo: 0x1000 });
  /** Answer the oldest request in flight with `res` (its reqid patched in, byte by byte: no allocation). */
  const answer = (): void => {
    const ring = core.ring;
    const i = ring.head & ring.mask;
    const hi = ring.req.get(i, RowField.reqidHi), lo = ring.req.get(i, RowField.reqidLo);
    res[1] = hi >>> 24; res[2] = (hi >>> 16) & 0xff; res[3] = (hi >>> 8) & 0xff; res[4] = hi & 0xff;
    res[5] = lo >>> 24; res[6] = (lo >>> 16) & 0xff; res[7] = (lo >>> 8) & 0xff; res[8] = lo & 0xff;
    core.onResponse(res, 0, PAYLOAD);
  };
  return { stats, res, answer };
}

test('oracle levels: --oracle checks the page checksum by default; cost runs may keep it to the stamp', () => {
  assert.equal(oracleLevel(false, undefined), ORACLE_OFF);
  assert.equal(oracleLevel(false, true), ORACLE_OFF);
  assert.equal(oracleLevel(true, undefined), ORACLE_PAGE);
  assert.equal(oracleLevel(true, false), ORACLE_STAMP);
});

test('a corrupted page (one byte flipped after the checksum) that V3 accepts is counted as undetected', () => {
  const { stats, res, answer } = setup(ORACLE_PAGE, false);
  for (let k = 0; k < 100; k++) answer();
  assert.equal(stats.c[C_UNDETECTED], 0, 'right pages are not undetected');
  res[PAGE + 5000] ^= 0x10; // tuple data, outside the identity stamp
  for (let k = 0; k < 3; k++) answer();
  res[PAGE + 5000] ^= 0x10;
  answer();
  assert.equal(stats.c[C_MISMATCHES], 0, 'V3 echo verification cannot see a corrupted page');
  assert.equal(stats.c[C_UNDETECTED], 3);
  assert.equal(stats.c[C_ALL_RESPONSES], 104);
});

test('a wrong page (identity stamp of another block) is undetected at every oracle level', () => {
  for (const level of [ORACLE_STAMP, ORACLE_PAGE, true]) {
    const { stats, res, answer } = setup(level, false);
    res[PAGE + IDENTITY_STAMP_OFFSET + 16] ^= 1; // stamp blkno 0 -> 1
    answer();
    assert.equal(stats.c[C_UNDETECTED], 1, `level ${String(level)}`);
  }
});

test('stamp-only oracle does not see corruption; off counts nothing', () => {
  for (const level of [ORACLE_STAMP, true, ORACLE_OFF]) {
    const { stats, res, answer } = setup(level, false);
    res[PAGE + 5000] ^= 0x10;
    answer();
    assert.equal(stats.c[C_UNDETECTED], 0, `level ${String(level)}`);
  }
});

test('with --verify-checksum the verifier rejects the corrupted page: a mismatch, not undetected', () => {
  const { stats, res, answer } = setup(ORACLE_PAGE, true);
  res[PAGE + 5000] ^= 0x10;
  answer();
  assert.equal(stats.c[C_MISMATCHES], 1);
  assert.equal(stats.byCode[MISMATCH_CHECKSUM], 1);
  assert.equal(stats.c[C_UNDETECTED], 0);
});

test('the oracle\'s checksum check allocates nothing (zero GC events over 200k responses)', { skip: !gc && 'needs --expose-gc' }, async () => {
  const { stats, answer } = setup(ORACLE_PAGE, false);
  for (let k = 0; k < 20_000; k++) answer(); // warm-up: JIT tiers
  gc!();
  let events = 0;
  const obs = new PerformanceObserver((list) => { events += list.getEntries().length; });
  obs.observe({ entryTypes: ['gc'] });
  for (let k = 0; k < 200_000; k++) answer();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  assert.equal(events, 0, 'GC events during 200k oracle checks');
  assert.equal(stats.c[C_UNDETECTED], 0);
  assert.equal(stats.c[C_MISMATCHES], 0);
});
