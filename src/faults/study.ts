/**
 * The fault-detection study engine: one `runBenchmark` per cell (fault kind ×
 * verification variant) against a fresh embedded emulator that injects that
 * kind, ground truth read from the emulator's `/v1/faults` just before it
 * stops; then clean runs (nothing injected) that measure false positives and
 * what each verification variant costs.
 *
 * A fresh emulator per cell keeps cells independent: ground-truth counters,
 * page cache and the "last response" a stale fault replays all start empty.
 */
import { runBenchmark } from '../client/run.js';
import { DEFAULT_RCVBUF_BYTES, DEFAULT_SLICE_S } from '../client/options.js';
import type { RunOptions } from '../client/options.js';
import type { PagestreamResult, VariantResult } from '../report/result.js';
import { ProtocolError, TargetError, UsageError } from '../protocol/errors.js';
import { STUDY_FAULT_KINDS, VERIFY_VARIANTS, faultSpec } from './kinds.js';
import type { StudyFaultKind, VerifyVariant, VerifyVariantName } from './kinds.js';
import { cleanCell, faultCell } from './matrix.js';
import type { FaultStudy } from './matrix.js';

export interface StudyOptions {
  kinds: StudyFaultKind[];
  variants: VerifyVariantName[];
  ratePerFault: number;
  /** Measured seconds per cell (and per variant in the clean runs). */
  durationS: number;
  connections: number;
  pipeline: number;
  workers: number;
  seed: number;
  onMismatch: 'count' | 'reconnect' | 'abort';
  timeoutS: number;
  /** Run the clean (no fault) cost runs. */
  clean: boolean;
  /** Rounds of the clean runs (variants interleaved A B A B …). */
  cleanRounds: number;
  /** Extra arguments for every cell's emulator (dataset, latency model, …); never --faults. */
  emulatorArgs: string[];
  signal?: AbortSignal;
}

export interface StudyHooks {
  /** One line per cell (stderr). */
  log?(line: string): void;
}

export interface StudyOutcome {
  study: FaultStudy;
  /** Cells (or clean runs) that could not be measured: "<kind>/<variant>: <reason>". */
  failures: string[];
  /** The last run's result: the shell of the study's result file (environment, timestamps). */
  shell: PagestreamResult | undefined;
  partial: boolean;
  partialReason?: string;
}

async function fetchGroundTruth(mgmt: string | undefined): Promise<Record<string, number>> {
  if (!mgmt) throw new TargetError('ERR_NO_GROUND_TRUTH', 'faults: the embedded emulator has no management API to read /v1/faults from');
  const res = await fetch(new URL('/v1/faults', mgmt), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new TargetError('ERR_NO_GROUND_TRUTH', `faults: GET ${mgmt}/v1/faults answered ${res.status}`);
  const body = (await res.json()) as { injected?: Record<string, number> };
  if (typeof body.injected !== 'object' || body.injected === null) throw new TargetError('ERR_NO_GROUND_TRUTH', 'faults: /v1/faults has no "injected" object');
  return body.injected;
}

function baseRun(o: StudyOptions, v: VerifyVariant): RunOptions {
  return {
    rels: [],
    protocol: v.protocol,
    variants: [v.protocol],
    connections: o.connections,
    pipeline: o.pipeline,
    workers: o.workers,
    durationS: o.durationS,
    warmupS: 0,
    rounds: 1,
    sliceS: DEFAULT_SLICE_S,
    // Refill as each response is read, as a compute's prefetch does: the ring
    // never runs empty, so an extra response (stale, swap) is never the
    // unsolicited one that even V2 sees, and what each variant detects does
    // not depend on when the client's reads end inside a frame.
    refillDeferS: 0,
    pacing: 'native', // closed loop: unused
    rcvbufBytes: DEFAULT_RCVBUF_BYTES,
    pattern: 'uniform',
    batch: 1,
    lsn: 'latest',
    seed: o.seed,
    verifyChecksum: v.verifyChecksum,
    onMismatch: o.onMismatch,
    timeoutS: o.timeoutS,
    oracle: true,
    emulatorArgs: [...o.emulatorArgs],
    signal: o.signal,
  };
}

export async function runFaultStudy(o: StudyOptions, hooks: StudyHooks = {}): Promise<StudyOutcome> {
  const log = (s: string): void => hooks.log?.(s);
  const study: FaultStudy = {
    ratePerFault: o.ratePerFault,
    durationS: o.durationS,
    connections: o.connections,
    pipeline: o.pipeline,
    onMismatch: o.onMismatch,
    seed: o.seed,
    kinds: o.kinds,
    variants: o.variants,
    matrix: {},
    clean: {},
    emulatorFaults: {},
    notes: [],
  };
  let shell: PagestreamResult | undefined;
  let partialReason: string | undefined;
  const failures: string[] = [];
  /**
   * One cell's run. A cell whose emulator or target fails (e.g. the emulator
   * crashed) is recorded and the study goes on with a fresh emulator for the
   * next cell; anything that is not a user-facing error is a bug and propagates.
   */
  const attempt = async (what: string, run: RunOptions, onGroundTruth: (g: Record<string, number>) => void): Promise<PagestreamResult | undefined> => {
    try {
      return await runBenchmark(run, { beforeStop: async (t) => { onGroundTruth(await fetchGroundTruth(t.mgmt)); } });
    } catch (e) {
      if (e instanceof TargetError || e instanceof UsageError || e instanceof ProtocolError) {
        failures.push(`${what}: ${e.message}`);
        log(`faults: ${what} FAILED: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  };
  const variants = VERIFY_VARIANTS.filter((v) => o.variants.includes(v.name));
  const aborted = (): boolean => o.signal?.aborted === true;

  outer: for (const kind of STUDY_FAULT_KINDS.filter((k) => o.kinds.includes(k))) {
    const spec = faultSpec(kind, o.ratePerFault);
    study.emulatorFaults[kind] = spec.faults;
    for (const v of variants) {
      if (aborted()) break outer;
      let injected: Record<string, number> = {};
      const run: RunOptions = { ...baseRun(o, v), emulatorArgs: [...o.emulatorArgs, '--faults', spec.faults, '--fault-seed', String(o.seed)] };
      const r = await attempt(`${kind}/${v.name}`, run, (g) => { injected = g; });
      if (!r) {
        if (aborted()) break outer;
        continue;
      }
      shell = r;
      const cell = faultCell(kind, r, injected, spec.companions, o.onMismatch);
      (study.matrix[kind] ??= {})[v.name] = cell;
      log(`faults: ${kind.padEnd(11)} ${v.name.padEnd(11)} injected ${cell.injected}, detected ${cell.detected}, undetected ${cell.undetected}, false positives ${cell.falsePositives} (${cell.responses} responses)`);
      if (r.partial) {
        partialReason = r.partialReason ?? 'interrupted';
        break outer;
      }
    }
  }

  if (o.clean && !partialReason && !aborted()) {
    // Two clean runs, each interleaving V2 and V3 over rounds so drift hits both
    // alike: one without and one with page checksum verification.
    let baseV2: VariantResult | undefined;
    for (const checksum of [false, true]) {
      const want = variants.filter((v) => v.verifyChecksum === checksum);
      if (want.length === 0) continue;
      if (aborted()) break;
      const protos = [...new Set(want.map((v) => v.protocol))];
      // The oracle checks identity stamps only here: nothing corrupts pages in
      // a clean run, and its page checksum (~1 us) would otherwise be part of
      // what v2 and v3 "cost" and hide the checksum variants' real cost.
      const run: RunOptions = {
        ...baseRun(o, want[0]!), protocol: protos.length > 1 ? 'both' : protos[0]!, variants: protos,
        rounds: o.cleanRounds, warmupS: 0.3, durationS: o.durationS, oracleChecksum: false,
      };
      let injected: Record<string, number> = {};
      const r = await attempt(`clean (checksum ${checksum ? 'on' : 'off'})`, run, (g) => { injected = g; });
      if (!r) continue;
      shell = r;
      const total = Object.values(injected).reduce((s, n) => s + n, 0);
      if (total !== 0) study.notes.push(`clean run (checksum ${checksum ? 'on' : 'off'}) reported ${total} injected faults: ${JSON.stringify(injected)}`);
      if (!checksum) baseV2 = r.variants.v2;
      for (const v of want) {
        const vr = r.variants[v.protocol];
        if (!vr) continue;
        study.clean[v.name] = cleanCell(vr, baseV2 ?? (checksum ? undefined : r.variants.v2));
        log(`faults: clean       ${v.name.padEnd(11)} ${Math.round(vr.throughputRps)} resp/s, ${vr.cpu.perResponseUs.toFixed(2)} us CPU/response, false positives ${study.clean[v.name]!.falsePositives}, undetected ${study.clean[v.name]!.undetected}`);
      }
      if (r.partial) {
        partialReason = r.partialReason ?? 'interrupted';
        break;
      }
    }
  }
  if (aborted() && !partialReason) partialReason = String(o.signal?.reason ?? 'aborted');
  study.notes.push(
    'detected: verifier mismatches for drop/swap/stale/wrong-*/corrupt, page-stream Error responses for error, lost connections (reconnects not caused by a mismatch) for close; ' +
    `with --on-mismatch ${o.onMismatch} each injected fault can cause at most one detection (the reset connection takes the shifted responses with it).`,
    'undetected: wrong or corrupted pages the verifier accepted, one per page, measured by the oracle (identity stamp + page data checksum; emulator pages always carry valid checksums); after drop/swap/stale V2 accepts every shifted page until the connection ends.',
    'clean runs: the oracle checks identity stamps only (no page checksum), so the cost figures are the verification variants\' own; fault cells pay one page checksum per accepted page for the oracle when the variant does not verify checksums itself.',
    'stale: injected per fresh connection; the row pairs it with close=<rate> (server-side resets) so that fresh connections occur, as in the seed scenario.',
  );
  if (failures.length > 0) study.notes.push(...failures.map((f) => `not measured: ${f}`));
  return { study, failures, shell, partial: partialReason !== undefined, ...(partialReason ? { partialReason } : {}) };
}
