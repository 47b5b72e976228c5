/**
 * The body of `pagestream-bench sweep` (src/cli/commands/sweep.ts parses the
 * options): start one embedded emulator unless --target is given, measure the
 * steps, judge them, write the result file (with its `sweep` field) and the
 * HTML plot, print the table. A Ctrl-C or a failing step still writes what was
 * measured, marked partial.
 */
import os from 'node:os';
import { writeFileAtomic } from '../report/atomic.js';
import { computeComparison } from '../report/compare.js';
import { resultEnvelope, type PagestreamResult, type VariantName } from '../report/result.js';
import { defaultRunOptions, variantsOf, type RunOptions } from '../client/options.js';
import { TargetError } from '../protocol/errors.js';
import { ANALYZE_DEFAULTS } from './analyze.js';
import { runSweep } from './engine.js';
import { loadRunBenchmark, runMeasurer } from './measure-run.js';
import { listedRateSteps, rateSteps, shapeSteps, type SweepStepPlan } from './plan.js';
import { renderSweepHtml } from './plot.js';
import { parseSlos } from './slo.js';
import { renderSweepTable } from './table.js';
import type { SweepSummary } from './types.js';

export interface SweepCommandOptions {
  target?: string | undefined;
  mgmt?: string | undefined;
  tenant?: string | undefined;
  timeline?: string | undefined;
  rels: string[];
  emulatorArgs: string[];
  protocol: 'v2' | 'v3' | 'both';
  mode: 'rate' | 'shape';
  rateStart?: number | undefined;
  rateEnd?: number | undefined;
  steps: number;
  scale: 'linear' | 'log';
  shapes?: string | undefined;
  rates?: string | undefined;
  slo: string[];
  tolerance: number;
  stopAfter: number;
  retries: number;
  connections: number;
  pipeline: number;
  workers: number;
  durationS: number;
  warmupS: number;
  pattern: string;
  seed: number;
  out: string;
  html: string;
  json: boolean;
  quiet: boolean;
  signal?: AbortSignal;
}

interface EmulatorHandle {
  host: string;
  port: number;
  mgmtPort: number;
  stop(): Promise<void>;
}

async function startEmulator(args: string[]): Promise<EmulatorHandle> {
  let mod: { startEmulatorProcess?: (o: { args?: string[]; readyTimeoutMs?: number }) => Promise<EmulatorHandle> };
  try {
    mod = (await import('../server/process.js' as string)) as typeof mod;
  } catch (e) {
    throw new TargetError('ERR_NO_EMULATOR', `the embedded emulator is not available in this build (${(e as Error).message.split('\n')[0]}); give --target`);
  }
  if (typeof mod.startEmulatorProcess !== 'function') throw new TargetError('ERR_NO_EMULATOR', 'the embedded emulator module has no startEmulatorProcess');
  // Prefilling a large dataset takes a while (~9 us a page).
  return mod.startEmulatorProcess({ args, readyTimeoutMs: 120_000 });
}

export interface SweepOutcome {
  result: PagestreamResult;
  summary: SweepSummary;
  mismatches: number;
  /** Set when a signal stopped the sweep (what was measured is still written). */
  signal?: 'SIGINT' | 'SIGTERM';
}

export async function runSweepCommand(o: SweepCommandOptions): Promise<SweepOutcome> {
  const slo = parseSlos(o.slo);
  const plan: SweepStepPlan[] =
    o.mode === 'shape'
      ? shapeSteps(o.shapes!)
      : o.rates !== undefined
        ? listedRateSteps(o.rates, o.connections, o.pipeline)
        : rateSteps(o.rateStart!, o.rateEnd!, o.steps, o.scale, o.connections, o.pipeline);
  const variants = variantsOf({ protocol: o.protocol });
  const log = o.quiet ? undefined : (line: string) => process.stderr.write(line + '\n');

  // Ctrl-C: stop the step in progress, keep what was measured.
  const ac = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  const onAbort = (): void => ac.abort();
  const onSigint = (): void => {
    signal = 'SIGINT';
    ac.abort('SIGINT');
  };
  const onSigterm = (): void => {
    signal = 'SIGTERM';
    ac.abort('SIGTERM');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);

  const startedAt = new Date().toISOString();
  let emulator: EmulatorHandle | undefined;
  const results = new Map<number, PagestreamResult>();
  let summary: SweepSummary | undefined;
  let failure: unknown;
  const base: RunOptions = {
    ...defaultRunOptions(os.cpus().length),
    rels: o.rels,
    protocol: o.protocol,
    workers: o.workers,
    durationS: o.durationS,
    warmupS: o.warmupS,
    rounds: 1,
    pattern: o.pattern,
    seed: o.seed,
    signal: ac.signal,
  };
  if (o.tenant) base.tenant = o.tenant;
  if (o.timeline) base.timeline = o.timeline;
  const analyze = { ...ANALYZE_DEFAULTS, mode: o.mode, slo, tolerance: o.tolerance, workers: o.workers };
  try {
    if (o.target === undefined) {
      // Quiet, as run's embedded emulator: each step's connections closing would log a line each.
      // --prefill: every page is built before the first step, so no step pays page generation.
      emulator = await startEmulator(['--quiet', '--prefill', ...o.emulatorArgs]);
      base.target = `postgres://${emulator.host}:${emulator.port}`;
      base.mgmt = o.mgmt ?? `http://${emulator.host}:${emulator.mgmtPort}`;
      log?.(`sweep: embedded emulator on ${emulator.host}:${emulator.port}${o.emulatorArgs.length ? ` (${o.emulatorArgs.join(' ')})` : ''}`);
    } else {
      base.target = o.target;
      if (o.mgmt) base.mgmt = o.mgmt;
    }
    const runBenchmark = await loadRunBenchmark();
    summary = await runSweep(
      { ...analyze, plan, variants, stopAfter: o.stopAfter, retries: o.retries, signal: ac.signal, ...(log ? { log } : {}) },
      runMeasurer(base, variants, runBenchmark, (step, r) => results.set(step.index, r)),
    );
  } catch (e) {
    failure = e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (emulator) await emulator.stop().catch(() => undefined);
  }

  // What was measured, even after a failure or an interrupt.
  if (!summary) {
    const steps = plan.filter((p) => results.has(p.index)).map((p) => ({ ...p, variants: {} }));
    summary = { schema: 'pagestream-bench.sweep/v1', mode: o.mode, slo, tolerance: o.tolerance, steps, variants: {} };
  }
  summary.html = o.html;
  if (ac.signal.aborted && failure === undefined) {
    for (const v of Object.values(summary.variants)) if (v) v.conclusion += ` (interrupted after step ${summary.steps.at(-1)?.index ?? '-'}: higher steps were not measured)`;
  }
  const result = buildResult(o, summary, results, variants, startedAt, base);
  const interrupted = ac.signal.aborted;
  if (failure !== undefined || interrupted) {
    result.partial = true;
    result.partialReason = failure !== undefined ? `sweep stopped: ${(failure as Error).message ?? String(failure)}` : `interrupted${signal ? ` (${signal})` : ''}`;
  }
  writeFileAtomic(o.out, JSON.stringify(result, null, 2) + '\n');
  writeFileAtomic(o.html, renderSweepHtml(summary, `pagestream-bench sweep — ${result.config.target}`));
  if (failure !== undefined) throw failure;
  process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : renderSweepTable(summary));
  log?.(`sweep: wrote ${o.out} and ${o.html}`);
  let mismatches = 0;
  for (const st of summary.steps) for (const m of Object.values(st.variants)) mismatches += m?.mismatches ?? 0;
  return { result, summary, mismatches, ...(signal ? { signal } : {}) };
}

/**
 * The result file: `variants` holds, for each variant, the run result of the
 * step at its highest sustainable load (or of the last step measured, if
 * none met the objective), so `report` and `gate` read a sweep like a run;
 * every step's figures are in `sweep.steps`.
 */
function buildResult(
  o: SweepCommandOptions,
  summary: SweepSummary,
  results: Map<number, PagestreamResult>,
  variants: VariantName[],
  startedAt: string,
  base: RunOptions,
): PagestreamResult {
  const last = [...results.values()].at(-1);
  const out: PagestreamResult = {
    ...resultEnvelope(startedAt),
    config: {
      ...(last?.config ?? {
        target: o.target === undefined ? 'embedded' : 'target',
        rels: o.rels,
        protocol: o.protocol,
        connections: o.connections,
        pipeline: o.pipeline,
        workers: o.workers,
        durationS: o.durationS,
        warmupS: o.warmupS,
        rounds: 1,
        pattern: o.pattern,
        batch: base.batch,
        lsn: base.lsn,
        seed: o.seed,
        verifyChecksum: base.verifyChecksum,
        onMismatch: base.onMismatch,
      }),
      ...(o.target === undefined ? { target: 'embedded', emulatorArgs: o.emulatorArgs } : {}),
      command: 'sweep',
      sweepMode: o.mode,
      ...(o.mode === 'shape' ? { shapes: o.shapes } : o.rates !== undefined ? { rates: o.rates } : { rateStart: o.rateStart, rateEnd: o.rateEnd, steps: o.steps, scale: o.scale }),
      slo: o.slo,
    },
    variants: {},
    comparison: {},
    sweep: summary,
  };
  for (const v of variants) {
    const at = summary.variants[v]?.maxSustainable?.step;
    const r = (at !== undefined ? results.get(at) : undefined) ?? last;
    const vr = r?.variants[v];
    if (vr) out.variants[v] = vr;
  }
  if (variants.length > 1) out.comparison = computeComparison(out);
  const anyClient = Object.values(summary.variants).filter((s) => s?.clientLimited);
  if (anyClient.length) {
    out.saturation = {
      clientLimited: true,
      reasons: anyClient.flatMap((s) => s!.reasons),
      maxWorkerElu: Math.max(0, ...summary.steps.flatMap((st) => Object.values(st.variants).map((m) => m?.maxWorkerElu ?? 0))),
      suggestion: anyClient[0]!.suggestion ?? '',
    };
  }
  return out;
}
