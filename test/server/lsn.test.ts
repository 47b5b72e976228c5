/**
 * LSN semantics (protocol.md §2) and the service model: waits for WAL keep
 * per-connection response order; specific request LSNs read pages no newer
 * than themselves; pipelined requests share a service batch.
 * Timing is asserted only as lower bounds the server must respect, never as speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { parseFaults, parseLatency } from '../../src/server/config.js';
import { openStream, getPageFrame, LSN_MAX } from './helpers/raw-client.js';
import type { RawClient } from './helpers/raw-client.js';

const T = DEFAULT_TENANT_ID;
const TL = DEFAULT_TIMELINE_ID;
const REL = { spc: 1663, db: 16384, rel: 16400, fork: 0 };
const L = 0x08f3c1a8; // default initial last_record_lsn

async function readResp(c: RawClient): Promise<{ tag: number; reqid: number; body: Buffer }> {
  const m = await c.readMessage(10000);
  return { tag: m.body[0]!, reqid: m.body.readUInt32BE(5), body: m.body };
}

function pdLsn(body: Buffer): number {
  return body.readUInt32LE(42) * 2 ** 32 + body.readUInt32LE(46);
}

async function lastRecordLsn(mgmt: number): Promise<number> {
  const tls = (await (await fetch(`http://127.0.0.1:${mgmt}/v1/tenant/${T}/timeline`)).json()) as Array<{ last_record_lsn: string }>;
  const [hi, lo] = (tls[0].last_record_lsn as string).split('/').map((x) => parseInt(x, 16));
  return hi! * 2 ** 32 + lo!;
}

test('WAL ingest: Lsn::MAX waits for not_modified_since, later requests stay behind it; last_record_lsn advances', async () => {
  const emu = new PageserverEmulator({ walRate: 8 * 1024 * 1024, log: () => {} });
  const { port, mgmtPort } = await emu.listen();
  try {
    const c = await openStream(port, 3, T, TL);
    // l0 is read after t0, so WAL 800 KiB beyond it cannot be in before t0 + ~98 ms at 8 MiB/s.
    const t0 = performance.now();
    const l0 = await lastRecordLsn(mgmtPort);
    // Request 1 needs that WAL; request 2 needs nothing.
    c.send(Buffer.concat([
      getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, l0 + 800 * 1024] }, REL, 1),
      getPageFrame(3, { reqid: [0, 2], lsn: LSN_MAX, nms: [0, 0x100] }, REL, 2),
    ]));
    const a = await readResp(c);
    const waited = performance.now() - t0;
    const b = await readResp(c);
    assert.deepEqual([a.tag, a.reqid, b.tag, b.reqid], [102, 1, 102, 2], 'in request order');
    assert.ok(waited >= 95, `answered after ${waited} ms, before the WAL could have arrived`);
    const l1 = await lastRecordLsn(mgmtPort);
    assert.ok(l1 >= l0 + 800 * 1024, `last_record_lsn ${l1.toString(16)} advanced from ${l0.toString(16)}`);
    // A specific request_lsn waits for itself and reads a page no newer than it.
    const want = l1 + 256 * 1024;
    c.send(getPageFrame(3, { reqid: [0, 3], lsn: [0, want], nms: [0, 0x100] }, REL, 3));
    const r = await readResp(c);
    assert.equal(r.tag, 102);
    assert.ok(pdLsn(r.body) <= want);
    assert.ok((await lastRecordLsn(mgmtPort)) >= want);
    c.close();
  } finally {
    await emu.close();
  }
});

test('a request whose WAL cannot arrive within --wait-lsn-timeout gets the LSN-timeout Error, in order', async () => {
  const emu = new PageserverEmulator({ walRate: 1024, waitLsnTimeoutS: 0.15, log: () => {} });
  const { port } = await emu.listen();
  try {
    const c = await openStream(port, 3, T, TL);
    const t0 = performance.now();
    c.send(Buffer.concat([
      getPageFrame(3, { reqid: [0, 1], lsn: [0, L + 1024 * 1024], nms: [0, 0x100] }, REL, 1),
      getPageFrame(3, { reqid: [0, 2], lsn: LSN_MAX, nms: [0, 0x100] }, REL, 2),
    ]));
    const a = await readResp(c);
    assert.ok(performance.now() - t0 >= 140, 'the timeout was waited for');
    const b = await readResp(c);
    assert.deepEqual([a.tag, a.reqid, b.tag, b.reqid], [103, 1, 102, 2]);
    assert.match(a.body.toString('utf8', 25), /^LSN timeout: Timed out while waiting for WAL record at LSN 0\/0903C1A8 to arrive, last_record_lsn 0\/08F3[0-9A-F]{4} disk consistent LSN=0\/08F3[0-9A-F]{4}, WalReceiver status: Connected\0$/);
    c.close();
  } finally {
    await emu.close();
  }
});

test('a read at an older LSN (above the GC cutoff) gets a page version no newer than that LSN', async () => {
  const emu = new PageserverEmulator({ gcCutoff: 0x0100_0000n, log: () => {} });
  const { port } = await emu.listen();
  try {
    const c = await openStream(port, 3, T, TL);
    const old = 0x0200_0000;
    for (let blk = 0; blk < 20; blk++) {
      c.send(getPageFrame(3, { reqid: [0, blk], lsn: [0, old], nms: [0, old] }, REL, blk));
      const r = await readResp(c);
      assert.equal(r.tag, 102);
      assert.ok(pdLsn(r.body) <= old, `block ${blk}: pd_lsn ${pdLsn(r.body).toString(16)} > ${old.toString(16)}`);
    }
    c.close();
  } finally {
    await emu.close();
  }
});

test('service model: pipelined requests share a batch; responses wait out the service time, in order', async () => {
  const emu = new PageserverEmulator({ latency: { kind: 'fixed', us: 60_000 }, maxBatch: 32, log: () => {} });
  const { port, mgmtPort } = await emu.listen();
  const batches = async (): Promise<number> =>
    Number(/^pagestream_service_batches_total (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${mgmtPort}/metrics`)).text())![1]);
  try {
    const c = await openStream(port, 3, T, TL);
    const frames = [];
    for (let k = 0; k < 8; k++) frames.push(getPageFrame(3, { reqid: [0, k], lsn: LSN_MAX, nms: [0, 0x100] }, REL, k));
    const t0 = performance.now();
    c.send(Buffer.concat(frames)); // one write: one read on the server, one batch
    for (let k = 0; k < 8; k++) assert.equal((await readResp(c)).reqid, k);
    assert.ok(performance.now() - t0 >= 55, 'not answered before the service time');
    assert.equal(await batches(), 1);
    // One at a time: every request is its own batch.
    for (let k = 0; k < 3; k++) {
      c.send(getPageFrame(3, { reqid: [1, k], lsn: LSN_MAX, nms: [0, 0x100] }, REL, k));
      await readResp(c);
    }
    assert.equal(await batches(), 4);
    c.close();
  } finally {
    await emu.close();
  }
});

test('service model: --max-batch 1 with one server per connection serves pipelined requests one at a time', async () => {
  const emu = new PageserverEmulator({ latency: { kind: 'fixed', us: 40_000 }, maxBatch: 1, concurrencyPerConnection: 1, log: () => {} });
  const { port } = await emu.listen();
  try {
    const c = await openStream(port, 3, T, TL);
    const frames = [];
    for (let k = 0; k < 4; k++) frames.push(getPageFrame(3, { reqid: [0, k], lsn: LSN_MAX, nms: [0, 0x100] }, REL, k));
    const t0 = performance.now();
    c.send(Buffer.concat(frames));
    const at: number[] = [];
    for (let k = 0; k < 4; k++) {
      assert.equal((await readResp(c)).reqid, k);
      at.push(performance.now() - t0);
    }
    // The k-th response cannot leave before k+1 service times have passed.
    at.forEach((t, k) => assert.ok(t >= 40 * (k + 1) - 5, `response ${k} after ${t} ms`));
    c.close();
  } finally {
    await emu.close();
  }
});

test('option parsers: latency models and fault lists, with errors naming the option', () => {
  assert.deepEqual(parseLatency('200us'), { kind: 'fixed', us: 200 });
  assert.deepEqual(parseLatency('lognormal:p50=150us,p99=2ms'), { kind: 'lognormal', p50Us: 150, p99Us: 2000 });
  assert.deepEqual(parseLatency('uniform:min=1ms,max=3ms'), { kind: 'uniform', minUs: 1000, maxUs: 3000 });
  assert.throws(() => parseLatency('lognormal:p50=2ms,p99=1ms'), /--latency: .*p50 <= p99/);
  assert.throws(() => parseLatency('gauss:p50=1ms'), /--latency: .*unknown model "gauss"/);
  const f = parseFaults('drop=1%,wrong-block=0.02');
  assert.equal(f.drop, 0.01);
  assert.equal(f['wrong-block'], 0.02);
  assert.throws(() => parseFaults('dorp=0.1'), /--faults: unknown fault kind "dorp"/);
  assert.throws(() => parseFaults('drop=2'), /--faults: "drop=2": rate must be/);
  assert.throws(() => parseFaults('drop=0.6,swap=0.6'), /sum to 1.2/);
});
