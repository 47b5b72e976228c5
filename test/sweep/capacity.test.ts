/**
 * End to end: `pagestream-bench sweep` against the embedded emulator with a
 * service model whose capacity is known in closed form, so the sweep's answer
 * can be checked against the model rather than against itself.
 *
 * Model: every request takes 2 ms (--latency 2ms), one request in service at a
 * time per connection (--max-batch 1, --concurrency-per-connection 1), so
 * 4 connections serve at most 4 / 2 ms = 2,000 requests/s. 2 ms is large
 * against this machine's scheduling noise, and the steps bracket the capacity
 * closely enough (≤ 7.5 % apart around it) that the answer is within 10 %.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PagestreamResult } from '../../src/report/result.js';
import type { SweepSummary } from '../../src/sweep/types.js';

const BIN = fileURLToPath(new URL('../../../bin/pagestream-bench.js', import.meta.url));
const MODEL_CAPACITY = 4 / 0.002; // requests/s

function sweep(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'sweep', ...args], { timeout: 80_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

test('sweep finds the emulator model\'s capacity (4 connections × one 2 ms request at a time = 2,000/s) within 10 %', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweep-'));
  try {
    const out = path.join(dir, 'sweep.json');
    const r = await sweep([
      // A small dataset: the emulator prefills it quickly; the model does not depend on it.
      '--emulator-args=--latency 2ms --max-batch 1 --concurrency-per-connection 1 --relations 2000',
      '--protocol', 'v3',
      '--connections', '4',
      '--pipeline', '32',
      '--workers', '1',
      // Dense around the model's 2,000/s.
      '--rates', '1400,1600,1800,1900,2000,2150,2300,2500',
      '--duration', '1.5', '--warmup', '0.5',
      '--slo', 'p99=250ms',
      // 10 %: a step keeps up at >= 90 % of its offered rate. Above the model's
      // capacity that fails from 2,300/s (2,000 / 2,300 = 87 %), so the answer
      // is at most 2,150/s; below it, a backlog left at the window's end by a
      // scheduling hiccup of a busy machine does not fail a step.
      '--tolerance', '10',
      '--stop-after', '2',
      '--quiet', '--json',
      '--out', out,
    ]);
    // The JSON is printed whatever the exit code (1 = a step saw mismatches).
    assert.ok(r.stdout.trim().startsWith('{'), `no result on stdout (exit ${r.code}): ${r.stderr}`);
    const result = JSON.parse(r.stdout) as PagestreamResult;
    const s = result.sweep as SweepSummary;
    const v3 = s.variants.v3!;
    assert.ok(v3.maxSustainable, `no sustainable step: ${v3.conclusion}`);
    const found = v3.maxSustainable.offered;
    assert.ok(Math.abs(found - MODEL_CAPACITY) <= 0.1 * MODEL_CAPACITY, `max sustainable ${found}/s is not within 10 % of the model's ${MODEL_CAPACITY}/s: ${v3.conclusion}`);
    // The step above it failed because the server (the model) ran out, not the client.
    const above = s.steps.find((st) => st.index === v3.maxSustainable!.step + 1)?.variants.v3?.verdict;
    assert.ok(above && !(above.meetsSlo && above.keepsUp), 'the next step up fails');
    assert.equal(above.limitedBy, 'server', above.reason);
    assert.equal(v3.clientLimited, false, v3.reasons.join('; '));
    // No step can serve more than the model allows (+3 % for window edges).
    for (const st of s.steps) assert.ok(st.variants.v3!.achievedRps <= MODEL_CAPACITY * 1.03, `step ${st.index}: ${st.variants.v3!.achievedRps}/s`);
    // Against a fault-free emulator every response matches its request, so the sweep exits 0.
    const mismatched = s.steps.filter((st) => st.variants.v3!.mismatches > 0).map((st) => `step ${st.index}: ${st.variants.v3!.mismatches}`);
    assert.deepEqual(mismatched, [], 'false mismatches from the open-loop client (an earlier cause, fixed in 07ddd16: a waiting connection\'s timer tick sent requests before the round started)');
    assert.equal(r.code, 0, r.stderr);
    // The same result went to the file, with the HTML plot next to it.
    const file = JSON.parse(readFileSync(out, 'utf8')) as PagestreamResult;
    assert.equal(file.schema, 'pagestream-bench.result/v1');
    assert.deepEqual((file.sweep as SweepSummary).variants.v3!.maxSustainable, v3.maxSustainable);
    assert.ok(file.variants.v3 && file.variants.v3.responses > 0);
    const html = readFileSync(out.replace(/\.json$/, '.html'), 'utf8');
    assert.match(html, /<g class="knee" data-step="\d+"/);
    assert.match(html, new RegExp(`<g class="max-sustainable" data-step="${v3.maxSustainable.step}"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
