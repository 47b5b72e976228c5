import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistogramLogReader, listTags } from 'hdr-histogram-js';
import { formatHumantime, toPagebenchSummary } from '../../src/report/pagebench.js';
import { writeHlog, renderHlog } from '../../src/report/hlog.js';
import { decodeHistogram } from '../../src/report/histo.js';
import { makeResult } from './helpers/fixture.js';

test('humantime format_duration, by hand from humantime\'s rules', () => {
  assert.equal(formatHumantime(0), '0s');
  assert.equal(formatHumantime(1_234_567), '1ms 234us 567ns');
  assert.equal(formatHumantime(123_000), '123us');
  assert.equal(formatHumantime(2_000_000), '2ms');
  assert.equal(formatHumantime(1_000_000_000), '1s');
  assert.equal(formatHumantime(61_000_001_000), '1m 1s 1us');
  assert.equal(formatHumantime(3_723_000_000_000), '1h 2m 3s');
  assert.equal(formatHumantime(90_061_000_000_000), '1day 1h 1m 1s');
  assert.equal(formatHumantime(2 * 86_400e9), '2days');
});

test('pagebench summary: the keys and types pagebench prints, figures from our histogram', () => {
  const r = makeResult({ seed: 31, sampleScale: 0.05 });
  const s = toPagebenchSummary(r, 'v3');
  assert.deepEqual(Object.keys(s), ['request_count', 'latency_mean', 'latency_percentiles']);
  assert.deepEqual(Object.keys(s.latency_percentiles), ['p95', 'p99', 'p99.9', 'p99.99']);
  const h = decodeHistogram(r.variants.v3!.latencyUs.histogram);
  assert.equal(s.request_count, h.totalCount);
  assert.equal(s.request_count, r.variants.v3!.responses);
  // Microsecond values: "NNNus" or "Nms NNNus".
  const asUs = (t: string): number => {
    const m = /^(?:(\d+)ms)?\s*(?:(\d+)us)?$/.exec(t);
    assert.ok(m, `humantime in ms/us: ${t}`);
    return Number(m[1] ?? 0) * 1000 + Number(m[2] ?? 0);
  };
  assert.equal(asUs(s.latency_percentiles.p99), h.getValueAtPercentile(99));
  assert.equal(asUs(s.latency_percentiles['p99.99']), h.getValueAtPercentile(99.99));
  assert.ok(asUs(s.latency_percentiles.p95) < asUs(s.latency_percentiles['p99.9']), 'real percentiles, not pagebench\'s repeated p95');
  assert.equal(asUs(s.latency_mean), Math.floor(h.mean));
  assert.throws(() => toPagebenchSummary(makeResult({ seed: 1, sampleScale: 0.01, variants: { v2: { medianUs: 100, throughputRps: 1000, responseFrameBytes: 8214, cpuPerResponseUs: 9 } } }), 'v3'), /no variant "v3"/);
});

test('hlog: an HdrHistogram interval log that HistogramLogReader reads back, per variant tag', () => {
  const r = makeResult({ seed: 32, sampleScale: 0.05, rounds: 2 });
  const path = join(mkdtempSync(join(tmpdir(), 'psb-hlog-')), 'run.hlog');
  writeHlog(r, path);
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  assert.match(lines[1]!, /^#\[Histogram log format version 1\.3\]$/);
  assert.match(lines[2]!, /^#\[StartTime: \d+\.\d{3} \(seconds since epoch\), /);
  assert.match(lines[3]!, /^#\[BaseTime: \d+\.\d{3} \(seconds since epoch\)\]$/);
  assert.equal(lines[4], '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
  assert.deepEqual(listTags(text).sort(), ['v2', 'v3', 'v3-noverify']);
  const reader = new HistogramLogReader(text, 64);
  const seen: Record<string, number> = {};
  const startMs = Date.parse(r.startedAt);
  let prev = -Infinity;
  let n = 0;
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
    seen[h.tag] = (seen[h.tag] ?? 0) + h.totalCount;
    assert.ok(h.startTimeStampMsec >= prev, 'intervals in time order');
    prev = h.startTimeStampMsec;
    assert.ok(h.startTimeStampMsec >= startMs && h.endTimeStampMsec - h.startTimeStampMsec === 1000, 'absolute times from BaseTime, 1 s intervals');
    n++;
  }
  for (const v of ['v2', 'v3', 'v3-noverify'] as const) {
    const iv = r.intervals![v]!;
    assert.equal(seen[v], iv.reduce((a, i) => a + decodeHistogram(i.histogram).totalCount, 0), `${v}: all values read back`);
    assert.equal(seen[v], r.variants[v]!.responses);
  }
  assert.equal(n, 3 * 2 * 2, 'one interval per second per variant');
  const first = r.intervals!.v2![0]!;
  assert.ok(text.includes(`Tag=v2,${first.startS.toFixed(3)},1.000,${(decodeHistogram(first.histogram).maxValue / 1000).toFixed(3)},${first.histogram}\n`));
  const noIntervals = makeResult({ seed: 33, sampleScale: 0.01, intervals: false });
  assert.throws(() => renderHlog(noIntervals), /no per-second interval histograms/);
});

/** HdrHistogram's own (Java) log processor, when this machine has it: the reference reader of the format. */
function hdrHistogramJar(): string | undefined {
  const base = join(homedir(), '.m2/repository/org/hdrhistogram/HdrHistogram');
  if (!existsSync(base)) return undefined;
  for (const v of readdirSync(base).sort().reverse()) {
    const jar = join(base, v, `HdrHistogram-${v}.jar`);
    if (existsSync(jar)) return jar;
  }
  return undefined;
}

test('hlog: HdrHistogram\'s Java HistogramLogProcessor reads it (when Java and the HdrHistogram jar are on this machine)', (t) => {
  const jar = hdrHistogramJar();
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (!jar || java.status !== 0) {
    t.skip('no java or no HdrHistogram jar in ~/.m2: the hdr-histogram-js reader test above still runs');
    return;
  }
  const r = makeResult({ seed: 34, sampleScale: 0.05, rounds: 2 });
  const path = join(mkdtempSync(join(tmpdir(), 'psb-hlog-java-')), 'run.hlog');
  writeHlog(r, path);
  for (const v of ['v2', 'v3'] as const) {
    const proc: SpawnSyncReturns<string> = spawnSync('java', ['-cp', jar, 'org.HdrHistogram.HistogramLogProcessor', '-i', path, '-tag', v, '-outputValueUnitRatio', '1'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(proc.status, 0, proc.stderr);
    const m = /#\[Max\s+=\s+([\d.]+), Total count\s+=\s+(\d+)\]/.exec(proc.stdout);
    assert.ok(m, `summary line in:\n${proc.stdout.slice(-400)}`);
    assert.equal(Number(m[2]), r.variants[v]!.responses, `${v}: every value of the tag's intervals`);
    assert.equal(Number(m[1]), decodeHistogram(r.variants[v]!.latencyUs.histogram).maxValue, `${v}: max`);
  }
});
