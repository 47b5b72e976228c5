import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { scrub, scrubString } from '../../src/report/scrub.js';
import { faultFixture, makeResult } from './helpers/fixture.js';

const JWT = 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6InRlbmFudCIsInRlbmFudF9pZCI6ImFiYyJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

function tableRows(md: string, header: string): string[][] {
  const lines = md.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`| ${header}`));
  assert.ok(i >= 0, `a table starting with "${header}"`);
  const rows: string[][] = [];
  for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) rows.push(lines[j]!.slice(2, -2).split(' | '));
  return rows;
}

test('Markdown: tables only, no HTML, one row per variant with the figures of the result', () => {
  const r = makeResult({ seed: 3, saturated: true, faults: faultFixture(), variants: {
    v2: { medianUs: 180, throughputRps: 40000, responseFrameBytes: 8214, cpuPerResponseUs: 9.6 },
    v3: { medianUs: 190, throughputRps: 39000, responseFrameBytes: 8255, cpuPerResponseUs: 9.9, mismatches: { blkno: 4, request_lsn: 1 }, errors: { 'pagestream: Not found': 2 } },
  } });
  const md = renderMarkdown(r);
  assert.doesNotMatch(md, /<\/?[a-z][^>]*>/i, 'no HTML tags (GitHub job summaries are Markdown)');
  const rows = tableRows(md, 'variant | responses');
  assert.deepEqual(rows.map((x) => x[0]), ['v2', 'v3']);
  assert.equal(rows[1]![1], r.variants.v3!.responses.toLocaleString('en-US'));
  assert.equal(rows[1]![9], '5', 'mismatches column');
  const cmp = tableRows(md, 'vs v2');
  assert.equal(cmp.length, 1);
  assert.match(cmp[0]![1]!, /^0\.\d{3} \(0\.\d{3} … [01]\.\d{3}\)$/, 'throughput ratio with its per-round spread');
  const err = tableRows(md, 'variant | kind');
  assert.deepEqual(err.map((x) => x.slice(1, 3)), [['mismatch', 'blkno'], ['mismatch', 'request_lsn'], ['error', 'pagestream: Not found']]);
  const faults = tableRows(md, 'fault kind');
  assert.equal(faults.length, 9);
  assert.match(md, /\| fault kind \| v2: detected \/ injected \(undetected, FP\) \| v2\+checksum: .* \| v3: .* \| v3\+checksum: .* \|/, 'columns in variant order');
  const corrupt = faults.find((x) => x[0] === 'corrupt')!;
  assert.equal(corrupt[3], '0 / 100 = 0% (100†, 0)', 'v3 without checksum misses corrupt pages (inferred count marked)');
  assert.equal(corrupt[4], '100 / 100 = 100% (0†, 0)', 'the checksum catches them');
  assert.equal(faults.find((x) => x[0] === 'drop')![1], '0 / 100 = 0% (1,700, 0)', 'V2 accepts every shifted page after a drop');
  assert.equal(tableRows(md, 'variant | throughput | vs v2').length, 4, 'clean runs table');
  assert.match(md, /^- corrupt: undetected inferred/m, 'the study\'s notes');
  assert.match(md, /^> \*\*Warning:\*\* the load generator, not the server, limited/m);
});

test('Markdown: table cells escape pipes and angle brackets from error classes', () => {
  const r = makeResult({ seed: 4, variants: { v3: { medianUs: 200, throughputRps: 10000, responseFrameBytes: 8255, cpuPerResponseUs: 10, errors: { 'pagestream: bad | <thing>': 1 } } } });
  const md = renderMarkdown(r);
  assert.ok(md.includes('pagestream: bad \\| &lt;thing&gt;'));
  const err = tableRows(md, 'variant | kind');
  assert.equal(err[0]!.length, 4, 'the pipe did not split the cell');
});

test('secrets never reach the report: URL passwords, JWTs, secret-named keys', () => {
  const r = makeResult({ seed: 5, config: { target: `postgres://tenant:${JWT}@10.0.0.7:6400`, mgmt: 'http://admin:hunter2@10.0.0.7:9898', extraArgs: [`--jwt=${JWT}`, 'password=hunter2'], jwt: 'plain-token-value', authToken: 'x'.repeat(40) } });
  for (const out of [renderHtml(r), renderMarkdown(r)]) {
    assert.ok(!out.includes('hunter2'), 'password removed');
    assert.ok(!out.includes(JWT.slice(0, 30)), 'JWT removed');
    assert.ok(!out.includes('plain-token-value'), 'secret-named key removed');
    assert.ok(!out.includes('x'.repeat(40)), 'auth token removed');
    assert.ok(out.includes('10.0.0.7:6400'), 'the host stays');
  }
  assert.equal(scrubString('postgres://u:p@h:1/db'), 'postgres://u:[redacted]@h:1/db');
  assert.equal(scrubString('host=h password=abc port=1'), 'host=h password=[redacted] port=1');
  assert.deepEqual(scrub({ connections: 4, pattern: 'zipf:1.1', nested: { apiKey: 'k' } }), { connections: 4, pattern: 'zipf:1.1', nested: { apiKey: '[redacted]' } });
});

test('HTML: self-contained (no external reference), escapes text, shows every section', () => {
  const r = makeResult({ seed: 6, faults: faultFixture() });
  r.variants.v3!.errorsByClass = { '<script>alert(1)</script>': 1 };
  r.variants.v3!.errors = 1;
  const html = renderHtml(r);
  assert.doesNotMatch(html, /<script/i, 'no script at all, and injected text is escaped');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  const refs = [...html.matchAll(/(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
  for (const ref of refs) assert.ok(ref.startsWith('#') || ref.startsWith('data:'), `only in-page or data: references, got ${ref}`);
  assert.doesNotMatch(html, /@import|url\(/, 'no CSS fetches');
  for (const id of ['latency', 'time', 'cost', 'comparison', 'errors', 'faults', 'config']) assert.ok(html.includes(`id="${id}"`), `section ${id}`);
});

test('reports: a paired CPU ratio says so, and shows the ratio of the round totals beside it', () => {
  const r = makeResult({ seed: 5 });
  r.config.sliceS = 0.01;
  const c = r.comparison.v3!;
  c.cpuPerResponseRatio = 1.012;
  c.cpuPerResponseRatioFrom = 'cycles';
  c.cpuPerResponseRatioTotals = 1.031;
  c.spread = { ...c.spread, cpuPerResponseRatioTotals: { median: 1.031, min: 1.02, max: 1.044 } };
  const md = renderMarkdown(r);
  assert.match(md, /CPU\/resp ratio: paired per cycle \(one 10 ms slice of each variant\)/);
  assert.match(md, /Ratio of the round totals: v3 1\.031 \(1\.020 … 1\.044\)/);
  const html = renderHtml(r);
  assert.match(html, /paired per cycle \(totals \+3\.1%\)/);
  assert.match(html, /The CPU ratio of a round is paired/);
  // From totals (phases, or an older result): no such line.
  c.cpuPerResponseRatioFrom = 'totals';
  assert.doesNotMatch(renderMarkdown(r), /paired per cycle/);
  assert.doesNotMatch(renderHtml(r), /paired per cycle/);
});
