/**
 * The fault matrix: how one run's figures and the emulator's ground truth
 * become a cell (injected / detected / undetected / false positives).
 *
 * Counting semantics (docs/fault-study.md explains them with measured numbers):
 *  - injected: the emulator's ground truth for the cell's kind (GET /v1/faults),
 *    counted when the server does the wrong thing, over the whole run.
 *  - detected: client-side detection events of the kind's signal —
 *    verifier mismatches for the mismatch kinds, page-stream Error responses
 *    for `error`, lost connections for `close`. With --on-mismatch reconnect a
 *    detection drops the connection, so one injected fault yields at most one
 *    detection: the responses that were shifted behind it die with the socket.
 *  - undetected: wrong pages the verifier accepted, one per page, counted by
 *    the client's ground-truth oracle: the identity stamp buildPage writes into
 *    every emulator page, and the page's data checksum (emulator pages always
 *    carry a valid one, so a `corrupt` page accepted is counted too — measured,
 *    not inferred). After `drop` or `stale`, V2 accepts every shifted page
 *    until the connection ends — so one injected fault can be hundreds of
 *    undetected pages. That is the point of the study: count the damage, not
 *    the cause.
 *  - falsePositives: detections nothing injected can explain. In clean runs
 *    every detection and every error is one. In fault cells: detections in
 *    excess of injections (impossible under reconnect semantics unless the
 *    verifier flagged a right response), plus detections of a signal the kind
 *    cannot produce (e.g. a mismatch in the `error` or `close` cell).
 */
import type { PagestreamResult, VariantResult } from '../report/result.js';
import type { StudyFaultKind, VerifyVariantName } from './kinds.js';
import { DETECTION_SIGNAL } from './kinds.js';

export interface FaultCell {
  injected: number;
  detected: number;
  undetected: number;
  falsePositives: number;
  /**
   * How `undetected` was obtained. Always 'oracle' now (the oracle checks the
   * page checksum too); 'inferred' only in result files written before that,
   * where `corrupt` was inferred as injected − detected.
   */
  undetectedBasis: 'oracle' | 'inferred';
  /** The oracle's count as measured (equals `undetected`). */
  oracleUndetected: number;
  /** Companion faults injected to set the scene (the stale cell's connection resets). */
  companions?: Record<string, number>;
  /** GetPage responses read over the whole run (all phases). */
  responses: number;
  /** Responses measured (measurement phase) and the measured rate. */
  measuredResponses: number;
  throughputRps: number;
  mismatches: number;
  mismatchesByField: Record<string, number>;
  errors: number;
  errorsByClass: Record<string, number>;
  reconnects: number;
  cpuPerResponseUs: number;
  /** The run ended early (signal) — the cell holds what was measured. */
  partial?: boolean;
}

export interface CleanCell {
  responses: number;
  throughputRps: number;
  cpuPerResponseUs: number;
  p50Us: number;
  p99Us: number;
  responseFrameBytes: number;
  /** Detections and errors in a run with nothing injected (must be 0). */
  falsePositives: number;
  /** Wrong pages accepted with nothing injected (must be 0). */
  undetected: number;
  /** Against clean v2 (same run for v3; the checksum columns come from their own run). */
  throughputVsV2: number;
  cpuPerResponseVsV2: number;
}

export interface FaultStudy {
  /** Per-response fault rate used in every cell (stale: see kinds.ts faultSpec). */
  ratePerFault: number;
  durationS: number;
  connections: number;
  pipeline: number;
  onMismatch: 'count' | 'reconnect' | 'abort';
  seed: number;
  kinds: StudyFaultKind[];
  variants: VerifyVariantName[];
  matrix: Partial<Record<StudyFaultKind, Partial<Record<VerifyVariantName, FaultCell>>>>;
  clean: Partial<Record<VerifyVariantName, CleanCell>>;
  /** The emulator arguments of each row. */
  emulatorFaults: Partial<Record<StudyFaultKind, string>>;
  notes: string[];
}

/** Page-stream Error responses (class `pagestream: …`). */
export function errorResponses(v: VariantResult): number {
  let n = 0;
  for (const [k, c] of Object.entries(v.errorsByClass)) if (k.startsWith('pagestream')) n += c;
  return n;
}

/**
 * Connections lost (closed or reset by the server, protocol errors, timeouts):
 * the client's reconnects minus those it made itself after a mismatch. Counted
 * from reconnects rather than from error classes: the client counts one error
 * per lost connection, but page-stream Error responses are errors too, and
 * results written by older versions counted a reset twice (ECONNRESET, then
 * the close).
 */
export function connectionLosses(v: VariantResult, onMismatch: 'count' | 'reconnect' | 'abort'): number {
  return Math.max(0, v.reconnects - (onMismatch === 'count' ? 0 : v.mismatches));
}

/** The single variant a study run measured. */
export function onlyVariant(r: PagestreamResult): VariantResult | undefined {
  return r.variants.v2 ?? r.variants.v3 ?? r.variants['v3-noverify'];
}

/** All-phase responses if the run reported them, else the measured count. */
function allResponses(v: VariantResult): number {
  const any = v as VariantResult & { allResponses?: number };
  return typeof any.allResponses === 'number' ? any.allResponses : v.responses;
}

export function faultCell(
  kind: StudyFaultKind, r: PagestreamResult, injected: Record<string, number>, companions: StudyFaultKind[],
  onMismatch: 'count' | 'reconnect' | 'abort' = 'reconnect',
): FaultCell {
  const v = onlyVariant(r);
  const inj = injected[kind] ?? 0;
  const comp: Record<string, number> = {};
  for (const c of companions) comp[c] = injected[c] ?? 0;
  const empty = { responses: 0, measuredResponses: 0, throughputRps: 0, mismatches: 0, mismatchesByField: {}, errors: 0, errorsByClass: {}, reconnects: 0, cpuPerResponseUs: 0 };
  if (!v) return { injected: inj, detected: 0, undetected: 0, falsePositives: 0, undetectedBasis: 'oracle', oracleUndetected: 0, ...(companions.length ? { companions: comp } : {}), ...empty, partial: true };
  const signal = DETECTION_SIGNAL[kind];
  const errResp = errorResponses(v);
  const connErr = connectionLosses(v, onMismatch);
  // Connection losses the companion resets explain (stale cell: each `close` is one).
  const companionCloses = comp.close ?? 0;
  let detected: number;
  let unexplained: number;
  switch (signal) {
    case 'mismatch':
      detected = v.mismatches;
      unexplained = Math.max(0, detected - inj) + errResp + Math.max(0, connErr - companionCloses);
      break;
    case 'error-response':
      detected = errResp;
      unexplained = Math.max(0, detected - inj) + v.mismatches + connErr;
      break;
    case 'connection-error':
      detected = connErr;
      unexplained = Math.max(0, detected - inj) + v.mismatches + errResp;
      break;
  }
  // Measured for every kind: the oracle checks the identity stamp and the data
  // checksum of every accepted page, so a `corrupt` page accepted is counted.
  const oracle = v.undetected ?? 0;
  return {
    injected: inj,
    detected,
    undetected: oracle,
    falsePositives: unexplained,
    undetectedBasis: 'oracle',
    oracleUndetected: oracle,
    ...(companions.length ? { companions: comp } : {}),
    responses: allResponses(v),
    measuredResponses: v.responses,
    throughputRps: round(v.throughputRps, 1),
    mismatches: v.mismatches,
    mismatchesByField: v.mismatchesByField,
    errors: v.errors,
    errorsByClass: v.errorsByClass,
    reconnects: v.reconnects,
    cpuPerResponseUs: round(v.cpu.perResponseUs, 3),
    ...(r.partial ? { partial: true } : {}),
  };
}

export function cleanCell(v: VariantResult, base: VariantResult | undefined): CleanCell {
  return {
    responses: v.responses,
    throughputRps: round(v.throughputRps, 1),
    cpuPerResponseUs: round(v.cpu.perResponseUs, 3),
    p50Us: v.latencyUs.p50,
    p99Us: v.latencyUs.p99,
    responseFrameBytes: round(v.responseFrameBytes, 1),
    falsePositives: v.mismatches + v.errors,
    undetected: v.undetected ?? 0,
    throughputVsV2: base && base.throughputRps > 0 ? round(v.throughputRps / base.throughputRps, 4) : 1,
    cpuPerResponseVsV2: base && base.cpu.perResponseUs > 0 ? round(v.cpu.perResponseUs / base.cpu.perResponseUs, 4) : 1,
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
