/**
 * Two load hosts, for real: two `run --shard i/2` processes at the same time
 * (each against its own embedded emulator, same dataset and seed), merged by the
 * `merge` command. The merged counters equal the sums of the shards', and the
 * merged percentiles lie between the shards'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHistogram } from '../../src/report/histo.js';
import type { PagestreamResult } from '../../src/report/result.js';
import { runCli } from './helpers/cli.js';

test('two shard processes merged: totals are the sums, percentiles consistent', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-shards-'));
  const files = [join(dir, 'shard0.json'), join(dir, 'shard1.json')];
  const common = ['--duration', '1', '--warmup', '0.1', '--rounds', '2', '--connections', '2', '--pipeline', '4', '--workers', '1', '--quiet'];
  const runs = await Promise.all(files.map((out, i) => runCli(['run', '--shard', `${i}/2`, ...common, '--out', out], { timeoutMs: 60_000 })));
  runs.forEach((r, i) => assert.equal(r.code, 0, `shard ${i}: exit ${r.code} (1 = mismatches, none injected here)\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`));
  const shards = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as PagestreamResult);
  shards.forEach((s, i) => assert.deepEqual(s.config.shard, { index: i, count: 2 }));

  const out = join(dir, 'merged.json');
  const m = await runCli(['merge', ...files, '--out', out]);
  assert.equal(m.code, 0, m.stderr);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as PagestreamResult;
  assert.deepEqual(Object.keys(merged.variants).sort(), Object.keys(shards[0]!.variants).sort());
  for (const [v, x] of Object.entries(merged.variants)) {
    const parts = shards.map((s) => s.variants[v as 'v2']!);
    for (const k of ['responses', 'errors', 'mismatches', 'bytesReceived', 'bytesSent'] as const) {
      assert.equal(x[k], parts[0]![k] + parts[1]![k], `${v}.${k}`);
    }
    assert.ok(x.responses > 0, `${v}: the shards measured something`);
    const h = decodeHistogram(x.latencyUs.histogram);
    assert.equal(h.totalCount, parts[0]!.latencyUs.count + parts[1]!.latencyUs.count, `${v}: merged histogram holds every recorded latency`);
    for (const p of ['p50', 'p90', 'p99', 'p999'] as const) {
      const lo = Math.min(parts[0]!.latencyUs[p], parts[1]!.latencyUs[p]);
      const hi = Math.max(parts[0]!.latencyUs[p], parts[1]!.latencyUs[p]);
      assert.ok(x.latencyUs[p] >= lo && x.latencyUs[p] <= hi, `${v} ${p}: ${x.latencyUs[p]} between the shards' ${lo} and ${hi}`);
    }
    // Max within the histogram's precision: the same value every HdrHistogram reader sees in the shards.
    assert.equal(x.latencyUs.max, Math.max(...parts.map((p) => decodeHistogram(p.latencyUs.histogram).maxValue)));
  }
  assert.equal(merged.mergedFrom?.length, 2);
  assert.ok(merged.comparison.v3, 'comparison recomputed');
  // The merged result is a valid input to report and gate.
  const rep = await runCli(['report', out, '--markdown', '-']);
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stdout, /merged from 2 shards/);
});
