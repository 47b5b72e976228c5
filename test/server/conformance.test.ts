/**
 * Byte-exact conformance of the emulator's libpq handshake and page stream,
 * through real sockets, against messages written by hand from protocol.md.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { silentSink } from '../../src/server/log.js';
import { verifyPageChecksum, IDENTITY_STAMP_OFFSET } from '../../src/protocol/page.js';
import {
  RawClient, startupMessage, SSL_REQUEST, GSSENC_REQUEST, TRUST_HANDSHAKE, COPY_BOTH_RESPONSE, READY_FOR_QUERY, TERMINATE, COPY_DONE,
  query, errorResponse, copyData, requestPayload, relBody, getPageFrame, openStream, u32, u64, u8, LSN_MAX, typedMessage,
} from './helpers/raw-client.js';
import type { Rel } from './helpers/raw-client.js';

const T = DEFAULT_TENANT_ID;
const TL = DEFAULT_TIMELINE_ID;
// Default dataset: relation 0 of database 16384 is 1663/16384/16400, 40000 blocks; initial LSN 0/8F3C1A8.
const REL0: Rel = { spc: 1663, db: 16384, rel: 16400, fork: 0 };
const NMS: [number, number] = [0, 0x08f3c1a8];

let emu: PageserverEmulator;
let port: number;
let mgmt: number;
const logs: string[] = [];

before(async () => {
  emu = new PageserverEmulator({ log: (l) => logs.push(l), gcCutoff: 0x0100_0000n, waitLsnTimeoutS: 0.2 });
  ({ port, mgmtPort: mgmt } = await emu.listen());
});
after(async () => {
  await emu.close();
});

test('trust handshake: AuthenticationOk, 3 ParameterStatus, ReadyForQuery, byte for byte', async () => {
  const c = await RawClient.connect(port);
  c.send(startupMessage({ user: 'cloud_admin', database: 'postgres', application_name: 'x' }));
  assert.deepEqual(await c.read(TRUST_HANDSHAKE.length), TRUST_HANDSHAKE);
  c.send(query(`pagestream_v3 ${T} ${TL}`));
  assert.deepEqual(await c.read(8), COPY_BOTH_RESPONSE);
  c.close();
});

test('SSLRequest and GSSENCRequest are answered N, then the startup goes on', async () => {
  const c = await RawClient.connect(port);
  c.send(SSL_REQUEST);
  assert.deepEqual(await c.read(1), Buffer.from('N'));
  c.send(GSSENC_REQUEST);
  assert.deepEqual(await c.read(1), Buffer.from('N'));
  c.send(startupMessage({ user: 'u', database: 'd' }));
  assert.deepEqual(await c.read(TRUST_HANDSHAKE.length), TRUST_HANDSHAKE);
  c.close();
});

test('unparsable commands and ids: ErrorResponse + ReadyForQuery, connection stays usable', async () => {
  const c = await RawClient.connect(port);
  c.send(startupMessage({ user: 'u' }));
  await c.read(TRUST_HANDSHAKE.length);
  const cases: Array<[string, string]> = [
    ['pagestream_v3 nothex', 'invalid number of parameters for pagestream command: nothex'],
    [`pagestream_v3 zz${T.slice(2)} ${TL}`, `Failed to parse tenant id from zz${T.slice(2)}`],
    [`pagestream_v2 ${T} ${TL.slice(1)}`, `Failed to parse timeline id from ${TL.slice(1)}`],
    ['select 1', 'unsupported command select 1'],
  ];
  for (const [q, msg] of cases) {
    c.send(query(q));
    const want = Buffer.concat([errorResponse('XX000', msg), READY_FOR_QUERY]);
    assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'), q);
  }
  c.send(query(`pagestream_v3 ${T.toUpperCase()} ${TL}`));
  assert.deepEqual(await c.read(8), COPY_BOTH_RESPONSE);
  c.close();
});

test('V3 GetPage: 8239-byte frame, echo of every request field, page with identity stamp and checksum', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(getPageFrame(3, { reqid: [0x1234, 0x5678], lsn: LSN_MAX, nms: NMS }, REL0, 7));
  const f = await c.read(8239);
  const want = Buffer.concat([
    Buffer.from('64' + '0000202e' + '66', 'hex'), // 'd', len 4+8234, tag 102
    u64(0x1234, 0x5678), u64(...LSN_MAX), u64(...NMS),
    u32(1663), u32(16384), u32(16400), u8(0), u32(7),
  ]);
  assert.deepEqual(f.subarray(0, 47), want);
  const page = f.subarray(47);
  assert.equal(page.length, 8192);
  assert.ok(verifyPageChecksum(page, 0, 7), 'checksum of block 7 verifies');
  const st = IDENTITY_STAMP_OFFSET;
  assert.deepEqual([page.readUInt32BE(st), page.readUInt32BE(st + 4), page.readUInt32BE(st + 8), page[st + 12], page.readUInt32BE(st + 13)], [1663, 16384, 16400, 0, 7]);
  // pd_lsn (little-endian xlogid, xrecoff) is no newer than the read LSN (last_record_lsn 0/8F3C1A8).
  const pdLsn = page.readUInt32LE(0) * 2 ** 32 + page.readUInt32LE(4);
  assert.ok(pdLsn > 0 && pdLsn <= 0x08f3c1a8, `pd_lsn ${pdLsn.toString(16)}`);
  c.close();
});

test('V2 GetPage: 8198-byte frame, tag then page; same page bytes as V3', async () => {
  const c2 = await openStream(port, 2, T, TL);
  c2.send(getPageFrame(2, { lsn: LSN_MAX, nms: NMS }, REL0, 7));
  const f2 = await c2.read(8198);
  assert.deepEqual(f2.subarray(0, 6), Buffer.from('6400002005' + '66', 'hex'));
  const c3 = await openStream(port, 3, T, TL);
  c3.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: NMS }, REL0, 7));
  const f3 = await c3.read(8239);
  assert.deepEqual(f2.subarray(6), f3.subarray(47));
  c2.close();
  c3.close();
});

test('Exists, Nblocks, DbSize in V2 and V3, byte for byte', async () => {
  const h3 = { reqid: [0, 9] as [number, number], lsn: LSN_MAX, nms: NMS };
  const echo = Buffer.concat([u64(0, 9), u64(...LSN_MAX), u64(...NMS)]);
  const c3 = await openStream(port, 3, T, TL);
  c3.send(copyData(requestPayload(3, 0, h3, relBody(REL0))));
  assert.deepEqual(await c3.read(5 + 39), copyData(Buffer.concat([u8(100), echo, relBody(REL0), u8(1)])));
  c3.send(copyData(requestPayload(3, 0, h3, relBody({ ...REL0, rel: 99999 }))));
  assert.deepEqual(await c3.read(5 + 39), copyData(Buffer.concat([u8(100), echo, relBody({ ...REL0, rel: 99999 }), u8(0)])));
  c3.send(copyData(requestPayload(3, 1, h3, relBody(REL0))));
  assert.deepEqual(await c3.read(5 + 42), copyData(Buffer.concat([u8(101), echo, relBody(REL0), u32(40000)])));
  // DbSize: every fork of every relation of database 16384: 101000 main + fsm + vm blocks.
  const blocks = [40000, 30000, 20000, 10000, 1000].reduce((a, n) => a + n + 3 + Math.ceil(n / 4069) + Math.ceil(n / 32672), 0);
  c3.send(copyData(requestPayload(3, 3, h3, u32(16384))));
  assert.deepEqual(await c3.read(5 + 37), copyData(Buffer.concat([u8(104), echo, u32(16384), u64(0, blocks * 8192)])));
  const c2 = await openStream(port, 2, T, TL);
  const h2 = { lsn: LSN_MAX, nms: NMS };
  c2.send(copyData(requestPayload(2, 0, h2, relBody(REL0))));
  assert.deepEqual(await c2.read(7), copyData(Buffer.from([100, 1])));
  c2.send(copyData(requestPayload(2, 1, h2, relBody(REL0))));
  assert.deepEqual(await c2.read(10), copyData(Buffer.concat([u8(101), u32(40000)])));
  c2.send(copyData(requestPayload(2, 3, h2, u32(16384))));
  assert.deepEqual(await c2.read(14), copyData(Buffer.concat([u8(104), u64(0, blocks * 8192)])));
  c2.close();
  c3.close();
});

function errV3(reqid: number, lsn: [number, number], nms: [number, number], msg: string): Buffer {
  return copyData(Buffer.concat([u8(103), u64(0, reqid), u64(...lsn), u64(...nms), Buffer.from(msg + '\0', 'utf8')]));
}

test('GetPage past the end is an all-zero page; missing relation and db are errors', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: NMS }, REL0, 40000));
  const f = await c.read(8239);
  assert.equal(f.readUInt32BE(43), 40000);
  assert.ok(f.subarray(47).equals(Buffer.alloc(8192)));
  c.send(copyData(requestPayload(3, 1, { reqid: [0, 2], lsn: LSN_MAX, nms: NMS }, relBody({ ...REL0, rel: 5 }))));
  const want = errV3(2, LSN_MAX, NMS, 'Read error');
  assert.deepEqual(await c.read(want.length), want);
  c.send(copyData(requestPayload(3, 3, { reqid: [0, 3], lsn: LSN_MAX, nms: NMS }, u32(77))));
  const want3 = errV3(3, LSN_MAX, NMS, 'Read error');
  assert.deepEqual(await c.read(want3.length), want3);
  c.close();
});

test('Bad request: request_lsn < not_modified_since, request_lsn 0, below the GC cutoff (V3 echo kept)', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(getPageFrame(3, { reqid: [0, 1], lsn: [0, 0x100], nms: [0, 0x200] }, REL0, 1));
  let want = errV3(1, [0, 0x100], [0, 0x200], 'Bad request: invalid request with request LSN 0/00000100 and not_modified_since 0/00000200');
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  c.send(getPageFrame(3, { reqid: [0, 2], lsn: [0, 0], nms: [0, 0] }, REL0, 1));
  want = errV3(2, [0, 0], [0, 0], 'Bad request: invalid LSN(0) in request');
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  c.send(getPageFrame(3, { reqid: [0, 3], lsn: [0, 0x80], nms: [0, 0x10] }, REL0, 1));
  want = errV3(3, [0, 0x80], [0, 0x10], 'Bad request: tried to request a page version that was garbage collected. requested at 0/00000080 gc cutoff 0/01000000');
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  // The stream goes on after errors.
  c.send(getPageFrame(3, { reqid: [0, 4], lsn: LSN_MAX, nms: NMS }, REL0, 1));
  assert.equal((await c.read(8239)).readUInt32BE(10), 4);
  c.close();
});

test('a request for an LSN that never arrives (static timeline) times out with an LSN-timeout Error', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, 0x09000000] }, REL0, 1));
  const m = await c.readMessage(3000);
  assert.equal(m.body[0], 103);
  assert.equal(m.body.toString('utf8', 25, m.body.length - 1),
    'LSN timeout: Timed out while waiting for WAL record at LSN 0/09000000 to arrive, last_record_lsn 0/08F3C1A8 disk consistent LSN=0/08F3C1A8, WalReceiver status: Not active');
  c.close();
});

test('unknown tenant or timeline: CopyBothResponse, then a Not found Error per request', async () => {
  const other = 'ab'.repeat(16);
  const c = await openStream(port, 3, other, TL);
  c.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: NMS }, REL0, 1));
  let want = errV3(1, LSN_MAX, NMS, `Not found: Tenant ${other} not found`);
  assert.deepEqual(await c.read(want.length), want);
  const c2 = await openStream(port, 2, T, other);
  c2.send(getPageFrame(2, { lsn: LSN_MAX, nms: NMS }, REL0, 1));
  want = copyData(Buffer.from(`\x67Not found: Timeline ${T}/${other} was not found\0`, 'latin1'));
  assert.deepEqual(await c2.read(want.length), want);
  c.close();
  c2.close();
});

test('GetSlruSegment answers an Error; Terminate ends the stream', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(copyData(requestPayload(3, 4, { reqid: [0, 5], lsn: LSN_MAX, nms: NMS }, Buffer.concat([u8(0), u32(0)]))));
  const want = errV3(5, LSN_MAX, NMS, 'Read error');
  assert.deepEqual(await c.read(want.length), want);
  c.send(TERMINATE);
  assert.ok(await c.closedWithin(2000));
});

test('CopyDone during the stream: pending responses, then ErrorResponse "unexpected message" and close', async () => {
  const c = await openStream(port, 3, T, TL);
  c.send(Buffer.concat([getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: NMS }, REL0, 3), COPY_DONE]));
  assert.equal((await c.read(8239)).readUInt32BE(10), 1);
  const want = errorResponse('XX000', 'unexpected message: CopyDone during COPY');
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  assert.ok(await c.closedWithin(2000));
  const c2 = await openStream(port, 3, T, TL);
  c2.send(typedMessage('Q', Buffer.from('x\0')));
  const want2 = errorResponse('XX000', 'unexpected message: Query during COPY');
  assert.deepEqual((await c2.read(want2.length)).toString('latin1'), want2.toString('latin1'));
  assert.ok(await c2.closedWithin(2000));
});

test('management API: discovery of tenant, timeline, last_record_lsn and relation keys', async () => {
  const get = async (p: string): Promise<any> => (await fetch(`http://127.0.0.1:${mgmt}${p}`)).json();
  assert.deepEqual((await get('/v1/tenant')).map((t: { id: string }) => t.id), [T]);
  assert.deepEqual((await get(`/v1/tenant/${T}`)).timelines, [TL]);
  const tls = await get(`/v1/tenant/${T}/timeline`);
  assert.equal(tls[0].timeline_id, TL);
  assert.equal(tls[0].last_record_lsn, '0/08F3C1A8');
  const ks = await get(`/v1/tenant/${T}/timeline/${TL}/keyspace`);
  assert.equal(ks.at_lsn, '0/08F3C1A8');
  // Relation 16400 main fork blocks [0, 40000): field1 00, spc 0000067F, db 00004000, rel 00004010, fork 00, blk.
  const first = ks.keys.find((r: [string, string]) => r[0] === '000000067F000040000000401000' + '00000000');
  assert.ok(first, JSON.stringify(ks.keys.slice(0, 3)));
  assert.equal(first[1], '000000067F00004000000040100000009C40');
  for (const [a, b] of ks.keys) assert.ok(/^[0-9A-F]{36}$/.test(a) && /^[0-9A-F]{36}$/.test(b) && a < b);
  const faults = await get('/v1/faults');
  assert.deepEqual(faults, { seed: 1, injected: { drop: 0, swap: 0, stale: 0, 'wrong-block': 0, 'wrong-rel': 0, 'wrong-lsn': 0, corrupt: 0, error: 0, close: 0 } });
  const metrics = await (await fetch(`http://127.0.0.1:${mgmt}/metrics`)).text();
  assert.match(metrics, /pagestream_requests_total\{kind="getpage",protocol="v3"\} [1-9]/);
  assert.match(metrics, /pagestream_responses_total\{kind="getpage"\} [1-9]/);
});
