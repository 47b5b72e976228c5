import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordFast, recordFastCount } from '../../src/stats/fast-record.js';
import { createHistogram, encodeHistogram, HIST_HIGHEST_US } from '../../src/stats/histogram.js';

test('recordFast gives the same histogram as recordValue, at every bucket edge and at random', () => {
  const a = createHistogram();
  const b = createHistogram();
  const values: number[] = [1, 2, 3, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 65535, 65536, 1_000_000, HIST_HIGHEST_US - 1, HIST_HIGHEST_US];
  for (let k = 1; k < 26; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
  let s = 12345;
  for (let i = 0; i < 20000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    values.push(1 + Math.floor((s / 2 ** 32) ** 4 * (HIST_HIGHEST_US - 1)));
  }
  for (const v of values) {
    if (v < 1 || v > HIST_HIGHEST_US) continue;
    a.recordValue(v);
    recordFast(b, v);
  }
  assert.equal(b.totalCount, a.totalCount);
  assert.equal(b.maxValue, a.maxValue);
  assert.equal(b.minNonZeroValue, a.minNonZeroValue);
  assert.equal(b.getValueAtPercentile(99.9), a.getValueAtPercentile(99.9));
  assert.equal(encodeHistogram(b), encodeHistogram(a));
});

test('recordFastCount gives the same histogram as recordValueWithCount', () => {
  const a = createHistogram();
  const b = createHistogram();
  let s = 777;
  for (let i = 0; i < 5000; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const v = 1 + Math.floor((s / 2 ** 32) ** 3 * (HIST_HIGHEST_US - 1));
    const n = 1 + (s % 37);
    a.recordValueWithCount(v, n);
    recordFastCount(b, v, n);
  }
  assert.equal(b.totalCount, a.totalCount);
  assert.equal(b.maxValue, a.maxValue);
  assert.equal(b.minNonZeroValue, a.minNonZeroValue);
  assert.equal(encodeHistogram(b), encodeHistogram(a));
});
