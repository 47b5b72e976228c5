/**
 * The sweep's HTML plot in a real browser (Debian chromium via playwright-core),
 * from a file:// URL with background networking off: no console errors, no
 * request but the page itself, one chart per variant, every percentile line
 * drawn, and the knee marker placed at the knee step's point on the x axis
 * (its rendered x equals the p99 point's x for that step).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runSweep } from '../../src/sweep/engine.js';
import { ANALYZE_DEFAULTS } from '../../src/sweep/analyze.js';
import { rateSteps } from '../../src/sweep/plan.js';
import { parseSlos } from '../../src/sweep/slo.js';
import { renderSweepHtml } from '../../src/sweep/plot.js';
import { modelMeasurement } from './helpers/synthetic.js';

const CHROMIUM = '/usr/bin/chromium';

const PROBE = `(() => {
  const charts = Array.from(document.querySelectorAll('svg[data-variant]'));
  return charts.map((svg) => {
    const box = svg.getBoundingClientRect();
    const lines = Array.from(svg.querySelectorAll('g.pct polyline')).map((p) => p.getTotalLength());
    const knee = svg.querySelector('g.knee line');
    const kneeBox = knee ? knee.getBoundingClientRect() : null;
    const step = svg.querySelector('g.knee') ? Number(svg.querySelector('g.knee').getAttribute('data-step')) : -1;
    const p99 = Array.from(svg.querySelectorAll('g.pct[data-key="p99"] circle')).map((c) => c.getBoundingClientRect());
    return { variant: svg.getAttribute('data-variant'), width: box.width, height: box.height, lines, kneeX: kneeBox ? kneeBox.x + kneeBox.width / 2 : null, step, p99X: p99.map((b) => b.x + b.width / 2) };
  });
})()`;

test('sweep HTML renders offline in chromium with the knee on its step', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with apt-get install chromium (.ci/run does)`);
  const s = await runSweep(
    { ...ANALYZE_DEFAULTS, mode: 'rate', slo: parseSlos(['p99=10ms']), plan: rateSteps(1000, 3000, 9, 'linear', 4, 32), variants: ['v2', 'v3'], stopAfter: 0 },
    async (p) => ({ v2: modelMeasurement(p.rate!, { capacity: 2250, serviceUs: 1800 }), v3: modelMeasurement(p.rate!, { capacity: 2000, serviceUs: 2000 }) }),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'sweep-html-'));
  const file = path.join(dir, 'sweep.html');
  writeFileSync(file, renderSweepHtml(s, 'sweep test'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    const charts = (await page.evaluate(PROBE)) as Array<{ variant: string; width: number; height: number; lines: number[]; kneeX: number | null; step: number; p99X: number[] }>;
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(file).href]);
    assert.deepEqual(charts.map((c) => c.variant), ['v2', 'v3']);
    for (const c of charts) {
      assert.ok(c.width > 600 && c.height > 300, `${c.variant}: chart rendered (${c.width}×${c.height})`);
      assert.equal(c.lines.length, 4, `${c.variant}: p50, p90, p99, p99.9 lines`);
      for (const len of c.lines) assert.ok(len > 50, `${c.variant}: a line is drawn (${len})`);
      assert.equal(c.step, s.variants[c.variant as 'v2' | 'v3']!.knee!.step);
      assert.ok(c.kneeX !== null && Math.abs(c.kneeX - c.p99X[c.step]!) < 1.5, `${c.variant}: knee line at x ${c.kneeX}, its step's point at ${c.p99X[c.step]}`);
    }
    // The two variants' knees differ (capacities 2,250 and 2,000/s), so they sit at different steps.
    assert.notEqual(charts[0]!.step, charts[1]!.step);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
