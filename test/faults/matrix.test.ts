/**
 * Counting semantics of the fault matrix (src/faults/matrix.ts), on hand-made
 * run figures: which client signal counts as a detection for each kind, how
 * false positives are derived, and that every cell's wrong pages (also
 * `corrupt`'s) are the oracle's measured count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultCell, cleanCell } from '../../src/faults/matrix.js';
import { faultSpec, STUDY_FAULT_KINDS, VERIFY_VARIANTS } from '../../src/faults/kinds.js';
import type { PagestreamResult, VariantResult } from '../../src/report/result.js';

function vr(p: Partial<VariantResult>): VariantResult {
  return {
    responses: 1000, errors: 0, mismatches: 0, mismatchesByField: {}, errorsByClass: {}, reconnects: 0, durationS: 1,
    throughputRps: 1000, bytesReceived: 0, bytesSent: 0, responseFrameBytes: 8239, requestFrameBytes: 47, bandwidthMiBps: 0,
    latencyUs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, count: 1000, histogram: '' },
    cpu: { userUs: 0, systemUs: 0, perResponseUs: 2 }, gc: { count: 0, pauseMs: 0, perMillionResponses: 0 },
    eventLoopUtilization: [], rounds: [], undetected: 0, ...p,
  };
}

function result(v: VariantResult, name: 'v2' | 'v3' = 'v3', partial = false): PagestreamResult {
  return { variants: { [name]: v }, partial } as unknown as PagestreamResult;
}

test('mismatch kinds: detected = verifier mismatches; undetected = the oracle count', () => {
  const c = faultCell('drop', result(vr({ mismatches: 56, reconnects: 56, undetected: 0, mismatchesByField: { reqid: 56 } })), { drop: 57 }, []);
  assert.equal(c.injected, 57);
  assert.equal(c.detected, 56);
  assert.equal(c.undetected, 0);
  assert.equal(c.falsePositives, 0);
  assert.equal(c.undetectedBasis, 'oracle');
  // V2 after a drop: nothing detected, every shifted page counted.
  const v2 = faultCell('drop', result(vr({ undetected: 39012 }), 'v2'), { drop: 88 }, []);
  assert.deepEqual([v2.detected, v2.undetected, v2.falsePositives], [0, 39012, 0]);
});

test('more detections than injections, or the wrong signal, are false positives', () => {
  assert.equal(faultCell('swap', result(vr({ mismatches: 12 })), { swap: 10 }, []).falsePositives, 2);
  // A mismatch in the error cell cannot come from an Error response.
  const e = faultCell('error', result(vr({ errors: 5, errorsByClass: { 'pagestream: Read error': 5 }, mismatches: 1 })), { error: 5 }, []);
  assert.deepEqual([e.detected, e.falsePositives], [5, 1]);
  // In the close cell, a page-stream Error response is unexplained.
  const c = faultCell('close', result(vr({ errors: 4, reconnects: 3, errorsByClass: { 'connection: closed by server': 3, 'pagestream: Read error': 1 } })), { close: 3 }, []);
  assert.deepEqual([c.detected, c.falsePositives], [3, 1]);
});

test('close: one lost connection is one detection even when it surfaces as two errors (ECONNRESET, then close)', () => {
  const c = faultCell('close', result(vr({ errors: 4, reconnects: 3, errorsByClass: { 'connection: closed by server': 3, 'connection: ECONNRESET': 1 } })), { close: 3 }, []);
  assert.deepEqual([c.detected, c.falsePositives], [3, 0]);
  // Reconnects the client made itself after a mismatch are not lost connections …
  const m = faultCell('close', result(vr({ reconnects: 5, mismatches: 2 })), { close: 3 }, [], 'reconnect');
  assert.deepEqual([m.detected, m.falsePositives], [3, 2]);
  // … unless mismatches are only counted.
  assert.equal(faultCell('close', result(vr({ reconnects: 3, mismatches: 2 })), { close: 3 }, [], 'count').detected, 3);
});

test('stale: the companion resets explain their connection errors, not more', () => {
  const byClass = { 'connection: closed by server': 8 };
  // 18 mismatch reconnects + 8 lost connections
  const ok = faultCell('stale', result(vr({ mismatches: 18, errors: 8, reconnects: 26, errorsByClass: byClass })), { stale: 18, close: 8 }, ['close']);
  assert.deepEqual([ok.detected, ok.falsePositives, ok.companions?.close], [18, 0, 8]);
  const extra = faultCell('stale', result(vr({ mismatches: 18, errors: 10, reconnects: 28, errorsByClass: { 'connection: closed by server': 10 } })), { stale: 18, close: 8 }, ['close']);
  assert.equal(extra.falsePositives, 2);
});

test('corrupt: wrong pages measured by the oracle (stamp + page checksum), not inferred from injected − detected', () => {
  // 88 injected, 85 corrupted pages accepted: 3 were discarded by resets or in flight at the end.
  const v3 = faultCell('corrupt', result(vr({ undetected: 85 })), { corrupt: 88 }, []);
  assert.deepEqual([v3.undetected, v3.oracleUndetected, v3.undetectedBasis], [85, 85, 'oracle']);
  const ck = faultCell('corrupt', result(vr({ mismatches: 61, mismatchesByField: { checksum: 61 } })), { corrupt: 63 }, []);
  assert.deepEqual([ck.detected, ck.undetected, ck.undetectedBasis], [61, 0, 'oracle']);
  // The oracle's count stands even when it exceeds the injections (never clamped to them).
  assert.equal(faultCell('corrupt', result(vr({ undetected: 3 })), { corrupt: 2 }, []).undetected, 3);
});

test('a run that measured nothing yields an explicit empty, partial cell', () => {
  const c = faultCell('drop', { variants: {}, partial: true } as unknown as PagestreamResult, { drop: 4 }, []);
  assert.deepEqual([c.injected, c.detected, c.undetected, c.partial], [4, 0, 0, true]);
});

test('clean runs: every mismatch and error is a false positive; cost against V2', () => {
  const base = vr({ throughputRps: 1000, cpu: { userUs: 0, systemUs: 0, perResponseUs: 2 } });
  const c = cleanCell(vr({ throughputRps: 900, mismatches: 1, errors: 2, cpu: { userUs: 0, systemUs: 0, perResponseUs: 2.5 } }), base);
  assert.equal(c.falsePositives, 3);
  assert.equal(c.throughputVsV2, 0.9);
  assert.equal(c.cpuPerResponseVsV2, 1.25);
});

test('the study covers the emulator\'s nine kinds and four variants; stale is staged after resets', () => {
  assert.deepEqual([...STUDY_FAULT_KINDS], ['drop', 'swap', 'stale', 'wrong-block', 'wrong-rel', 'wrong-lsn', 'corrupt', 'error', 'close']);
  assert.deepEqual(VERIFY_VARIANTS.map((v) => v.name), ['v2', 'v2+checksum', 'v3', 'v3+checksum']);
  assert.deepEqual(faultSpec('drop', 0.001), { faults: 'drop=0.001', companions: [] });
  const s = faultSpec('stale', 0.001);
  assert.match(s.faults, /^close=0\.001,stale=0\.5$/);
  assert.deepEqual(s.companions, ['close']);
});
