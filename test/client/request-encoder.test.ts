import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGetPageV2, encodeGetPageV3, GetPageRequestTable, setGetPageRow } from '../../src/protocol/getpage.js';

const t = new GetPageRequestTable(2);
setGetPageRow(t, 1, 0x0000_004d_8000_0001n, 0xffff_ffff_ffff_ffffn, 0x0000_0000_08f3_c1a8n, { spcnode: 1663, dbnode: 16384, relnode: 0x8000_4001, forknum: 2 }, 0xfedc_ba98);

test('V3 GetPage request frame, byte for byte from protocol.md §2', () => {
  const b = Buffer.alloc(60, 0xee);
  assert.equal(encodeGetPageV3(b, 3, t, 1), 50);
  // Hand-written: 'd', len 46, tag 2, reqid, request_lsn, nms, spc 1663, db 16384, rel, fork 2, blkno.
  const want = Buffer.from(
    '64' + '0000002e' + '02' + '0000004d80000001' + 'ffffffffffffffff' + '0000000008f3c1a8' +
    '0000067f' + '00004000' + '80004001' + '02' + 'fedcba98', 'hex');
  assert.deepEqual(b.subarray(3, 50), want);
  assert.equal(b[2], 0xee);
  assert.equal(b[50], 0xee);
});

test('V2 GetPage request frame, byte for byte from protocol.md §2', () => {
  const b = Buffer.alloc(39);
  assert.equal(encodeGetPageV2(b, 0, t, 1), 39);
  const want = Buffer.from(
    '64' + '00000026' + '02' + 'ffffffffffffffff' + '0000000008f3c1a8' +
    '0000067f' + '00004000' + '80004001' + '02' + 'fedcba98', 'hex');
  assert.deepEqual(b, want);
});

test('template frames: prefilled slots + changing fields = the whole frame, in every slot, V3 and V2', async () => {
  const { prefillFrames, writeGetPageV3Fields, writeGetPageV2Fields } = await import('../../src/client/request-encoder.js');
  // Row 0 holds only the connection constants (as InFlightRing.fillConstants leaves it); row 1 a full request.
  const tt = new GetPageRequestTable(2);
  setGetPageRow(tt, 1, 0x0000_004d_8000_0001n, 0xffff_ffff_ffff_ffffn, 0x0000_0000_08f3_c1a8n, { spcnode: 1663, dbnode: 16384, relnode: 0x8000_4001, forknum: 2 }, 0xfedc_ba98);
  setGetPageRow(tt, 0, 0x0000_004d_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x0000_0000_08f3_c1a8n, { spcnode: 0, dbnode: 0, relnode: 0, forknum: 0 }, 0);
  const v3 = Buffer.from(
    '64' + '0000002e' + '02' + '0000004d80000001' + 'ffffffffffffffff' + '0000000008f3c1a8' +
    '0000067f' + '00004000' + '80004001' + '02' + 'fedcba98', 'hex');
  const v2 = Buffer.from(
    '64' + '00000026' + '02' + 'ffffffffffffffff' + '0000000008f3c1a8' +
    '0000067f' + '00004000' + '80004001' + '02' + 'fedcba98', 'hex');
  for (const [version, want, write] of [[3, v3, writeGetPageV3Fields], [2, v2, writeGetPageV2Fields]] as const) {
    const size = want.length;
    // A Buffer at a non-zero offset of its ArrayBuffer: the DataView must use the same offsets.
    const backing = new ArrayBuffer(16 + size * 5 + 3);
    const buf = Buffer.from(backing, 16, size * 5 + 3);
    buf.fill(0xee);
    prefillFrames(buf, version, tt, 0);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let k = 0; k < 5; k++) {
      assert.equal(write(dv, buf, k * size, tt, 1), (k + 1) * size);
      assert.deepEqual(buf.subarray(k * size, (k + 1) * size), want, `V${version} slot ${k}`);
    }
    assert.deepEqual([...buf.subarray(size * 5)], [0xee, 0xee, 0xee], `V${version}: no partial slot written`);
    assert.deepEqual([...new Uint8Array(backing, 0, 16)], new Array(16).fill(0), `V${version}: nothing before the Buffer`);
  }
});
