/**
 * Golden byte vectors for every page-stream request and response, V2 and V3
 * (protocol.md §2–§3), written by hand; both encode and decode are checked
 * against them. Then the GetPage hot path: the 47/39-byte request frames and
 * verifyGetPageV3/V2 on every field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeRequest, decodeRequest, encodeResponse, decodeResponse, pagestreamCommand,
  type PagestreamRequest, type PagestreamResponse, type PagestreamVersion, type RequestHeader,
} from '../../src/protocol/pagestream.js';
import {
  GetPageRequestTable, setGetPageRow, encodeGetPageV3, encodeGetPageV2, verifyGetPageV3, verifyGetPageV2,
  checkGetPageV3Frame, verifyGetPageChecksum, GETPAGE_REQUEST_FRAME, GETPAGE_RESPONSE_FRAME, PAGE_OFFSET,
  VERIFY_OK, MISMATCH_TAG, MISMATCH_LENGTH, MISMATCH_REQID, MISMATCH_REQUEST_LSN, MISMATCH_NOT_MODIFIED_SINCE,
  MISMATCH_SPCNODE, MISMATCH_DBNODE, MISMATCH_RELNODE, MISMATCH_FORKNUM, MISMATCH_BLKNO, MISMATCH_CHECKSUM,
  RESPONSE_ERROR, VERIFY_CODE_NAMES, VERIFY_CODES, isMismatch, RowField,
} from '../../src/protocol/getpage.js';
import { buildPage } from '../../src/protocol/page.js';
import { ascii, bytes, embed } from './helpers/bytes.js';

// The request every vector answers. Distinct bytes in every field so that a
// swapped or shifted field cannot go unnoticed.
const hdr: RequestHeader = { reqid: 0x0102030405060708n, requestLsn: 0x1122334455667788n, notModifiedSince: 0x000000000169AD58n };
const rel = { spcnode: 1663, dbnode: 5, relnode: 16384, forknum: 2 };
const blkno = 0x00010203;
const HDR3 = '01 02 03 04 05 06 07 08  11 22 33 44 55 66 77 88  00 00 00 00 01 69 ad 58';
const HDR2 = '11 22 33 44 55 66 77 88  00 00 00 00 01 69 ad 58';
const REL = '00 00 06 7f  00 00 00 05  00 00 40 00  02';
const BLK = '00 01 02 03';
const v2hdr: RequestHeader = { ...hdr, reqid: 0n };

const page = Buffer.alloc(8192);
for (let i = 0; i < page.length; i++) page[i] = (i * 7 + 3) & 0xff;
const slruData = Buffer.alloc(2 * 8192);
for (let i = 0; i < slruData.length; i++) slruData[i] = (i * 13 + 1) & 0xff;

function requestCase(kind: PagestreamRequest['kind'], v: PagestreamVersion): PagestreamRequest {
  const h = v === 3 ? hdr : v2hdr;
  switch (kind) {
    case 'exists': return { kind, hdr: h, rel };
    case 'nblocks': return { kind, hdr: h, rel };
    case 'getpage': return { kind, hdr: h, rel, blkno };
    case 'dbsize': return { kind, hdr: h, dbnode: 12345 };
    case 'slru': return { kind, hdr: h, slruKind: 1, segno: 0xabcd };
  }
}

const requestVectors: Array<[PagestreamRequest['kind'], PagestreamVersion, Buffer]> = [
  ['exists', 2, bytes('00', HDR2, REL)],
  ['exists', 3, bytes('00', HDR3, REL)],
  ['nblocks', 2, bytes('01', HDR2, REL)],
  ['nblocks', 3, bytes('01', HDR3, REL)],
  ['getpage', 2, bytes('02', HDR2, REL, BLK)],
  ['getpage', 3, bytes('02', HDR3, REL, BLK)],
  ['dbsize', 2, bytes('03', HDR2, '00 00 30 39')],
  ['dbsize', 3, bytes('03', HDR3, '00 00 30 39')],
  ['slru', 2, bytes('04', HDR2, '01 00 00 ab cd')],
  ['slru', 3, bytes('04', HDR3, '01 00 00 ab cd')],
];
const requestSizes: Record<string, number> = { 'exists2': 30, 'exists3': 38, 'nblocks2': 30, 'nblocks3': 38, 'getpage2': 34, 'getpage3': 42, 'dbsize2': 21, 'dbsize3': 29, 'slru2': 22, 'slru3': 30 };

for (const [kind, v, golden] of requestVectors) {
  test(`request ${kind} V${v}: ${golden.length} bytes, encode and decode`, () => {
    assert.equal(golden.length, requestSizes[`${kind}${v}`]);
    const r = requestCase(kind, v);
    assert.deepEqual(encodeRequest(v, r), golden);
    const { buf, off } = embed(golden);
    assert.deepEqual(decodeRequest(v, buf, off, golden.length), r);
  });
}

const responseVectors: Array<[string, PagestreamVersion, Buffer, PagestreamResponse]> = [
  ['exists', 2, bytes('64 01'), { kind: 'exists', exists: true }],
  ['exists', 3, bytes('64', HDR3, REL, '00'), { kind: 'exists', hdr, rel, exists: false }],
  ['nblocks', 2, bytes('65 00 00 10 00'), { kind: 'nblocks', nblocks: 4096 }],
  ['nblocks', 3, bytes('65', HDR3, REL, 'ff ff ff fe'), { kind: 'nblocks', hdr, rel, nblocks: 0xfffffffe }],
  ['getpage', 2, bytes('66', page), { kind: 'getpage', page }],
  ['getpage', 3, bytes('66', HDR3, REL, BLK, page), { kind: 'getpage', hdr, rel, blkno, page }],
  ['error', 2, bytes('67', ascii('Not found: x\0')), { kind: 'error', message: 'Not found: x' }],
  ['error', 3, bytes('67', HDR3, ascii('Not found: x\0')), { kind: 'error', hdr, message: 'Not found: x' }],
  ['error (empty message)', 3, bytes('67', HDR3, '00'), { kind: 'error', hdr, message: '' }],
  ['dbsize', 2, bytes('68', '00 00 00 01 00 00 00 00'), { kind: 'dbsize', dbSize: 0x100000000n }],
  ['dbsize', 3, bytes('68', HDR3, '00 00 30 39', 'ff ff ff ff ff ff ff ff'), { kind: 'dbsize', hdr, dbnode: 12345, dbSize: -1n }],
  ['slru', 2, bytes('69', '00 00 00 02', slruData), { kind: 'slru', nBlocks: 2, data: slruData }],
  ['slru', 3, bytes('69', HDR3, '01 00 00 ab cd', '00 00 00 02', slruData), { kind: 'slru', hdr, slruKind: 1, segno: 0xabcd, nBlocks: 2, data: slruData }],
  ['slru (empty)', 3, bytes('69', HDR3, '01 00 00 ab cd', '00 00 00 00'), { kind: 'slru', hdr, slruKind: 1, segno: 0xabcd, nBlocks: 0, data: Buffer.alloc(0) }],
];

for (const [name, v, golden, r] of responseVectors) {
  test(`response ${name} V${v}: encode and decode`, () => {
    assert.deepEqual(encodeResponse(v, r), golden);
    const { buf, off } = embed(golden);
    const d = decodeResponse(v, buf, off, golden.length);
    assert.deepEqual(d, r);
  });
}

test('response sizes from protocol.md: GetPage payload 8193 / 8234, frames 8198 / 8239, +41 bytes for V3', () => {
  assert.equal(responseVectors[4]![2].length, 8193);
  assert.equal(responseVectors[5]![2].length, 8234);
  assert.equal(GETPAGE_RESPONSE_FRAME[2], 8198);
  assert.equal(GETPAGE_RESPONSE_FRAME[3], 8239);
  assert.equal(GETPAGE_REQUEST_FRAME[2], 39);
  assert.equal(GETPAGE_REQUEST_FRAME[3], 47);
  assert.deepEqual(PAGE_OFFSET, { 2: 1, 3: 42 });
});

test('pagestream command text', () => {
  assert.equal(pagestreamCommand(3, 'aa'.repeat(16), 'bb'.repeat(16)), `pagestream_v3 ${'aa'.repeat(16)} ${'bb'.repeat(16)}`);
  assert.equal(pagestreamCommand(2, 't', 'l'), 'pagestream_v2 t l');
});

// ---------------------------------------------------------------- hot path

function table(slot: number): GetPageRequestTable {
  const t = new GetPageRequestTable(100);
  assert.equal(t.capacity, 128);
  assert.equal(t.mask, 127);
  setGetPageRow(t, slot, hdr.reqid, hdr.requestLsn, hdr.notModifiedSince, rel, blkno);
  return t;
}

test('encodeGetPageV3 writes the 47-byte frame at an offset and returns the end', () => {
  const t = table(77);
  const buf = Buffer.alloc(64, 0xee);
  assert.equal(encodeGetPageV3(buf, 9, t, 77), 9 + 47);
  assert.deepEqual(buf.subarray(9, 56), bytes('64 00 00 00 2e', '02', HDR3, REL, BLK));
  assert.ok(buf.subarray(0, 9).every((b) => b === 0xee) && buf.subarray(56).every((b) => b === 0xee), 'nothing written outside the frame');
});

test('encodeGetPageV2 writes the 39-byte frame at an offset and returns the end', () => {
  const t = table(3);
  const buf = Buffer.alloc(50, 0xee);
  assert.equal(encodeGetPageV2(buf, 5, t, 3), 5 + 39);
  assert.deepEqual(buf.subarray(5, 44), bytes('64 00 00 00 26', '02', HDR2, REL, BLK));
  assert.ok(buf.subarray(0, 5).every((b) => b === 0xee) && buf.subarray(44).every((b) => b === 0xee));
});

test('encodeGetPageV3 with Lsn::MAX and every field at its maximum', () => {
  const t = new GetPageRequestTable(1);
  setGetPageRow(t, 0, 0xFFFFFFFFFFFFFFFFn, 0xFFFFFFFFFFFFFFFFn, 0xFFFFFFFFFFFFFFFFn, { spcnode: 0xFFFFFFFF, dbnode: 0xFFFFFFFF, relnode: 0xFFFFFFFF, forknum: 255 }, 0xFFFFFFFF);
  const buf = Buffer.alloc(47);
  encodeGetPageV3(buf, 0, t, 0);
  assert.deepEqual(buf, bytes('64 00 00 00 2e 02', 'ff'.repeat(41)));
});

const V3_RESPONSE = bytes('66', HDR3, REL, BLK, page);
/** Payload byte ranges of each echo field and the code its corruption must yield. */
const FIELDS: Array<[string, number, number, number]> = [
  ['reqid', 1, 9, MISMATCH_REQID],
  ['request_lsn', 9, 17, MISMATCH_REQUEST_LSN],
  ['not_modified_since', 17, 25, MISMATCH_NOT_MODIFIED_SINCE],
  ['spcnode', 25, 29, MISMATCH_SPCNODE],
  ['dbnode', 29, 33, MISMATCH_DBNODE],
  ['relnode', 33, 37, MISMATCH_RELNODE],
  ['forknum', 37, 38, MISMATCH_FORKNUM],
  ['blkno', 38, 42, MISMATCH_BLKNO],
];

test('verifyGetPageV3 accepts the golden response at any offset', () => {
  const t = table(5);
  const { buf, off } = embed(V3_RESPONSE, 11, 2);
  assert.equal(verifyGetPageV3(buf, off, 8234, t, 5), VERIFY_OK);
  assert.equal(checkGetPageV3Frame(buf, off, 8234), VERIFY_OK);
});

for (const [name, from, to, code] of FIELDS) {
  test(`verifyGetPageV3: every byte of ${name} altered -> ${VERIFY_CODE_NAMES[code]}`, () => {
    const t = table(5);
    for (let b = from; b < to; b++) {
      for (const x of [0x01, 0x80]) {
        const r = Buffer.from(V3_RESPONSE);
        r[b] ^= x;
        assert.equal(verifyGetPageV3(r, 0, r.length, t, 5), code, `byte ${b} ^ ${x}`);
        // The noverify variant does not look at the echo at all.
        assert.equal(checkGetPageV3Frame(r, 0, r.length), VERIFY_OK);
      }
    }
  });
}

test('verifyGetPageV3 reports the first differing field in wire order', () => {
  const t = table(5);
  const r = Buffer.from(V3_RESPONSE);
  r[41] ^= 1; // blkno
  r[26] ^= 1; // spcnode
  assert.equal(verifyGetPageV3(r, 0, r.length, t, 5), MISMATCH_SPCNODE);
  r[2] ^= 1; // reqid
  assert.equal(verifyGetPageV3(r, 0, r.length, t, 5), MISMATCH_REQID);
});

test('verifyGetPageV3 compares against the right slot', () => {
  const t = table(5);
  assert.equal(verifyGetPageV3(V3_RESPONSE, 0, V3_RESPONSE.length, t, 6), MISMATCH_REQID); // slot 6 is empty
  t.set(5, RowField.blkno, blkno + 1);
  assert.equal(verifyGetPageV3(V3_RESPONSE, 0, V3_RESPONSE.length, t, 5), MISMATCH_BLKNO);
});

test('verifyGetPageV3: page bytes are not part of the echo', () => {
  const t = table(0);
  const r = Buffer.from(V3_RESPONSE);
  r[42] ^= 0xff;
  r[8233] ^= 0xff;
  assert.equal(verifyGetPageV3(r, 0, r.length, t, 0), VERIFY_OK);
});

test('verifyGetPageV3: wrong length and wrong tag', () => {
  const t = table(0);
  const big = Buffer.concat([V3_RESPONSE, bytes('00')]);
  assert.equal(verifyGetPageV3(big, 0, 8235, t, 0), MISMATCH_LENGTH);
  assert.equal(verifyGetPageV3(V3_RESPONSE, 0, 8233, t, 0), MISMATCH_LENGTH);
  assert.equal(verifyGetPageV3(V3_RESPONSE, 0, 8193, t, 0), MISMATCH_LENGTH);
  assert.equal(checkGetPageV3Frame(V3_RESPONSE, 0, 8233), MISMATCH_LENGTH);
  for (const tag of [0, 2, 100, 101, 104, 105, 0xff]) {
    const r = Buffer.from(V3_RESPONSE);
    r[0] = tag;
    assert.equal(verifyGetPageV3(r, 0, r.length, t, 0), MISMATCH_TAG, `tag ${tag}`);
    assert.equal(checkGetPageV3Frame(r, 0, r.length), MISMATCH_TAG);
  }
});

test('verifyGetPageV3 on Error responses: matching echo -> RESPONSE_ERROR, else the header field', () => {
  const t = table(0);
  const err = bytes('67', HDR3, ascii('tried to request a page version that was garbage collected\0'));
  assert.equal(verifyGetPageV3(err, 0, err.length, t, 0), RESPONSE_ERROR);
  assert.equal(checkGetPageV3Frame(err, 0, err.length), RESPONSE_ERROR);
  for (const [name, from, to, code] of FIELDS.slice(0, 3)) {
    const r = Buffer.from(err);
    r[from] ^= 1;
    r[to - 1] ^= 2;
    assert.equal(verifyGetPageV3(r, 0, r.length, t, 0), code, name);
  }
  // An Error too short to hold the echo and its NUL cannot be checked: a length mismatch.
  const short = bytes('67', HDR3);
  assert.equal(verifyGetPageV3(short, 0, short.length, t, 0), MISMATCH_LENGTH);
  const minimal = bytes('67', HDR3, '00');
  assert.equal(verifyGetPageV3(minimal, 0, minimal.length, t, 0), RESPONSE_ERROR);
});

test('verifyGetPageV2: tag and length only', () => {
  const r = bytes('66', page);
  assert.equal(verifyGetPageV2(r, 0, 8193), VERIFY_OK);
  assert.equal(verifyGetPageV2(r, 0, 8192), MISMATCH_LENGTH);
  assert.equal(verifyGetPageV2(bytes('67', ascii('x\0')), 0, 3), RESPONSE_ERROR);
  for (const tag of [0, 2, 100, 101, 104, 105]) {
    const x = Buffer.from(r);
    x[0] = tag;
    assert.equal(verifyGetPageV2(x, 0, 8193), MISMATCH_TAG);
  }
  const { buf, off } = embed(r, 7, 1);
  assert.equal(verifyGetPageV2(buf, off, 8193), VERIFY_OK);
});

test('verifyGetPageChecksum checks the page image for the requested block, V2 and V3', () => {
  const t = table(1);
  const img = Buffer.alloc(8192);
  buildPage(img, 0, { ...rel, blkno, lsnHi: 1, lsnLo: 0x169AD58 });
  const r3 = bytes('66', HDR3, REL, BLK, img);
  const r2 = bytes('66', img);
  assert.equal(verifyGetPageChecksum(3, r3, 0, t, 1), VERIFY_OK);
  assert.equal(verifyGetPageChecksum(2, r2, 0, t, 1), VERIFY_OK);
  t.set(1, RowField.blkno, blkno + 1);
  assert.equal(verifyGetPageChecksum(3, r3, 0, t, 1), MISMATCH_CHECKSUM);
  assert.equal(verifyGetPageChecksum(2, r2, 0, t, 1), MISMATCH_CHECKSUM);
});

test('verification code table', () => {
  assert.equal(VERIFY_CODE_NAMES.length, VERIFY_CODES);
  assert.equal(isMismatch(VERIFY_OK), false);
  assert.equal(isMismatch(RESPONSE_ERROR), false);
  for (let c = 1; c < VERIFY_CODES; c++) if (c !== RESPONSE_ERROR) assert.equal(isMismatch(c), true);
  assert.equal(new Set(FIELDS.map((f) => f[3])).size, 8, 'eight distinct field codes');
});
