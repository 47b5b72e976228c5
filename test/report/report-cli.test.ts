import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeResult } from './helpers/fixture.js';
import { runCli } from './helpers/cli.js';

test('report CLI: writes HTML and Markdown next to the result, or where told, or Markdown on stdout', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-report-'));
  const file = join(dir, 'run.json');
  writeFileSync(file, JSON.stringify(makeResult({ seed: 41, sampleScale: 0.02 })));
  const r = await runCli(['report', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'run.html'), 'utf8'), /^<!DOCTYPE html>[\s\S]*<svg class="chart"[\s\S]*<\/html>\n$/);
  assert.match(readFileSync(join(dir, 'run.md'), 'utf8'), /^## pagestream-bench: v2 vs v3 vs v3-noverify/);
  const md = await runCli(['report', file, '--markdown', '-']);
  assert.equal(md.code, 0);
  assert.match(md.stdout, /^## pagestream-bench/);
  const html = join(dir, 'sub', 'x.html');
  const h = await runCli(['report', file, '--html', html]);
  assert.equal(h.code, 0);
  assert.ok(existsSync(html));
  assert.ok(!existsSync(join(dir, 'sub', 'x.md')), 'only what was asked for');
});

test('report CLI: bad input is one line naming the file and the problem, exit 2, nothing written', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-report-bad-'));
  const good = JSON.stringify(makeResult({ seed: 42, sampleScale: 0.02 }));
  const put = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const otherSchema = JSON.parse(good);
  otherSchema.schema = 'pagestream-bench.result/v2';
  const noSchema = JSON.parse(good);
  delete noSchema.schema;
  const badHisto = JSON.parse(good);
  badHisto.variants.v3.latencyUs.histogram = 'bm90IGEgaGlzdG9ncmFt';
  const noVariants = JSON.parse(good);
  noVariants.variants = {};
  mkdirSync(join(dir, 'adir.json'));
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'missing.json'), /missing\.json: no such file$/],
    [put('truncated.json', good.slice(0, good.length >> 1)), /truncated\.json: not valid JSON, truncated or corrupt/],
    [put('empty.json', ''), /empty\.json: empty file$/],
    [put('text.json', 'hello, world\n'), /text\.json: not valid JSON/],
    [put('array.json', '[1,2]'), /array\.json: not a pagestream-bench result \(top level is not a JSON object\)/],
    [put('v2.json', JSON.stringify(otherSchema)), /v2\.json: result schema "pagestream-bench\.result\/v2" is not supported \(this version reads "pagestream-bench\.result\/v1"\)/],
    [put('noschema.json', JSON.stringify(noSchema)), /noschema\.json: not a pagestream-bench result \(no "schema" field/],
    [put('histo.json', JSON.stringify(badHisto)), /histo\.json: "variants\.v3\.latencyUs\.histogram" is not an HdrHistogram/],
    [put('novariants.json', JSON.stringify(noVariants)), /novariants\.json: "variants" is empty/],
    [join(dir, 'adir.json'), /adir\.json: is a directory/],
  ];
  for (const [file, re] of cases) {
    const out = join(dir, 'out.html');
    const md = join(dir, 'out.md');
    const r = await runCli(['report', file, '--html', out, '--markdown', md]);
    assert.equal(r.code, 2, `${file}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0]!, /^pagestream-bench report: /);
    assert.match(lines[0]!, re);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(out) && !existsSync(md), 'nothing written');
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.html') || f.endsWith('.md')), []);
  const two = await runCli(['report', join(dir, 'a.json'), join(dir, 'b.json')]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /expected exactly one result file/);
});
