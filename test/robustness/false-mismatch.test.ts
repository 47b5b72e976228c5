/**
 * No false mismatches: a clean run (nothing injected) with many connections
 * against the embedded emulator must flag no response. With
 * --on-mismatch count a single out-of-step stream shows up as thousands of
 * mismatches, so the check is sensitive.
 *
 * History: until run commit 07ddd16 this failed about one run in four (e.g.
 * 242,342 of 332,748 responses flagged `reqid`): a waiting connection's timer
 * sent requests before the round started and their answers met the cleared
 * ring. The independent client below never saw a mismatch from the emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, hasStackTrace } from './helpers/cli.js';
import { probeV3 } from './helpers/probe-client.js';
import { startEmulatorProcess } from '../../src/server/process.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID, FIRST_USER_DB_OID } from '../../src/server/ids.js';

const dir = mkdtempSync(path.join(tmpdir(), 'psb-clean-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('clean run, 50 connections × 32 in flight, on-mismatch count: zero mismatches, zero wrong pages', {
  timeout: 60_000,
}, async () => {
  for (let i = 0; i < 1; i++) {
    const out = path.join(dir, `clean-${i}.json`);
    const r = await runCli(['run', '--protocol', 'v3', '--connections', '50', '--pipeline', '32', '--workers', '1', '--duration', '2', '--warmup', '0', '--rounds', '1',
      '--on-mismatch', 'count', '--oracle', '--json', '--quiet', '--out', out], { timeoutMs: 50_000 });
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    const v = JSON.parse(r.stdout).variants.v3;
    assert.ok(v.responses > 0);
    assert.equal(v.mismatches, 0, `run ${i}: ${v.mismatches} of ${v.responses} responses flagged in a clean run: ${JSON.stringify(v.mismatchesByField)}`);
    assert.equal(v.undetected, 0);
    assert.equal(r.code, 0);
  }
});

test('the emulator itself answers in order: an independent client at 50 × 32 sees zero reqid mismatches', { timeout: 60_000 }, async () => {
  const emu = await startEmulatorProcess({ args: ['--quiet'] });
  try {
    const r = await probeV3({
      port: emu.port, tenant: DEFAULT_TENANT_ID, timeline: DEFAULT_TIMELINE_ID,
      rel: { spc: 1663, db: FIRST_USER_DB_OID, rel: 16400 }, nblocks: 40_000, connections: 50, depth: 32, seconds: 2,
    });
    assert.ok(r.responses > 1000, `only ${r.responses} responses`);
    assert.equal(r.other, 0);
    assert.equal(r.mismatches, 0, `${r.mismatches} of ${r.responses} responses out of order`);
  } finally {
    await emu.stop();
  }
});
