/**
 * `gate --baseline <a.json> <b.json>`: CI regression gate. Prints a Markdown
 * verdict table on stdout (ready for $GITHUB_STEP_SUMMARY); exit 0 pass,
 * 1 regression, 2 usage or input error (unreadable file, schema mismatch,
 * incompatible configurations).
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { EXIT_MISMATCH, EXIT_OK } from '../command.js';
import type { OptionSpec } from '../options.js';
import { UsageError } from '../../protocol/errors.js';
import { loadResult } from '../../report/load.js';
import { checkGateCompatible, DEFAULT_THRESHOLDS, evaluateGate, parseGateConfig, renderGateMarkdown, THRESHOLD_OPTIONS } from '../../report/gate.js';
import type { GateThresholds } from '../../report/gate.js';

const pctOpt = (name: string, doc: string, def: number): OptionSpec => ({ name, type: 'percent', arg: '<pct>', doc, default: `${def}%` });

const command: Command = {
  name: 'gate',
  summary: 'CI regression gate: compare a result against a baseline (exit 0 pass, 1 regression, 2 usage/input error)',
  positionals: '<current.json>',
  usage:
    'Same-run ratios (V3 over V2: machine-independent) are checked first, absolute figures against the baseline second.\n' +
    'Checks that the runs\' own round-to-round spread makes unreliable are marked; their breaches warn unless --strict.\n' +
    'Thresholds: options > --config file > defaults. Prints a Markdown verdict table on stdout.',
  options: [
    { name: 'baseline', type: 'string', arg: '<baseline.json>', doc: 'the result to compare against (e.g. committed in the repository)' },
    { name: 'config', type: 'string', arg: '<gate.json>', doc: 'thresholds as JSON, keys = these option names, e.g. {"max-p99-rise": "10%"}' },
    pctOpt('max-throughput-drop', 'fail when throughput falls more than this below the baseline', DEFAULT_THRESHOLDS.maxThroughputDrop),
    pctOpt('max-p99-rise', 'fail when p99 latency rises more than this above the baseline', DEFAULT_THRESHOLDS.maxP99Rise),
    pctOpt('max-cpu-per-response-rise', 'fail when client CPU per response rises more than this', DEFAULT_THRESHOLDS.maxCpuPerResponseRise),
    pctOpt('max-v3-overhead', 'fail when V3 throughput is more than this below V2 in the same run', DEFAULT_THRESHOLDS.maxV3Overhead),
    pctOpt('max-v3-p99-overhead', 'fail when V3 p99 is more than this above V2 in the same run', DEFAULT_THRESHOLDS.maxV3P99Overhead),
    pctOpt('max-v3-cpu-overhead', 'fail when V3 CPU per response is more than this above V2 in the same run', DEFAULT_THRESHOLDS.maxV3CpuOverhead),
    pctOpt('max-v3-bytes-overhead', 'fail when V3 bytes per response are more than this above V2', DEFAULT_THRESHOLDS.maxV3BytesOverhead),
    { name: 'max-mismatches', type: 'int', min: 0, arg: '<n>', doc: 'fail when a variant has more mismatched responses than this', default: DEFAULT_THRESHOLDS.maxMismatches },
    pctOpt('max-error-rate', 'fail when more than this share of requests got an error', DEFAULT_THRESHOLDS.maxErrorRate),
    { name: 'strict', type: 'bool', doc: 'fail on breaches the machine\'s noise makes unreliable, too (default: warn)', default: false },
  ],
  async run(args) {
    const baseline = args.values.baseline as string | undefined;
    if (!baseline) throw new UsageError('gate: --baseline <baseline.json> is required (usage: pagestream-bench gate --baseline a.json b.json)');
    if (args.positionals.length !== 1) throw new UsageError(`gate: expected exactly one current result file, got ${args.positionals.length} (usage: pagestream-bench gate --baseline a.json b.json)`);
    const current = args.positionals[0]!;
    const t: GateThresholds = { ...DEFAULT_THRESHOLDS };
    const cfgPath = args.values.config as string | undefined;
    if (cfgPath) {
      let text: string;
      try {
        text = readFileSync(cfgPath, 'utf8');
      } catch (e) {
        throw new UsageError(`${cfgPath}: cannot read gate config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      Object.assign(t, parseGateConfig(text, cfgPath));
    }
    for (const [opt, key] of THRESHOLD_OPTIONS) {
      if (!args.given.has(opt)) continue;
      const v = args.values[opt];
      if (key === 'strict') t.strict = v as boolean;
      else {
        if ((v as number) < 0) throw new UsageError(`--${opt}: must not be negative`);
        t[key] = v as number;
      }
    }
    const base = loadResult(baseline);
    const cur = loadResult(current);
    checkGateCompatible(base, cur, baseline, current);
    const rep = evaluateGate(base, cur, t);
    process.stdout.write(renderGateMarkdown(rep, baseline, current));
    return rep.exitCode === 0 ? EXIT_OK : EXIT_MISMATCH;
  },
};
export default command;
