/**
 * GetPageRequestTable's row layout: one 16-word row per slot, fields in wire
 * order, 32-bit patterns stored and read back unsigned; rows never overlap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetPageRequestTable, RowField, ROW_WORDS, setGetPageRow } from '../../src/protocol/getpage.js';

test('capacity rounds up to a power of two; one 16-word row per slot', () => {
  for (const [min, cap] of [[1, 1], [3, 4], [32, 32], [33, 64], [1000, 1024]] as const) {
    const t = new GetPageRequestTable(min);
    assert.equal(t.capacity, cap);
    assert.equal(t.mask, cap - 1);
    assert.equal(t.rows.length, cap * 16);
  }
  assert.equal(ROW_WORDS, 16);
});

test('fields sit in wire order at fixed words of the row', () => {
  // The hot paths index rows with literal offsets; pin them here.
  assert.deepEqual(RowField, {
    reqidHi: 0, reqidLo: 1, lsnHi: 2, lsnLo: 3, nmsHi: 4, nmsLo: 5,
    spcnode: 6, dbnode: 7, relnode: 8, forknum: 9, blkno: 10,
  });
  const t = new GetPageRequestTable(4);
  setGetPageRow(t, 2, 0x0102030405060708n, 0xFFFF_FFFF_FFFF_FFFFn, 0x8000_0000_0000_0001n,
    { spcnode: 1663, dbnode: 0xFFFF_FFFE, relnode: 16384, forknum: 2 }, 0x8000_0000);
  const row = Array.from(t.rows.subarray(2 * 16, 3 * 16), (w) => w >>> 0);
  assert.deepEqual(row, [
    0x01020304, 0x05060708, 0xFFFFFFFF, 0xFFFFFFFF, 0x80000000, 0x00000001,
    1663, 0xFFFFFFFE, 16384, 2, 0x80000000, 0, 0, 0, 0, 0,
  ]);
  // Cold-path accessors read unsigned values back.
  assert.equal(t.get(2, RowField.dbnode), 0xFFFF_FFFE);
  assert.equal(t.get(2, RowField.blkno), 0x8000_0000);
  assert.equal(t.get(2, RowField.lsnLo), 0xFFFF_FFFF);
});

test('rows do not overlap: writing one slot leaves its neighbours as they were', () => {
  const t = new GetPageRequestTable(8);
  for (let i = 0; i < 8; i++) setGetPageRow(t, i, BigInt(i + 1), 0x10n * BigInt(i + 1), 0x8n, { spcnode: 1, dbnode: 2, relnode: 3 + i, forknum: 0 }, i);
  const before = Array.from(t.rows);
  t.set(4, RowField.blkno, 0xFFFF_FFFF);
  t.set(4, RowField.reqidHi, 7);
  for (let w = 0; w < before.length; w++) {
    if (w === 4 * 16 + 10 || w === 4 * 16 + 0) continue;
    assert.equal(t.rows[w], before[w], `word ${w} changed`);
  }
  assert.equal(t.get(4, RowField.blkno), 0xFFFF_FFFF);
  assert.equal(t.get(4, RowField.reqidHi), 7);
});
