import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweep } from '../../src/sweep/engine.js';
import { ANALYZE_DEFAULTS } from '../../src/sweep/analyze.js';
import { rateSteps } from '../../src/sweep/plan.js';
import { parseSlos } from '../../src/sweep/slo.js';
import { renderSweepHtml, renderVariantSvg } from '../../src/sweep/plot.js';
import { renderSweepTable } from '../../src/sweep/table.js';
import { modelMeasurement } from './helpers/synthetic.js';

const model = { capacity: 2000, serviceUs: 2000 };

async function sweep(stopAfter: number) {
  const measured: number[] = [];
  const s = await runSweep(
    { ...ANALYZE_DEFAULTS, mode: 'rate', slo: parseSlos(['p99=10ms']), plan: rateSteps(1000, 4000, 13, 'linear', 4, 32), variants: ['v3'], stopAfter },
    async (p) => {
      measured.push(p.rate!);
      return { v3: modelMeasurement(p.rate!, model) };
    },
  );
  return { s, measured };
}

test('engine: measures lowest load first and stops after N consecutive failing steps', async () => {
  const { s, measured } = await sweep(2);
  // 1000..4000 by 250: 2000 is the last passing step, 2250 and 2500 fail, then it stops.
  assert.deepEqual(measured, [1000, 1250, 1500, 1750, 2000, 2250, 2500]);
  assert.equal(s.stoppedEarlyAfterStep, 6);
  assert.equal(s.variants.v3!.maxSustainable!.offered, 2000);
  const all = await sweep(0);
  assert.equal(all.measured.length, 13);
  assert.equal(all.s.stoppedEarlyAfterStep, undefined);
});

test('engine: a step that fails once (noise) is measured again and passes; a truly failing step fails every attempt', async () => {
  const calls: number[] = [];
  const s = await runSweep(
    { ...ANALYZE_DEFAULTS, mode: 'rate', slo: parseSlos(['p99=10ms']), plan: rateSteps(1000, 3000, 5, 'linear', 4, 32), variants: ['v3'], stopAfter: 1, retries: 1 },
    async (p) => {
      calls.push(p.rate!);
      const m = modelMeasurement(p.rate!, model);
      // The first measurement of 1500/s is hit by a 50 ms stall.
      if (p.rate === 1500 && calls.filter((r) => r === 1500).length === 1) m.latencyUs.p99 = 50_000;
      return { v3: m };
    },
  );
  assert.deepEqual(calls, [1000, 1500, 1500, 2000, 2500, 2500]);
  assert.equal(s.steps[1]!.retried?.length, 1);
  assert.match(s.steps[1]!.retried![0]!, /p99 50ms > 10ms/);
  assert.equal(s.steps[3]!.retried?.length, 1);
  assert.equal(s.variants.v3!.maxSustainable!.offered, 2000);
  assert.equal(s.stoppedEarlyAfterStep, 3);
});

test('engine: capacity of v3 against v2 from each variant\'s max sustainable step', async () => {
  const s = await runSweep(
    { ...ANALYZE_DEFAULTS, mode: 'rate', slo: parseSlos(['p99=10ms']), plan: rateSteps(1000, 3000, 9, 'linear', 4, 32), variants: ['v2', 'v3'], stopAfter: 0 },
    async (p) => ({ v2: modelMeasurement(p.rate!, { capacity: 2500, serviceUs: 1600 }), v3: modelMeasurement(p.rate!, { capacity: 2000, serviceUs: 2000 }) }),
  );
  assert.equal(s.variants.v2!.maxSustainable!.offered, 2500);
  assert.equal(s.variants.v3!.maxSustainable!.offered, 2000);
  assert.equal(s.capacityVsV2?.v3, 0.8);
  assert.match(renderSweepTable(s), /v3 vs v2: max sustainable responses\/s × 0\.800 \(-20\.0 %\)/);
});

test('plot: the knee and the max-sustainable marks sit on the right steps; the page is self-contained', async () => {
  const { s } = await sweep(0);
  const svg = renderVariantSvg(s, 'v3');
  const knee = /<g class="knee" data-step="(\d+)" data-rps="(\d+)">/.exec(svg);
  assert.ok(knee, 'knee marked');
  assert.equal(Number(knee[1]), s.variants.v3!.knee!.step);
  assert.equal(Number(knee[2]), 2000);
  assert.match(svg, /<g class="max-sustainable" data-step="4" data-rps="2000">/);
  assert.match(svg, /<g class="slo" data-key="p99" data-limit-us="10000">/);
  for (const k of ['p50', 'p90', 'p99', 'p999']) assert.match(svg, new RegExp(`<g class="pct" data-key="${k}">`));
  // One point per step per percentile line.
  const p99 = svg.slice(svg.indexOf('<g class="pct" data-key="p99">'));
  assert.equal((p99.slice(0, p99.indexOf('</g>')).match(/<circle /g) ?? []).length, 13);
  const html = renderSweepHtml(s, 'sweep');
  // Nothing fetched: no src= or href= and no <script>; the only URL is the SVG namespace.
  assert.doesNotMatch(html, /\b(src|href)=/);
  assert.doesNotMatch(html, /<script/i);
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^"'\s<]+/g))], ['http://www.w3.org/2000/svg']);
  const table = renderSweepTable(s);
  assert.match(table, /<- knee/);
  assert.match(table, /<- max sustainable/);
  assert.match(table, /highest load meeting the objective \(p99 ≤ 10ms\): 2000\/s offered/);
});
