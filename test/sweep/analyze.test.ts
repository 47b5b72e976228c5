import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeVariant, judgeSteps, ANALYZE_DEFAULTS, type AnalyzeOptions } from '../../src/sweep/analyze.js';
import { parseSlos } from '../../src/sweep/slo.js';
import { rateSweep, modelMeasurement } from './helpers/synthetic.js';
import type { SweepStep } from '../../src/sweep/types.js';

const rate = (slo: string[]): AnalyzeOptions => ({ ...ANALYZE_DEFAULTS, mode: 'rate', slo: parseSlos(slo) });
const RATES = [1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750, 3000];

test('server-limited model: max sustainable and knee at the capacity step, the server named as the limit', () => {
  const steps = rateSweep(RATES, { capacity: 2000, serviceUs: 2000 });
  const s = summarizeVariant(steps, 'v3', rate(['p99=10ms']));
  assert.equal(s.maxSustainable?.offered, 2000);
  assert.equal(s.knee?.offered, 2000);
  assert.equal(s.clientLimited, false);
  assert.equal(s.suggestion, undefined);
  const v = steps[5]!.variants.v3!.verdict!;
  assert.equal(v.keepsUp, false);
  assert.equal(v.limitedBy, 'server');
  assert.match(v.reason!, /service time p50 grew/);
  assert.match(s.conclusion, /2000\/s offered/);
  assert.match(s.conclusion, /failed at 2250\/s offered/);
});

test('a tighter objective moves max sustainable below the knee', () => {
  // Base p99 = 2.2 ms: an objective of 2 ms is never met; of 2.5 ms it is met up to capacity.
  const steps = rateSweep(RATES, { capacity: 2000, serviceUs: 2000 });
  assert.equal(summarizeVariant(steps, 'v3', rate(['p99=2ms'])).maxSustainable, null);
  assert.match(summarizeVariant(steps, 'v3', rate(['p99=2ms'])).conclusion, /no step met/);
  assert.equal(summarizeVariant(steps, 'v3', rate(['p99=2.5ms'])).maxSustainable?.offered, 2000);
  // Several objectives: all must hold; p50 ≤ 1.9 ms is never met.
  assert.equal(summarizeVariant(steps, 'v3', rate(['p99=10ms', 'p50=1.9ms'])).maxSustainable, null);
});

test('client-limited: responses/s stop scaling while the service time stays flat -> load generator named, lower bound, --workers suggested', () => {
  const steps = rateSweep(RATES, { capacity: 5000, serviceUs: 300, clientCap: 1600 });
  const o = { ...rate(['p99=50ms']), workers: 1 };
  const s = summarizeVariant(steps, 'v3', o);
  assert.equal(s.maxSustainable?.offered, 1500);
  assert.equal(s.clientLimited, true);
  assert.equal(steps[3]!.variants.v3!.verdict!.limitedBy, 'client');
  assert.match(steps[3]!.variants.v3!.verdict!.reason!, /load generator, not the server/);
  assert.match(s.conclusion, /LOAD GENERATOR limited/);
  assert.match(s.suggestion!, /--workers \(now 1\)/);
  assert.ok(s.reasons.length >= 1 && s.reasons[0]!.startsWith('step 3'));
});

test('worker event-loop utilisation above 90 % marks a step client-limited even when it kept up', () => {
  const steps = rateSweep(RATES, { capacity: 2000, serviceUs: 2000, elu: (r) => (r >= 1750 ? 0.95 : 0.4) });
  const v = judgeSteps(steps, 'v3', rate(['p99=10ms']));
  assert.equal(v[2]!.limitedBy, 'none');
  assert.equal(v[3]!.limitedBy, 'client');
  assert.match(v[3]!.reason!, /95 % > 90 %/);
  assert.equal(summarizeVariant(steps, 'v3', rate(['p99=10ms'])).clientLimited, true);
});

test('a step passing after the first failure does not raise max sustainable (noise guard)', () => {
  const steps = rateSweep(RATES, { capacity: 2000, serviceUs: 2000 });
  // Step 7 (2750/s) "passes" by luck.
  steps[7]!.variants.v3 = modelMeasurement(1800, { capacity: 2000, serviceUs: 2000 });
  steps[7]!.variants.v3.achievedRps = 2750;
  const s = summarizeVariant(steps, 'v3', rate(['p99=10ms']));
  assert.equal(s.maxSustainable?.offered, 2000);
  assert.match(s.conclusion, /passed again after the first failure/);
});

test('errors make a step miss the objective', () => {
  const steps = rateSweep([1000, 1500], { capacity: 2000, serviceUs: 2000 });
  steps[1]!.variants.v3!.errors = 3;
  const s = summarizeVariant(steps, 'v3', rate(['p99=10ms']));
  assert.equal(s.maxSustainable?.offered, 1000);
  assert.deepEqual(steps[1]!.variants.v3!.verdict!.violations, ['3 errors']);
});

test('no failing step: capacity is above the swept range', () => {
  const steps = rateSweep([500, 1000], { capacity: 2000, serviceUs: 2000 });
  const s = summarizeVariant(steps, 'v3', rate(['p99=10ms']));
  assert.equal(s.maxSustainable?.offered, 1000);
  assert.match(s.conclusion, /above the swept range/);
});

test('shape mode: the knee is where throughput stops scaling with requests in flight', () => {
  // A server that serves at most 2000/s; closed loop with N in flight and 2 ms service: X = min(N/2ms, 2000), R = N/X.
  const shapes = [1, 2, 4, 8, 16, 32];
  const steps: SweepStep[] = shapes.map((n, index) => {
    const x = Math.min(n / 0.002, 2000);
    const r = (n / x) * 1e6;
    const m = modelMeasurement(0, { capacity: 1, serviceUs: 1 });
    return { index, connections: n, pipeline: 1, variants: { v3: { ...m, achievedRps: x, responses: x * 2, latencyUs: { p50: r, p90: r * 1.05, p99: r * 1.1, p999: r * 1.2, max: r * 1.3, mean: r } } } };
  });
  const o: AnalyzeOptions = { ...ANALYZE_DEFAULTS, mode: 'shape', slo: parseSlos(['p99=20ms']) };
  const s = summarizeVariant(steps, 'v3', o);
  assert.equal(s.knee?.offered, 4);
  assert.equal(s.maxSustainable?.offered, 4);
  assert.equal(steps[4]!.variants.v3!.verdict!.keepsUp, false);
  assert.match(steps[4]!.variants.v3!.verdict!.reason!, /stopped scaling/);
});
