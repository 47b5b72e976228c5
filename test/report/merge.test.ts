import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeResults } from '../../src/report/merge.js';
import { decodeHistogram } from '../../src/report/histo.js';
import type { PagestreamResult } from '../../src/report/result.js';
import { makeResult } from './helpers/fixture.js';
import { runCli } from './helpers/cli.js';

const s0 = makeResult({ seed: 21, sampleScale: 0.05, shard: { index: 0, count: 2 } });
// The second host is slower and started 300 ms later.
const s1 = makeResult({
  seed: 22, sampleScale: 0.05, shard: { index: 1, count: 2 }, startedAt: '2026-11-21T10:00:00.300Z',
  variants: {
    v2: { medianUs: 260, throughputRps: 30000, responseFrameBytes: 8214, cpuPerResponseUs: 12, errors: { timeout: 2 } },
    v3: { medianUs: 270, throughputRps: 29000, responseFrameBytes: 8255, cpuPerResponseUs: 12.5, mismatches: { blkno: 3 } },
    'v3-noverify': { medianUs: 265, throughputRps: 29500, responseFrameBytes: 8255, cpuPerResponseUs: 12.2 },
  },
});

test('merge: counters are sums, histograms are added exactly, percentiles and comparisons recomputed', () => {
  const { result: m, warnings } = mergeResults([{ file: 'a.json', result: s0 }, { file: 'b.json', result: s1 }]);
  assert.deepEqual(warnings, []);
  for (const v of ['v2', 'v3', 'v3-noverify'] as const) {
    const a = s0.variants[v]!;
    const b = s1.variants[v]!;
    const x = m.variants[v]!;
    for (const k of ['responses', 'errors', 'mismatches', 'bytesReceived', 'bytesSent'] as const) assert.equal(x[k], a[k] + b[k], `${v}.${k}`);
    assert.equal(x.throughputRps, a.throughputRps + b.throughputRps);
    assert.equal(x.cpu.userUs, a.cpu.userUs + b.cpu.userUs);
    const ha = decodeHistogram(a.latencyUs.histogram);
    const hb = decodeHistogram(b.latencyUs.histogram);
    const hm = decodeHistogram(x.latencyUs.histogram);
    assert.equal(hm.totalCount, ha.totalCount + hb.totalCount, `${v}: every recorded value is in the merged histogram`);
    assert.equal(x.latencyUs.count, x.responses);
    assert.equal(hm.maxValue, Math.max(ha.maxValue, hb.maxValue));
    assert.equal(hm.minNonZeroValue, Math.min(ha.minNonZeroValue, hb.minNonZeroValue));
    // Exact addition keeps the mean exact; averaging percentiles would not.
    const mean = (ha.mean * ha.totalCount + hb.mean * hb.totalCount) / (ha.totalCount + hb.totalCount);
    assert.ok(Math.abs(hm.mean - mean) < 1e-6 * mean, `${v}: mean ${hm.mean} vs ${mean}`);
    for (const p of ['p50', 'p99', 'p999'] as const) {
      const lo = Math.min(a.latencyUs[p], b.latencyUs[p]);
      const hi = Math.max(a.latencyUs[p], b.latencyUs[p]);
      assert.ok(x.latencyUs[p] >= lo && x.latencyUs[p] <= hi, `${v} ${p} ${x.latencyUs[p]} within [${lo}, ${hi}]`);
    }
    // Shard 1 recorded fewer, slower values: the merged median sits closer to shard 0's.
    assert.ok(Math.abs(x.latencyUs.p50 - a.latencyUs.p50) < Math.abs(x.latencyUs.p50 - b.latencyUs.p50));
    assert.equal(x.rounds.length, a.rounds.length);
    assert.equal(x.rounds[0]!.responses, a.rounds[0]!.responses + b.rounds[0]!.responses);
  }
  assert.deepEqual(m.variants.v3!.mismatchesByField, { blkno: 3 });
  assert.deepEqual(m.variants.v2!.errorsByClass, { timeout: 2 });
  const c = m.comparison.v3!;
  const perRound = m.variants.v3!.rounds.map((r, i) => r.throughputRps / m.variants.v2!.rounds[i]!.throughputRps).sort((x, y) => x - y);
  assert.equal(c.throughputRatio, perRound[1], 'median of the per-round ratios of the merged rounds');
  assert.equal(c.p99Ratio, m.variants.v3!.latencyUs.p99 / m.variants.v2!.latencyUs.p99);
  assert.ok(c.spread?.throughputRatio, 'per-round spread recomputed');
  assert.equal(m.config.shard, undefined);
  assert.deepEqual(m.mergedFrom, [{ file: 'a.json', shard: { index: 0, count: 2 } }, { file: 'b.json', shard: { index: 1, count: 2 } }]);
  assert.equal(m.startedAt, s0.startedAt);
  assert.equal(m.finishedAt, s1.finishedAt);
  // Interval histograms: added by wall-clock second, nothing lost.
  const count = (r: PagestreamResult): number => (r.intervals?.v2 ?? []).reduce((n, i) => n + decodeHistogram(i.histogram).totalCount, 0);
  assert.equal(count(m), count(s0) + count(s1));
  assert.equal(m.intervals!.v2!.length, s0.intervals!.v2!.length, 'shard seconds aligned, not interleaved');
});

test('merge: paired CPU ratios of a round merge weighted by responses; one shard without them falls back to the totals', () => {
  const withPaired = (r: PagestreamResult, ratios: number[]): PagestreamResult => {
    const c = structuredClone(r);
    c.variants.v3!.rounds.forEach((x, i) => { x.pairedCpu = { base: 'v2', ratio: ratios[i]!, cycles: 200 }; });
    return c;
  };
  const a = withPaired(s0, [1.01, 1.02, 1.03]);
  const b = withPaired(s1, [1.05, 0.99, 1.04]);
  const { result: m } = mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
  const merged = m.variants.v3!.rounds.map((x) => x.pairedCpu!);
  [0, 1, 2].forEach((i) => {
    const ra = a.variants.v3!.rounds[i]!, rb = b.variants.v3!.rounds[i]!;
    const want = (ra.pairedCpu!.ratio * ra.responses + rb.pairedCpu!.ratio * rb.responses) / (ra.responses + rb.responses);
    assert.ok(Math.abs(merged[i]!.ratio - want) < 1e-12, `round ${i + 1}: ${merged[i]!.ratio} vs ${want}`);
    assert.equal(merged[i]!.cycles, 400);
    assert.equal(merged[i]!.base, 'v2');
  });
  const c = m.comparison.v3!;
  assert.equal(c.cpuPerResponseRatioFrom, 'cycles');
  assert.equal(c.cpuPerResponseRatio, [...merged.map((x) => x.ratio)].sort((x, y) => x - y)[1]);
  const totals = m.variants.v3!.rounds.map((x, i) => x.cpuPerResponseUs / m.variants.v2!.rounds[i]!.cpuPerResponseUs).sort((x, y) => x - y);
  assert.equal(c.cpuPerResponseRatioTotals, totals[1]);
  // A shard from a run without slices: no paired figure survives, and the headline is the totals.
  const { result: m2 } = mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: s1 }]);
  assert.equal(m2.variants.v3!.rounds.some((x) => x.pairedCpu), false);
  assert.equal(m2.comparison.v3!.cpuPerResponseRatioFrom, 'totals');
  assert.equal(m2.comparison.v3!.cpuPerResponseRatio, m2.comparison.v3!.cpuPerResponseRatioTotals);
});

test('merge: a missing shard is a warning; duplicates, other shard counts, other configs, disjoint windows are errors', () => {
  const s0of3 = makeResult({ seed: 21, sampleScale: 0.02, shard: { index: 0, count: 3 } });
  const s2of3 = makeResult({ seed: 23, sampleScale: 0.02, shard: { index: 2, count: 3 } });
  const { warnings } = mergeResults([{ file: 'a', result: s0of3 }, { file: 'c', result: s2of3 }]);
  assert.match(warnings[0]!, /merging 2 of 3 shards: shard\(s\) 1 missing/);
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }, { file: 'b', result: s0 }]), /b: shard 0\/2 given twice \(also a\)/);
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }, { file: 'c', result: s2of3 }]), /c: configuration differs from a: .*shard|split 3 ways/);
  const otherPattern = makeResult({ seed: 22, sampleScale: 0.02, shard: { index: 1, count: 2 }, config: { pattern: 'sequential' } });
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }, { file: 'b', result: otherPattern }]), /b: configuration differs from a: pattern "sequential" \(a: "uniform"\)/);
  // Per-host kernel facts differ between load hosts of one run: not a configuration difference.
  const otherHost = makeResult({ seed: 22, sampleScale: 0.02, shard: { index: 1, count: 2 }, config: { tcpRcvbufAutotuning: false, rcvbuf: { requestedBytes: 4194304, appliedBytes: 425984, connectsWithout: 0 } } });
  const host0 = { ...s0, config: { ...s0.config, tcpRcvbufAutotuning: true, rcvbuf: { requestedBytes: 4194304, appliedBytes: 8388608, connectsWithout: 0 } } };
  assert.doesNotThrow(() => mergeResults([{ file: 'a', result: host0 }, { file: 'b', result: otherHost }]));
  const later = makeResult({ seed: 22, sampleScale: 0.02, shard: { index: 1, count: 2 }, startedAt: '2026-11-21T10:05:00.000Z' });
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }, { file: 'b', result: later }]), /b: time window .* does not overlap a/);
  const unsharded = makeResult({ seed: 22, sampleScale: 0.02 });
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }, { file: 'u', result: unsharded }]), /configuration differs|u: not a shard/);
  assert.throws(() => mergeResults([{ file: 'a', result: s0 }]), /at least two/);
});

test('merge CLI: writes the merged file; bad input exits 2 with one line and writes nothing', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-merge-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  writeFileSync(a, JSON.stringify(s0));
  writeFileSync(b, JSON.stringify(s1));
  const out = join(dir, 'out', 'merged.json');
  const ok = await runCli(['merge', a, b, '--out', out]);
  assert.equal(ok.code, 0, ok.stderr);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as PagestreamResult;
  assert.equal(merged.variants.v2!.responses, s0.variants.v2!.responses + s1.variants.v2!.responses);
  assert.match(ok.stdout, /^v2 +[\d,]+ responses/m);

  const truncated = join(dir, 'trunc.json');
  writeFileSync(truncated, JSON.stringify(s1).slice(0, 4000));
  const cases: Array<[string[], RegExp]> = [
    [[a, join(dir, 'missing.json')], /missing\.json: no such file/],
    [[a, truncated], /trunc\.json: not valid JSON, truncated or corrupt/],
    [[a, a], /a\.json: shard 0\/2 given twice/],
  ];
  for (const [files, re] of cases) {
    const bad = join(dir, 'bad-out.json');
    const r = await runCli(['merge', ...files, '--out', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(bad), false, 'nothing written');
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary files left behind');
  const noOut = await runCli(['merge', a, b]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out/);
});
