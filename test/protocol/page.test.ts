/**
 * buildPage / buildPageFromWords: the page layout protocol.md §4 describes,
 * written by hand here (header offsets, little-endian), the identity stamp,
 * determinism, and that both entry points build the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildPage, buildPageFromWords, PageIdWord, PAGE_ID_WORDS, verifyPageChecksum, pageChecksum, isZeroPage, pageLsn, pageTemplate,
  IDENTITY_STAMP_OFFSET, type PageIdentity,
} from '../../src/protocol/page.js';

const id: PageIdentity = { spcnode: 1663, dbnode: 5, relnode: 16384, forknum: 0, blkno: 7, lsnHi: 0x1, lsnLo: 0x0169AD58 };

test('buildPage header: pd_lsn, pd_lower/upper/special, layout version 4, checksum, all little-endian', () => {
  const p = Buffer.alloc(8192 + 3);
  buildPage(p, 3, id);
  const h = p.subarray(3, 3 + 24);
  assert.deepEqual(h.subarray(0, 8), Buffer.from('01000000' + '58ad6901', 'hex'), 'pd_lsn xlogid, xrecoff (LE)');
  assert.equal(h.readUInt16LE(8), pageChecksum(p, 3, 7), 'pd_checksum');
  assert.equal(h.readUInt16LE(10), 0, 'pd_flags');
  assert.equal(h.readUInt16LE(12), 24 + 4 * 32, 'pd_lower: header + 32 line pointers');
  assert.equal(h.readUInt16LE(14), 8192 - 32 * 232, 'pd_upper');
  assert.equal(h.readUInt16LE(16), 8192, 'pd_special');
  assert.equal(h.readUInt16LE(18), 8196, 'pd_pagesize_version = 8192 | 4');
  assert.equal(h.readUInt32LE(20), 0, 'pd_prune_xid');
  assert.deepEqual(pageLsn(p, 3), [1, 0x0169AD58]);
  // First line pointer: lp_off = 8192 - 232, lp_flags = 1 (normal), lp_len = 232.
  assert.equal(p.readUInt32LE(3 + 24), (8192 - 232) | (1 << 15) | (232 << 17));
  assert.equal(verifyPageChecksum(p, 3, 7), true);
  assert.equal(verifyPageChecksum(p, 3, 8), false);
  assert.equal(isZeroPage(p, 3), false);
});

test('identity stamp: spc, db, rel u32 BE, fork u8, blkno u32 BE, lsnHi, lsnLo u32 BE', () => {
  const p = Buffer.alloc(8192);
  buildPage(p, 0, { spcnode: 0x01020304, dbnode: 0x05060708, relnode: 0xF0F1F2F3, forknum: 3, blkno: 0xA0B0C0D0, lsnHi: 0xFFFFFFFF, lsnLo: 0x80000001 });
  assert.deepEqual(p.subarray(IDENTITY_STAMP_OFFSET, IDENTITY_STAMP_OFFSET + 25),
    Buffer.from('01020304' + '05060708' + 'f0f1f2f3' + '03' + 'a0b0c0d0' + 'ffffffff' + '80000001', 'hex'));
});

test('deterministic, distinct per identity, and buildPageFromWords builds the same bytes', () => {
  const u32 = fc.integer({ min: 0, max: 0xFFFF_FFFF });
  fc.assert(fc.property(u32, u32, u32, fc.integer({ min: 0, max: 3 }), u32, u32, u32, fc.nat({ max: 7 }), (spc, db, rel, fork, blk, hi, lo, at) => {
    const ident = { spcnode: spc, dbnode: db, relnode: rel, forknum: fork, blkno: blk, lsnHi: hi, lsnLo: lo };
    const a = Buffer.alloc(8192);
    const b = Buffer.alloc(8192 + 5);
    buildPage(a, 0, ident);
    const w = new Uint32Array(PAGE_ID_WORDS * 8);
    const o = at * PAGE_ID_WORDS;
    w[o + PageIdWord.spcnode] = spc; w[o + PageIdWord.dbnode] = db; w[o + PageIdWord.relnode] = rel; w[o + PageIdWord.forknum] = fork;
    w[o + PageIdWord.blkno] = blk; w[o + PageIdWord.lsnHi] = hi; w[o + PageIdWord.lsnLo] = lo;
    buildPageFromWords(b, 5, w, o);
    assert.deepEqual(b.subarray(5), a);
    assert.equal(verifyPageChecksum(a, 0, blk), true);
    const c = Buffer.alloc(8192);
    buildPage(c, 0, { ...ident, lsnLo: (lo + 8) >>> 0 });
    assert.notDeepEqual(c, a, 'another LSN gives another page');
  }), { numRuns: 100 });
});

test('built pages differ only in pd_lsn, pd_checksum and the identity stamp (the emulator keeps just those per page)', () => {
  const u32 = fc.integer({ min: 0, max: 0xFFFF_FFFF });
  const ident = fc.record({ spcnode: u32, dbnode: u32, relnode: u32, forknum: fc.integer({ min: 0, max: 3 }), blkno: u32, lsnHi: u32, lsnLo: u32 });
  const template = pageTemplate();
  fc.assert(fc.property(ident, ident, (x, y) => {
    const a = Buffer.alloc(8192);
    const b = Buffer.alloc(8192);
    buildPage(a, 0, x);
    buildPage(b, 0, y);
    // pd_lsn: bytes 0..8, pd_checksum: 8..10 (protocol.md §4); the stamp: 25 bytes at IDENTITY_STAMP_OFFSET.
    const stamp = IDENTITY_STAMP_OFFSET;
    assert.ok(a.subarray(10, stamp).equals(b.subarray(10, stamp)));
    assert.ok(a.subarray(stamp + 25).equals(b.subarray(stamp + 25)));
    assert.ok(a.subarray(10, stamp).equals(template.subarray(10, stamp)), 'the template holds the shared bytes');
    assert.ok(a.subarray(stamp + 25).equals(template.subarray(stamp + 25)));
    assert.ok(template.subarray(0, 10).equals(Buffer.alloc(10)) && template.subarray(stamp, stamp + 25).equals(Buffer.alloc(25)));
  }), { numRuns: 50 });
});
