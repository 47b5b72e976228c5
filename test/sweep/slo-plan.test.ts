import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSlos, sloViolations } from '../../src/sweep/slo.js';
import { rateSteps, shapeSteps } from '../../src/sweep/plan.js';
import { UsageError } from '../../src/protocol/errors.js';

test('--slo: repeatable and comma-separated, units to microseconds, aliases', () => {
  assert.deepEqual(parseSlos(['p99=1ms', 'p50=200us,p99.9=5ms']), [
    { key: 'p99', limitUs: 1000 },
    { key: 'p50', limitUs: 200 },
    { key: 'p999', limitUs: 5000 },
  ]);
  assert.deepEqual(parseSlos([]), []);
});

test('--slo: bad input is a UsageError naming the option', () => {
  for (const bad of ['p99', 'p98=1ms', 'p99=fast', 'p99=0', 'p99=1ms,p99=2ms']) {
    assert.throws(() => parseSlos([bad]), (e: unknown) => e instanceof UsageError && e.message.startsWith('--slo:'), bad);
  }
});

test('sloViolations lists each percentile over its limit', () => {
  const slo = parseSlos(['p50=1ms,p99=2ms']);
  assert.deepEqual(sloViolations({ p50: 900, p99: 1999 }, slo), []);
  assert.deepEqual(sloViolations({ p50: 1001, p99: 2500 }, slo), ['p50 1ms > 1ms', 'p99 2.5ms > 2ms']);
});

test('rate steps: linear and geometric, endpoints included', () => {
  assert.deepEqual(rateSteps(1000, 3000, 5, 'linear', 4, 32).map((s) => s.rate), [1000, 1500, 2000, 2500, 3000]);
  assert.deepEqual(rateSteps(100, 10000, 3, 'log', 4, 32).map((s) => s.rate), [100, 1000, 10000]);
  assert.throws(() => rateSteps(2000, 1000, 3, 'linear', 4, 32), /--rate-end/);
  assert.throws(() => rateSteps(0, 1000, 3, 'linear', 4, 32), /--rate-start/);
});

test('shape steps: <connections>x<pipeline> list', () => {
  assert.deepEqual(shapeSteps('1x1, 4x8,8×32').map((s) => [s.connections, s.pipeline]), [[1, 1], [4, 8], [8, 32]]);
  assert.throws(() => shapeSteps('4by8'), /--shapes/);
  assert.throws(() => shapeSteps('0x8'), /--shapes/);
});
