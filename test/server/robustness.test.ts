/**
 * Misbehaving clients cost only their own connection: each case ends (or
 * stalls) that connection with at most one log line, and a second,
 * well-behaved connection is served right after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { RawClient, openStream, getPageFrame, startupMessage, copyData, requestPayload, relBody, errorResponse, TRUST_HANDSHAKE, LSN_MAX } from './helpers/raw-client.js';

const T = DEFAULT_TENANT_ID;
const TL = DEFAULT_TIMELINE_ID;
const REL = { spc: 1663, db: 16384, rel: 16400, fork: 0 };

let emu: PageserverEmulator;
let port: number;
let mgmt: number;
const logs: string[] = [];

before(async () => {
  emu = new PageserverEmulator({ log: (l) => logs.push(l), sendHighWater: 256 * 1024 });
  ({ port, mgmtPort: mgmt } = await emu.listen());
});
after(() => emu.close());

/** The proof after every case: a fresh connection gets a correct page. */
async function wellBehaved(): Promise<void> {
  const c = await openStream(port, 3, T, TL);
  c.send(getPageFrame(3, { reqid: [7, 7], lsn: LSN_MAX, nms: [0, 0x100] }, REL, 5));
  const f = await c.read(8239);
  assert.deepEqual([f[5], f.readUInt32BE(10), f.readUInt32BE(43)], [102, 7, 5]);
  c.close();
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${mgmt}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return Number(m![1]);
}

function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

test('garbage bytes instead of a startup packet: closed, one log line', async () => {
  const n0 = logs.length;
  const c = await RawClient.connect(port);
  c.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.ok(await c.closedWithin(2000));
  await until(() => logs.length > n0);
  assert.equal(logs.length - n0, 1);
  assert.match(logs[n0]!, /"event":"protocol_error".*frame length 1195725856 out of range/);
  await wellBehaved();
});

test('a length field of 2^31-1 in the page stream: closed without buffering, one log line', async () => {
  const n0 = logs.length;
  const c = await openStream(port, 3, T, TL);
  c.send(Buffer.from('647fffffff' + '02'.repeat(100), 'hex'));
  assert.ok(await c.closedWithin(2000));
  await until(() => logs.length > n0);
  assert.equal(logs.length - n0, 1);
  assert.match(logs[n0]!, /frame length 2147483647 out of range/);
  await wellBehaved();
});

test('a malformed page-stream request: ErrorResponse, stream ends, one log line', async () => {
  const n0 = logs.length;
  const c = await openStream(port, 3, T, TL);
  c.send(copyData(requestPayload(3, 2, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, 1] }, relBody(REL)))); // GetPage without blkno
  const want = errorResponse('XX000', 'invalid page-stream request: V3 request with tag 2 must be 42 bytes, got 38');
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  assert.ok(await c.closedWithin(2000));
  assert.equal(logs.length - n0, 1);
  await wellBehaved();
});

test('half a frame, then silence: the connection waits, others are served, the rest completes it', async () => {
  const c = await RawClient.connect(port);
  const start = startupMessage({ user: 'u', database: 'd' });
  c.send(start.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 50));
  await wellBehaved();
  c.send(start.subarray(5));
  assert.deepEqual(await c.read(TRUST_HANDSHAKE.length), TRUST_HANDSHAKE);
  c.close();
  const s = await openStream(port, 3, T, TL);
  const frame = getPageFrame(3, { reqid: [0, 3], lsn: LSN_MAX, nms: [0, 1] }, REL, 3);
  s.send(frame.subarray(0, 20));
  await new Promise((r) => setTimeout(r, 50));
  await wellBehaved();
  s.send(frame.subarray(20));
  assert.equal((await s.read(8239)).readUInt32BE(10), 3);
  s.close();
});

test('a client that stops reading: the server stops serving it (bounded output), others go on', async () => {
  const sent0 = await metric('pagestream_bytes_sent_total');
  const pauses0 = await metric('pagestream_backpressure_pauses_total');
  const c = await openStream(port, 3, T, TL);
  c.socket.pause(); // never read again
  const N = 5000; // 41 MB of responses if all were produced
  const frames = [];
  for (let k = 0; k < N; k++) frames.push(getPageFrame(3, { reqid: [0, k], lsn: LSN_MAX, nms: [0, 1] }, REL, k % 40000));
  c.socket.write(Buffer.concat(frames));
  await until(() => true);
  await new Promise((r) => setTimeout(r, 300));
  await wellBehaved();
  const sent = (await metric('pagestream_bytes_sent_total')) - sent0;
  assert.ok(await metric('pagestream_backpressure_pauses_total') > pauses0, 'backpressure engaged');
  // What left the server is bounded by socket buffers + the high-water mark, far below N responses.
  assert.ok(sent < 20 * 1024 * 1024, `server produced ${sent} bytes for a client that reads nothing`);
  const before = emu.connectionCount;
  c.close();
  await until(() => emu.connectionCount < before);
  // Every cache slot the stalled socket held is released.
  assert.ok(emu.core.cache.pins.every((p) => p === 0));
});

test('a disconnect in the middle of responses: only that connection ends; no pinned cache slots remain', async () => {
  const c = await openStream(port, 3, T, TL);
  const frames = [];
  for (let k = 0; k < 300; k++) frames.push(getPageFrame(3, { reqid: [0, k], lsn: LSN_MAX, nms: [0, 1] }, REL, 1000 + k));
  c.send(Buffer.concat(frames));
  await c.read(20000); // part of the responses
  c.socket.resetAndDestroy();
  await new Promise((r) => setTimeout(r, 100));
  await wellBehaved();
  await until(() => emu.core.cache.pins.every((p) => p === 0));
});

test('1,000 idle connections: all held open, a well-behaved one is served, all released', async () => {
  await until(() => emu.connectionCount === 0); // earlier cases' connections are gone
  const active0 = 0;
  const idle: Socket[] = [];
  for (let i = 0; i < 1000; i++) {
    idle.push(await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.on('error', reject);
      // Half of them stop after a partial startup packet.
      if (i % 2 === 0) s.write(Buffer.from([0, 0, 0, 40, 0, 3]));
    }));
  }
  await until(() => emu.connectionCount >= 1000 + active0).catch((e) => { throw new Error(`${e.message}: ${emu.connectionCount} open, ${active0} before`); });
  await wellBehaved();
  assert.ok((await metric('pagestream_connections_active')) >= active0 + 1000);
  for (const s of idle) s.destroy();
  await until(() => emu.connectionCount <= active0, 5000);
});
