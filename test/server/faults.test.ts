/**
 * Every fault kind, injected at its configured rate, is seen by a V3 verifier
 * exactly as often as the emulator's ground truth says it injected it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { FAULT_KINDS, zeroFaults } from '../../src/server/config.js';
import type { FaultKind } from '../../src/server/config.js';
import { IDENTITY_STAMP_OFFSET } from '../../src/protocol/page.js';
import { verifyRun } from './helpers/verifier.js';
import { openStream, getPageFrame, LSN_MAX } from './helpers/raw-client.js';

const N = 600;
const RATE = 0.05;

for (const kind of FAULT_KINDS.filter((k) => k !== 'stale')) {
  test(`fault ${kind}=${RATE}: observed by the V3 verifier, equal to the ground truth`, async () => {
    const faults = zeroFaults();
    faults[kind] = RATE;
    const emu = new PageserverEmulator({ faults, faultSeed: 42, log: () => {}, relationBlocks: [40000, 40000] });
    const { port, mgmtPort } = await emu.listen();
    try {
      const obs = await verifyRun(port, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID, N);
      const truth = emu.groundTruth();
      assert.equal(truth.seed, 42);
      for (const k of FAULT_KINDS) {
        assert.equal(obs[k as FaultKind], truth.injected[k], `${k}: observed ${obs[k as FaultKind]}, injected ${truth.injected[k]}`);
        if (k !== kind) assert.equal(truth.injected[k], 0, `${k} not configured`);
      }
      // At its rate: N * RATE = 30 expected; a binomial(600, 0.05) is inside [12, 50] with overwhelming probability.
      const n = truth.injected[kind];
      assert.ok(n >= 12 && n <= 50, `${kind} injected ${n} times for ~${N * RATE} expected`);
      // Ground truth over HTTP agrees.
      const http = await (await fetch(`http://127.0.0.1:${mgmtPort}/v1/faults`)).json();
      assert.deepEqual(http, truth);
    } finally {
      await emu.close();
    }
  });
}

test('fault stale=0.5: a fresh connection first gets the answer to an earlier connection\'s request', async () => {
  const faults = zeroFaults();
  faults.stale = 0.5;
  const emu = new PageserverEmulator({ faults, faultSeed: 7, log: () => {}, relationBlocks: [40000] });
  const { port } = await emu.listen();
  try {
    let observed = 0;
    const CONNS = 40;
    for (let c = 0; c < CONNS; c++) observed += (await verifyRun(port, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID, 4, c * 10)).stale;
    const truth = emu.groundTruth();
    assert.equal(observed, truth.injected.stale);
    assert.ok(observed >= 8 && observed <= 32, `stale on ${observed} of ${CONNS - 1} eligible connections`);
  } finally {
    await emu.close();
  }
});

test('wrong-block and wrong-rel carry the page of what they echo (identity stamp), wrong-lsn the right page', async () => {
  for (const [kind, check] of [
    ['wrong-block', (st: number[]) => assert.deepEqual(st, [16400, 11])],
    ['wrong-rel', (st: number[]) => assert.ok(st[0] !== 16400 && st[1] === 10)],
    ['wrong-lsn', (st: number[]) => assert.deepEqual(st, [16400, 10])],
  ] as const) {
    const faults = zeroFaults();
    faults[kind] = 1;
    const emu = new PageserverEmulator({ faults, log: () => {} });
    const { port } = await emu.listen();
    try {
      const c = await openStream(port, 3, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID);
      c.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, 0x1000] }, { spc: 1663, db: 16384, rel: 16400, fork: 0 }, 10));
      const f = await c.read(8239);
      const page = f.subarray(47);
      const stamp = [page.readUInt32BE(IDENTITY_STAMP_OFFSET + 8), page.readUInt32BE(IDENTITY_STAMP_OFFSET + 13)];
      check(stamp);
      // The echo names what the page is (wrong-block/rel) or lies about the LSN only.
      assert.deepEqual([f.readUInt32BE(38), f.readUInt32BE(43)], stamp);
      if (kind === 'wrong-lsn') assert.notDeepEqual(f.subarray(14, 22), Buffer.from('ffffffffffffffff', 'hex'));
      c.close();
    } finally {
      await emu.close();
    }
  }
});
