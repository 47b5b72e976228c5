import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THRESHOLDS, evaluateGate, parseGateConfig, checkGateCompatible } from '../../src/report/gate.js';
import type { GateRow } from '../../src/report/gate.js';
import type { PagestreamResult } from '../../src/report/result.js';
import { DEFAULT_SHAPES, makeResult } from './helpers/fixture.js';
import type { VariantShape } from './helpers/fixture.js';
import { runCli } from './helpers/cli.js';

const shapes = (f: (v: 'v2' | 'v3' | 'v3-noverify', s: VariantShape) => VariantShape) => ({
  v2: f('v2', { ...DEFAULT_SHAPES.v2 }),
  v3: f('v3', { ...DEFAULT_SHAPES.v3 }),
  'v3-noverify': f('v3-noverify', { ...DEFAULT_SHAPES['v3-noverify'] }),
});
const row = (rows: GateRow[], check: string, variant: string): GateRow => {
  const r = rows.find((x) => x.check === check && x.variant === variant);
  assert.ok(r, `row ${check} / ${variant}`);
  return r;
};

const base = makeResult({ seed: 1, sampleScale: 0.05 });

test('gate: the same code on the same machine passes', () => {
  const cur = makeResult({ seed: 2, sampleScale: 0.05 });
  const rep = evaluateGate(base, cur, DEFAULT_THRESHOLDS);
  assert.equal(rep.exitCode, 0, JSON.stringify(rep.rows.filter((r) => r.verdict !== 'pass')));
  assert.ok(rep.rows.every((r) => r.verdict === 'pass'));
  // Ratios come before absolute figures.
  const kinds = rep.rows.map((r) => r.kind);
  assert.ok(kinds.lastIndexOf('same-run ratio') < kinds.indexOf('absolute'));
});

test('gate: a throughput regression of every variant fails the absolute check, not the ratio', () => {
  const cur = makeResult({ seed: 2, sampleScale: 0.05, variants: shapes((_, s) => ({ ...s, throughputRps: s.throughputRps * 0.85 })) });
  const rep = evaluateGate(base, cur, DEFAULT_THRESHOLDS);
  assert.equal(rep.exitCode, 1);
  for (const v of ['v2', 'v3', 'v3-noverify']) assert.equal(row(rep.rows, 'throughput', v).verdict, 'fail');
  assert.equal(row(rep.rows, 'v3 throughput overhead vs v2', 'v3').verdict, 'pass', 'a slower machine does not change V3 over V2');
});

test('gate: V3 overhead above the limit fails even when absolute figures improve (a faster machine)', () => {
  const cur = makeResult({ seed: 2, sampleScale: 0.05, variants: shapes((v, s) => ({ ...s, throughputRps: s.throughputRps * (v === 'v3' ? 1.5 * 0.95 : 1.5) })) });
  const rep = evaluateGate(base, cur, DEFAULT_THRESHOLDS);
  const r = row(rep.rows, 'v3 throughput overhead vs v2', 'v3');
  assert.equal(r.verdict, 'fail');
  assert.equal(row(rep.rows, 'throughput', 'v3').verdict, 'pass');
  assert.equal(rep.exitCode, 1);
  // A looser limit lets it pass.
  assert.equal(row(evaluateGate(base, cur, { ...DEFAULT_THRESHOLDS, maxV3Overhead: 8 }).rows, 'v3 throughput overhead vs v2', 'v3').verdict, 'pass');
});

test('gate: p99 and CPU/response regressions, mismatches and errors fail', () => {
  const cur = makeResult({ seed: 2, sampleScale: 0.05, variants: shapes((v, s) => ({ ...s, medianUs: s.medianUs * 1.3, cpuPerResponseUs: s.cpuPerResponseUs * 1.2, ...(v === 'v3' ? { mismatches: { reqid: 1 }, errors: { timeout: 5000 } } : {}) })) });
  const rep = evaluateGate(base, cur, DEFAULT_THRESHOLDS);
  assert.equal(row(rep.rows, 'p99 latency', 'v2').verdict, 'fail');
  assert.equal(row(rep.rows, 'CPU/response', 'v2').verdict, 'fail');
  assert.equal(row(rep.rows, 'mismatches', 'v3').verdict, 'fail');
  assert.equal(row(rep.rows, 'mismatches', 'v2').verdict, 'pass');
  assert.equal(row(rep.rows, 'error rate', 'v3').verdict, 'fail');
});

test('gate: a noisy machine makes a small breach unreliable (warn), --strict fails it, a big breach still fails', () => {
  // Round-to-round throughput of v2 varies by 15% (max - min over median) in both runs.
  const withRounds = (r: PagestreamResult, level: number): PagestreamResult => {
    const v2 = r.variants.v2!;
    [0.93, 1.0, 1.08].forEach((f, i) => (v2.rounds[i]!.throughputRps = level * f));
    v2.throughputRps = level;
    return r;
  };
  const noisyBase = withRounds(makeResult({ seed: 1, sampleScale: 0.05 }), 10000);
  const small = withRounds(makeResult({ seed: 2, sampleScale: 0.05 }), 9300); // -7%: over the 5% limit, inside the 15% noise
  const rep = evaluateGate(noisyBase, small, DEFAULT_THRESHOLDS);
  const r = row(rep.rows, 'throughput', 'v2');
  assert.equal(r.verdict, 'warn');
  assert.match(r.unreliable!, /within the round-to-round spread \(15\.0%\)/);
  assert.equal(rep.exitCode, 0, 'a warning does not fail the gate');
  assert.ok(rep.notes.some((n) => /unreliable/.test(n)));
  const strict = evaluateGate(noisyBase, small, { ...DEFAULT_THRESHOLDS, strict: true });
  assert.equal(row(strict.rows, 'throughput', 'v2').verdict, 'fail');
  assert.equal(strict.exitCode, 1);
  const big = withRounds(makeResult({ seed: 2, sampleScale: 0.05 }), 6000); // -40%: not noise
  assert.equal(row(evaluateGate(noisyBase, big, DEFAULT_THRESHOLDS).rows, 'throughput', 'v2').verdict, 'fail');
  const same = withRounds(makeResult({ seed: 2, sampleScale: 0.05 }), 10000);
  const ok = row(evaluateGate(noisyBase, same, DEFAULT_THRESHOLDS).rows, 'throughput', 'v2');
  assert.equal(ok.verdict, 'pass');
  assert.match(ok.unreliable!, /could hide in the noise/, 'a pass on a noisy machine says it could not see a regression of the limit\'s size');
});

test('gate: per-round ratio spread straddling the limit marks the ratio check unreliable', () => {
  const cur = makeResult({ seed: 2, sampleScale: 0.05 }) as PagestreamResult;
  const c = cur.comparison.v3!;
  c.throughputRatio = 0.975; // 2.5% overhead: a breach of the 2% limit
  c.spread = { ...c.spread, throughputRatio: { median: 0.975, min: 0.95, max: 0.995 } };
  const r = row(evaluateGate(base, cur, DEFAULT_THRESHOLDS).rows, 'v3 throughput overhead vs v2', 'v3');
  assert.equal(r.verdict, 'warn');
  assert.match(r.unreliable!, /straddles/);
  c.spread.throughputRatio = { median: 0.975, min: 0.97, max: 0.978 };
  assert.equal(row(evaluateGate(base, cur, DEFAULT_THRESHOLDS).rows, 'v3 throughput overhead vs v2', 'v3').verdict, 'fail');
});

test('gate: incompatible configurations and partial results are input errors', () => {
  assert.throws(() => checkGateCompatible(base, makeResult({ seed: 2, sampleScale: 0.05, config: { pipeline: 8 } }), 'a.json', 'b.json'), /b\.json: incompatible with baseline a\.json: pipeline 32 vs 8/);
  assert.throws(() => checkGateCompatible(base, makeResult({ seed: 2, sampleScale: 0.05, config: { pattern: 'zipf:1.1' } }), 'a.json', 'b.json'), /pattern/);
  const partial = makeResult({ seed: 2, sampleScale: 0.05 });
  partial.partial = true;
  partial.partialReason = 'SIGINT';
  assert.throws(() => checkGateCompatible(base, partial, 'a.json', 'b.json'), /b\.json: partial result \(SIGINT\)/);
});

test('gate config file: option names or camelCase, percentages or numbers; unknown keys rejected', () => {
  assert.deepEqual(parseGateConfig('{"max-p99-rise":"15%","maxV3Overhead":1.5,"strict":true}', 'g.json'), { maxP99Rise: 15, maxV3Overhead: 1.5, strict: true });
  assert.throws(() => parseGateConfig('{"max-p99":"15%"}', 'g.json'), /g\.json: unknown threshold "max-p99"/);
  assert.throws(() => parseGateConfig('{"max-p99-rise":"lots"}', 'g.json'), /must be a non-negative number/);
  assert.throws(() => parseGateConfig('[1]', 'g.json'), /expected a JSON object/);
});

test('gate CLI: exit 0 / 1 / 2, Markdown verdict table on stdout, options override the config file', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-gate-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  const slow = join(dir, 'slow.json');
  writeFileSync(a, JSON.stringify(base));
  writeFileSync(b, JSON.stringify(makeResult({ seed: 2, sampleScale: 0.05 })));
  writeFileSync(slow, JSON.stringify(makeResult({ seed: 2, sampleScale: 0.05, variants: shapes((_, s) => ({ ...s, throughputRps: s.throughputRps * 0.85 })) })));
  const cfg = join(dir, 'gate.json');
  writeFileSync(cfg, JSON.stringify({ 'max-throughput-drop': '20%' }));

  const pass = await runCli(['gate', '--baseline', a, b]);
  assert.equal(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, /^## pagestream-bench gate: ✅ pass/);
  assert.match(pass.stdout, /\n\| check \| kind \| variant \| baseline \| current \| change \| limit \| verdict \| reliability \|\n/);

  const fail = await runCli(['gate', '--baseline', a, slow]);
  assert.equal(fail.code, 1);
  assert.match(fail.stdout, /❌ regression/);
  assert.match(fail.stdout, /\| throughput \| absolute \| v2 \|.*❌ FAIL/);

  const loose = await runCli(['gate', '--baseline', a, slow, '--config', cfg]);
  assert.equal(loose.code, 0, 'the config file loosened the limit: ' + loose.stdout);
  const tight = await runCli(['gate', '--baseline', a, slow, '--config', cfg, '--max-throughput-drop', '5%']);
  assert.equal(tight.code, 1, 'the option overrides the config file');

  const incompatible = join(dir, 'c.json');
  writeFileSync(incompatible, JSON.stringify(makeResult({ seed: 2, sampleScale: 0.05, config: { connections: 64 } })));
  const inc = await runCli(['gate', '--baseline', a, incompatible]);
  assert.equal(inc.code, 2);
  assert.equal(inc.stdout, '');
  assert.match(inc.stderr, /^pagestream-bench gate: .*c\.json: incompatible with baseline .*a\.json: connections 4 vs 64\n$/);

  const old = join(dir, 'old.json');
  writeFileSync(old, JSON.stringify({ ...base, schema: 'pagestream-bench.result/v0' }));
  const schema = await runCli(['gate', '--baseline', old, b]);
  assert.equal(schema.code, 2);
  assert.match(schema.stderr, /^pagestream-bench gate: .*old\.json: result schema "pagestream-bench\.result\/v0" is not supported/);
  const truncated = join(dir, 'trunc.json');
  writeFileSync(truncated, JSON.stringify(base).slice(0, 1000));
  const trunc = await runCli(['gate', '--baseline', a, truncated]);
  assert.equal(trunc.code, 2);
  assert.match(trunc.stderr, /trunc\.json: not valid JSON, truncated or corrupt/);
  assert.equal(trunc.stdout, '', 'no verdict table for bad input');

  const noBase = await runCli(['gate', b]);
  assert.equal(noBase.code, 2);
  assert.match(noBase.stderr, /--baseline/);
  const badCfg = await runCli(['gate', '--baseline', a, b, '--config', join(dir, 'nope.json')]);
  assert.equal(badCfg.code, 2);
  assert.match(badCfg.stderr, /nope\.json: cannot read gate config/);
});
