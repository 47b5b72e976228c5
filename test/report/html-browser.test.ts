/**
 * The HTML report in a real browser: Debian chromium driven by playwright-core.
 * Loads the report from a file:// URL with background networking off and
 * asserts: no console errors, no request other than the page itself, every
 * chart rendered with the expected number of series, a screenshot saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { faultFixture, makeResult } from './helpers/fixture.js';
import { REPO } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(REPO, 'results');

async function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with apt-get install chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

interface ChartInfo {
  id: string;
  series: string[];
  pathsWithData: number;
  width: number;
  height: number;
}

/**
 * Runs in the page (a string: the project compiles without DOM types). A series
 * has data when its path draws at least one segment of real length, or its bar
 * has a width.
 */
const CHART_PROBE = `Array.from(document.querySelectorAll('svg.chart')).map((svg) => {
  const box = svg.getBoundingClientRect();
  const groups = Array.from(svg.querySelectorAll('.series'));
  return {
    id: svg.id,
    series: groups.map((g) => g.getAttribute('data-series') || ''),
    pathsWithData: groups.filter((g) => {
      const p = g.querySelector('path');
      if (p) return (p.getAttribute('d') || '').includes('L') && p.getTotalLength() > 10;
      const r = g.querySelector('rect');
      return r !== null && r.getBoundingClientRect().width > 0.5;
    }).length,
    width: box.width,
    height: box.height,
  };
})`;

async function loadReport(browser: Browser, html: string, name: string): Promise<{ charts: ChartInfo[]; consoleErrors: string[]; requests: string[]; pageErrors: string[]; text: string; url: string }> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
  const charts = (await page.evaluate(CHART_PROBE)) as ChartInfo[];
  const text = await page.innerText('body');
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
  await page.close();
  return { charts, consoleErrors, requests, pageErrors, text, url };
}

test('HTML report renders in headless Chromium: every chart, no errors, no network', { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const result = makeResult({ seed: 11, saturated: true, faults: faultFixture(), openLoop: true });
    result.config.target = 'postgres://bench:s3cret-pw@127.0.0.1:6400';
    const html = renderHtml(result);
    const page = await loadReport(browser, html, 'report-browser-test');

    assert.deepEqual(page.pageErrors, [], 'no script errors');
    assert.deepEqual(page.consoleErrors, [], 'no console errors or warnings');
    assert.deepEqual(page.requests, [page.url], 'the only request is the report file itself');

    const byId = new Map(page.charts.map((c) => [c.id, c]));
    const three = ['v2', 'v3', 'v3-noverify'];
    const expected: Record<string, string[]> = {
      'chart-latency-nines': three,
      'chart-service-nines': three,
      'chart-round-throughput': three,
      'chart-round-p99': three,
      'chart-interval-throughput': three,
      'chart-frame-bytes': three,
      'chart-bandwidth': three,
      'chart-cpu': three,
    };
    assert.deepEqual([...byId.keys()].sort(), Object.keys(expected).sort(), 'the expected set of charts');
    for (const [id, series] of Object.entries(expected)) {
      const c = byId.get(id)!;
      assert.deepEqual(c.series, series, `${id}: one series per variant`);
      assert.equal(c.pathsWithData, series.length, `${id}: every series drawn with data`);
      assert.ok(c.width > 200 && c.height > 80, `${id}: laid out with a real size (${c.width}x${c.height})`);
    }
    // Sections a reader needs are there, with their content.
    for (const s of ['V3 vs V2', 'Mismatches and errors', 'Fault study', 'Configuration', 'load generator, not the server']) assert.ok(page.text.includes(s), `section "${s}"`);
    assert.ok(page.text.includes('wrong-lsn'), 'fault matrix rows');
    assert.ok(!page.text.includes('s3cret-pw') && !html.includes('s3cret-pw'), 'the password never reaches the page');
    const png = join(RESULTS, 'report-browser-test.png');
    assert.ok(statSync(png).size > 20_000, 'a screenshot was saved');
  } finally {
    await browser.close();
  }
});

test('HTML report of a single-variant run: one series per chart, no comparison', { timeout: 60_000 }, async () => {
  const browser = await launch();
  try {
    const result = makeResult({ seed: 12, variants: { v3: { medianUs: 250, throughputRps: 20000, responseFrameBytes: 8255, cpuPerResponseUs: 12 } }, intervals: false });
    const page = await loadReport(browser, renderHtml(result), 'report-browser-single');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.requests, [page.url]);
    const ids = page.charts.map((c) => c.id).sort();
    assert.deepEqual(ids, ['chart-bandwidth', 'chart-cpu', 'chart-frame-bytes', 'chart-latency-nines', 'chart-round-p99', 'chart-round-throughput']);
    for (const c of page.charts) {
      assert.deepEqual(c.series, ['v3'], c.id);
      assert.equal(c.pathsWithData, 1, c.id);
    }
    assert.ok(page.text.includes('No comparison'), 'says why there is no V3-vs-V2 table');
  } finally {
    await browser.close();
  }
});
