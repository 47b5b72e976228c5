/**
 * `pagestream-bench faults` end to end (real CLI, real emulator processes,
 * real sockets), on the two kinds that make the seed's point — `stale` (a
 * connection reset whose prefetch ring was not reset) and `drop` — under all
 * four verification variants, plus the clean runs:
 *  - V2 silently accepts wrong pages after the reset; V3 catches the first one
 *    and accepts none;
 *  - injected comes from the emulator, and no variant detects more than was
 *    injected;
 *  - clean runs show zero false positives and zero wrong pages;
 *  - --json prints the result file with faults.matrix[kind][variant].
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, spawnCli, hasStackTrace, descendantsOf, alive, until } from '../robustness/helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'psb-faults-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const VARIANTS = ['v2', 'v2+checksum', 'v3', 'v3+checksum'];

test('faults --kinds stale,drop: V2 accepts wrong pages, V3 catches the first, clean runs are clean', { timeout: 120_000 }, async () => {
  const out = path.join(dir, 'study.json');
  const r = await runCli(['faults', '--kinds', 'stale,drop', '--duration', '0.6', '--rate-per-fault', '0.005', '--connections', '2', '--pipeline', '16',
    '--workers', '1', '--clean-rounds', '1', '--emulator-args=--relations 3000,2000,1000', '--json', '--quiet', '--out', out], { timeoutMs: 110_000 });
  assert.equal(r.timedOut, false, 'faults hung');
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
  const res = JSON.parse(r.stdout);
  assert.deepEqual(res, JSON.parse(readFileSync(out, 'utf8')), '--json output differs from the result file');
  assert.equal(res.schema, 'pagestream-bench.result/v1');
  assert.equal(res.partial, false);
  const m = res.faults.matrix;
  for (const kind of ['stale', 'drop']) {
    for (const v of VARIANTS) {
      const c = m[kind]?.[v];
      assert.ok(c, `matrix.${kind}.${v} missing`);
      for (const f of ['injected', 'detected', 'undetected', 'falsePositives']) assert.equal(typeof c[f], 'number', `${kind}/${v}.${f}`);
      assert.ok(c.injected >= 1, `${kind}/${v}: nothing injected (${JSON.stringify(c)})`);
      assert.ok(c.detected <= c.injected, `${kind}/${v}: detected ${c.detected} > injected ${c.injected}`);
      assert.equal(c.falsePositives, 0, `${kind}/${v}: false positives ${JSON.stringify(c)}`);
    }
    // The seed scenario: V2 accepts wrong pages and flags nothing …
    assert.equal(m[kind].v2.detected, 0, `${kind}/v2 detected something without an echo`);
    assert.ok(m[kind].v2.undetected > 0, `${kind}/v2 accepted no wrong page: ${JSON.stringify(m[kind].v2)}`);
    // … V3 catches the first wrong response (reqid differs) and accepts none.
    for (const v of ['v3', 'v3+checksum']) {
      assert.equal(m[kind][v].undetected, 0, `${kind}/${v} accepted a wrong page`);
      assert.ok(m[kind][v].detected >= 1, `${kind}/${v} detected nothing`);
      assert.ok((m[kind][v].mismatchesByField.reqid ?? 0) >= 1, `${kind}/${v}: not caught by reqid: ${JSON.stringify(m[kind][v].mismatchesByField)}`);
    }
  }
  // One drop makes every later page on its connection wrong under V2.
  assert.ok(m.drop.v2.undetected > m.drop.v2.injected, `drop/v2: ${m.drop.v2.undetected} wrong pages from ${m.drop.v2.injected} drops`);
  // The stale row was staged with connection resets (the seed: reset without ring reset).
  assert.ok(m.stale.v2.companions.close >= 1);
  for (const v of VARIANTS) {
    const c = res.faults.clean[v];
    assert.ok(c, `clean.${v} missing`);
    assert.equal(c.falsePositives, 0, `clean ${v}: false positives`);
    assert.equal(c.undetected, 0, `clean ${v}: wrong pages accepted with nothing injected`);
    assert.ok(c.responses > 0 && c.throughputRps > 0 && c.cpuPerResponseUs > 0);
  }
});

test('faults --kinds corrupt: the oracle measures corrupted pages accepted (V3 alone), checksums catch them', { timeout: 60_000 }, async () => {
  const out = path.join(dir, 'corrupt.json');
  const r = await runCli(['faults', '--kinds', 'corrupt', '--variants', 'v3,v3+checksum', '--no-clean', '--duration', '0.6', '--rate-per-fault', '0.01',
    '--connections', '2', '--pipeline', '16', '--workers', '1', '--emulator-args=--relations 3000,2000,1000', '--quiet', '--out', out], { timeoutMs: 55_000 });
  assert.equal(r.timedOut, false, 'faults hung');
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
  const m = JSON.parse(readFileSync(out, 'utf8')).faults.matrix.corrupt;
  for (const v of ['v3', 'v3+checksum']) {
    assert.equal(m[v].undetectedBasis, 'oracle', `corrupt/${v}: not measured: ${JSON.stringify(m[v])}`);
    assert.equal(m[v].undetected, m[v].oracleUndetected);
    assert.ok(m[v].injected >= 3, `corrupt/${v}: only ${m[v].injected} injected`);
    assert.equal(m[v].falsePositives, 0, JSON.stringify(m[v]));
  }
  // The echo is right, so V3 flags nothing and accepts corrupted pages — counted, at most one per injection.
  assert.equal(m.v3.detected, 0, JSON.stringify(m.v3));
  assert.ok(m.v3.undetected >= 1 && m.v3.undetected <= m.v3.injected, `corrupt/v3: ${m.v3.undetected} accepted of ${m.v3.injected} injected`);
  // Page checksums catch them: detected as checksum mismatches, none accepted.
  assert.ok(m['v3+checksum'].detected >= 1 && (m['v3+checksum'].mismatchesByField.checksum ?? 0) >= 1, JSON.stringify(m['v3+checksum']));
  assert.equal(m['v3+checksum'].undetected, 0, JSON.stringify(m['v3+checksum']));
});

test('faults: SIGINT mid-study writes a partial result, exits 130, leaves no emulator behind', { timeout: 60_000 }, async () => {
  const out = path.join(dir, 'partial.json');
  const h = spawnCli(['faults', '--kinds', 'drop', '--duration', '30', '--emulator-args=--relations 2000,1000', '--connections', '1', '--pipeline', '4', '--workers', '1', '--quiet', '--out', out], { timeoutMs: 50_000 });
  let emu = 0;
  assert.ok(await until(() => {
    const e = descendantsOf(h.child.pid!).find((d) => / serve( |$)/.test(d.args));
    if (e) emu = e.pid;
    return emu !== 0;
  }, 15_000), 'no emulator child');
  await new Promise((r) => setTimeout(r, 1500));
  h.child.kill('SIGINT');
  const r = await h.done;
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 130, r.stderr);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.ok(existsSync(out));
  const res = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(res.partial, true);
  assert.ok(res.faults.matrix.drop.v2, 'the interrupted cell is missing');
  assert.ok(await until(() => !alive(emu), 3000), 'emulator outlived the study');
});

test('faults: bad options name the option', async () => {
  for (const [argv, name] of [[['--kinds', 'drop,bogus'], '--kinds'], [['--variants', 'v4'], '--variants'], [['--rate-per-fault', '2'], '--rate-per-fault'], [['--duration', 'x'], '--duration'], [['--emulator-args=--faults drop=1'], '--emulator-args']] as const) {
    const r = await runCli(['faults', ...argv]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(name), r.stderr);
  }
});

test('faults: a cell whose emulator fails is reported, the others still run, the result is written, exit 2', { timeout: 60_000 }, async () => {
  const out = path.join(dir, 'failing.json');
  const r = await runCli(['faults', '--kinds', 'drop', '--variants', 'v2,v3', '--no-clean', '--duration', '0.3', '--emulator-args=--no-such-flag', '--quiet', '--out', out], { timeoutMs: 50_000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.match(r.stderr.trim().split('\n').pop()!, /^pagestream-bench faults: 2 cell\(s\) could not be measured \(first: drop\/v2: .*no-such-flag/);
  const res = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(res.faults.matrix, {});
  assert.equal(res.faults.notes.filter((n: string) => n.startsWith('not measured: drop/')).length, 2);
});
