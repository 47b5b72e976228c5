/**
 * `pagestream-bench faults`: the fault-detection study (issue 6). Every fault
 * kind × every verification variant against the embedded emulator at one
 * rate, with the emulator's ground truth, plus clean runs for false positives
 * and cost. Table on stdout (or the result JSON with --json), result file with
 * a `faults` object (src/faults/matrix.ts), exit 0 — or 1 when a clean run
 * saw a false positive or a wrong page, which is a bug in the tool or the
 * emulator; 2 when a cell could not be measured (its emulator failed; the
 * other cells are still run and written); 130/143 on SIGINT/SIGTERM after
 * writing what was measured.
 */
import os from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { EXIT_MISMATCH, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, EXIT_USAGE } from '../command.js';
import type { OptionSpec } from '../options.js';
import { UsageError } from '../../protocol/errors.js';
import { STUDY_FAULT_KINDS, VERIFY_VARIANTS } from '../../faults/kinds.js';
import type { StudyFaultKind, VerifyVariantName } from '../../faults/kinds.js';
import { runFaultStudy } from '../../faults/study.js';
import { studyResult } from '../../faults/result.js';
import { renderFaultTable } from '../../faults/table.js';
import { writeFileAtomic } from '../../report/atomic.js';

const CPUS = os.availableParallelism?.() ?? os.cpus().length;
const VARIANT_NAMES = VERIFY_VARIANTS.map((v) => v.name);

const options: OptionSpec[] = [
  { name: 'rate-per-fault', type: 'number', arg: '<fraction>', default: 0.001, min: 0.000001, max: 0.5, doc: 'probability that a GetPage response carries the cell\'s fault (stale: per fresh connection, see docs/fault-study.md)' },
  { name: 'duration', type: 'duration', default: 2, min: 0.05, doc: 'measured seconds per cell (and per variant in the clean runs)' },
  { name: 'kinds', type: 'string', arg: '<kind,…>', default: STUDY_FAULT_KINDS.join(','), doc: 'fault kinds to study' },
  { name: 'variants', type: 'string', arg: '<variant,…>', default: VARIANT_NAMES.join(','), doc: 'verification variants (v2, v2+checksum, v3, v3+checksum)' },
  { name: 'connections', type: 'int', min: 1, max: 10_000, default: 4, doc: 'page-stream connections per cell' },
  { name: 'pipeline', type: 'int', min: 1, max: 65_536, default: 32, doc: 'requests in flight per connection' },
  { name: 'workers', type: 'int', min: 1, max: 256, default: Math.max(1, CPUS - 1), doc: 'worker threads' },
  { name: 'seed', type: 'int', min: 0, default: 1, doc: 'seed of the emulator\'s fault dice and the block choice (reproducible)' },
  { name: 'on-mismatch', type: 'string', choices: ['count', 'reconnect'], default: 'reconnect', doc: 'what the client does on a mismatch (reconnect: as a compute resets its prefetch ring; count: keep reading the out-of-step stream)' },
  { name: 'timeout', type: 'duration', default: 5, min: 0.001, doc: 'no response for this long: an error, and a reconnect' },
  { name: 'clean', type: 'bool', default: true, doc: 'also run without faults: false positives and the cost of each variant (--no-clean to skip)' },
  { name: 'clean-rounds', type: 'int', min: 1, max: 100, default: 3, doc: 'rounds of the clean runs (V2 and V3 interleaved)' },
  { name: 'emulator-args', type: 'string', rawValue: true, arg: '"<args>"', doc: 'extra arguments for every cell\'s emulator, e.g. --emulator-args="--relations 4000,2000 --latency 100us" (not --faults)' },
  { name: 'out', type: 'string', arg: '<file.json>', doc: 'result file (default: results/faults-<timestamp>.json)' },
  { name: 'json', type: 'bool', default: false, doc: 'print the result JSON on stdout instead of the table' },
  { name: 'quiet', type: 'bool', default: false, doc: 'no per-cell lines on stderr' },
];

function parseList<T extends string>(text: string, allowed: readonly T[], opt: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${opt}: empty; expected a comma-separated list of ${allowed.join(', ')}`);
  for (const i of items) {
    if (!(allowed as readonly string[]).includes(i)) throw new UsageError(`--${opt}: ${JSON.stringify(i)} is not one of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function defaultOut(): string {
  return join('results', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

const command: Command = {
  name: 'faults',
  summary: 'fault-detection study: inject each fault kind into the embedded emulator, report what each verification variant (v2, v2+checksum, v3, v3+checksum) detects and what slips through, with ground truth',
  usage: 'Each cell runs the load generator against a fresh emulator started with --faults <kind>=<rate>; injected comes from the emulator\'s /v1/faults, undetected from the client\'s oracle (each accepted page\'s identity stamp and data checksum).',
  options,
  async run(args) {
    const v = args.values;
    const kinds = parseList<StudyFaultKind>(v.kinds as string, STUDY_FAULT_KINDS, 'kinds');
    const variants = parseList<VerifyVariantName>(v.variants as string, VARIANT_NAMES, 'variants');
    const emulatorArgs = v['emulator-args'] ? String(v['emulator-args']).split(/\s+/).filter((w) => w !== '') : [];
    if (emulatorArgs.some((w) => w === '--faults' || w.startsWith('--faults=') || w === '--fault-seed' || w.startsWith('--fault-seed='))) {
      throw new UsageError('--emulator-args: --faults and --fault-seed are set by the study per cell (use --kinds, --rate-per-fault, --seed)');
    }
    const quiet = v.quiet === true;
    const note = (s: string): void => {
      if (!quiet) process.stderr.write(s + '\n');
    };
    const ac = new AbortController();
    let signalExit = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalExit) return;
      signalExit = sig === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
      ac.abort(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const startedAt = new Date();
    let outcome;
    try {
      outcome = await runFaultStudy({
        kinds, variants,
        ratePerFault: v['rate-per-fault'] as number,
        durationS: v.duration as number,
        connections: v.connections as number,
        pipeline: v.pipeline as number,
        workers: v.workers as number,
        seed: v.seed as number,
        onMismatch: v['on-mismatch'] as 'count' | 'reconnect' | 'abort',
        timeoutS: v.timeout as number,
        clean: v.clean as boolean,
        cleanRounds: v['clean-rounds'] as number,
        emulatorArgs,
        signal: ac.signal,
      }, { log: note });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const result = studyResult(outcome, startedAt);
    const out = (v.out as string | undefined) ?? defaultOut();
    writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
    note(`wrote ${out}`);
    if (v.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else process.stdout.write(renderFaultTable(outcome.study));
    if (signalExit) return signalExit;
    if (outcome.failures.length > 0) {
      // Always said, even with --quiet: the matrix has holes.
      process.stderr.write(`pagestream-bench faults: ${outcome.failures.length} cell(s) could not be measured (first: ${outcome.failures[0]}); the result file has the rest\n`);
      return EXIT_USAGE;
    }
    const cleanBad = Object.values(outcome.study.clean).some((c) => c && (c.falsePositives > 0 || c.undetected > 0));
    return cleanBad ? EXIT_MISMATCH : EXIT_OK;
  },
};
export default command;
