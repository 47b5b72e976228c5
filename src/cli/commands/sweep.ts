/**
 * `pagestream-bench sweep`: capacity planning. Steps the offered load — an
 * open-loop rate from --rate-start to --rate-end in --steps (latency from each
 * request's intended send time, coordinated-omission correct), or closed-loop
 * load shapes with --shapes — measures each step with `run`, and finds, per
 * variant, the highest load that meets the objectives (--slo), the knee, and
 * whether the load generator rather than the server limited a step.
 * Table on stdout (or --json), result file with a `sweep` field, HTML plot.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../command.js';
import { EXIT_MISMATCH, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from '../command.js';
import type { OptionSpec, ParsedArgs } from '../options.js';
import { UsageError } from '../../protocol/errors.js';
import { runSweepCommand, type SweepCommandOptions } from '../../sweep/command.js';

const options: OptionSpec[] = [
  { name: 'target', type: 'string', arg: '<url>', doc: 'postgres://[user[:password]@]host:port of a pageserver; absent: one embedded emulator for the whole sweep' },
  { name: 'mgmt', type: 'string', arg: '<url>', doc: 'the pageserver management API, for discovery of the timeline and relations' },
  { name: 'tenant', type: 'string', arg: '<hex32>', doc: 'tenant to read' },
  { name: 'timeline', type: 'string', arg: '<hex32>', doc: 'timeline to read' },
  { name: 'rel', type: 'string', arg: '<spc/db/rel[.fork]>', repeatable: true, doc: 'relation to read (repeatable)' },
  { name: 'emulator-args', type: 'string', rawValue: true, arg: '<args>', doc: 'extra arguments for the embedded emulator, space-separated; e.g. --emulator-args "--latency 2ms"', default: '' },
  { name: 'protocol', type: 'string', choices: ['v2', 'v3', 'both'], doc: 'variants to sweep; both = v2, v3 and v3-noverify, each judged on its own', default: 'v3' },
  { name: 'rate-start', type: 'number', arg: '<rps>', doc: 'lowest offered load, requests/s (open loop)', min: 1 },
  { name: 'rate-end', type: 'number', arg: '<rps>', doc: 'highest offered load, requests/s', min: 1 },
  { name: 'steps', type: 'int', doc: 'number of rate steps from --rate-start to --rate-end', default: 8, min: 1, max: 200 },
  { name: 'scale', type: 'string', choices: ['linear', 'log'], doc: 'spacing of the rate steps', default: 'linear' },
  { name: 'rates', type: 'string', arg: '<rps,…>', doc: 'explicit offered rates instead of --rate-start/--rate-end/--steps, increasing, e.g. 1000,1500,1800,2000' },
  { name: 'shapes', type: 'string', arg: '<CxP,…>', doc: 'closed-loop sweep over load shapes instead of rates, e.g. 1x1,4x1,4x8,4x32' },
  { name: 'slo', type: 'string', arg: '<pNN=dur,…>', repeatable: true, doc: 'objective, e.g. p99=1ms or p50=200us,p99=1ms (repeatable); absent: keep up with the offered load' },
  { name: 'tolerance', type: 'percent', doc: 'a rate step keeps up when responses/s >= (100 - tolerance) % of the offered rate', default: 5, min: 0, max: 50 },
  { name: 'stop-after', type: 'int', doc: 'stop after this many consecutive failing steps (every variant); 0 = measure all', default: 2, min: 0 },
  { name: 'retries', type: 'int', doc: 'measure a failing step again up to this many times before it counts as failed (noisy machines)', default: 1, min: 0, max: 5 },
  { name: 'connections', type: 'int', doc: 'connections (rate mode)', default: 4, min: 1 },
  { name: 'pipeline', type: 'int', doc: 'most requests in flight per connection (rate mode)', default: 32, min: 1 },
  { name: 'workers', type: 'int', doc: 'load-generator worker threads (default: CPUs - 1, at least 1)', min: 1 },
  { name: 'duration', type: 'duration', doc: 'measured seconds per step and variant', default: 2, min: 0.2 },
  { name: 'warmup', type: 'duration', doc: 'discarded warm-up per step and variant', default: 0.5, min: 0 },
  { name: 'pattern', type: 'string', doc: 'which blocks to read: uniform | sequential | zipf[:s]', default: 'uniform' },
  { name: 'seed', type: 'int', doc: 'seed for block choice', default: 1 },
  { name: 'out', type: 'string', arg: '<file.json>', doc: 'result file (default: results/sweep-<time>.json)' },
  { name: 'html', type: 'string', arg: '<file.html>', doc: 'HTML plot (default: the result file with .html)' },
  { name: 'json', type: 'bool', doc: 'print the result JSON on stdout instead of the table', default: false },
  { name: 'quiet', type: 'bool', doc: 'no per-step progress lines on stderr', default: false },
];

function toOptions(a: ParsedArgs): SweepCommandOptions {
  const v = a.values;
  const shapes = v.shapes as string | undefined;
  const rates = v.rates as string | undefined;
  const hasRange = a.given.has('rate-start') || a.given.has('rate-end');
  if ([shapes !== undefined, rates !== undefined, hasRange].filter(Boolean).length > 1) {
    throw new UsageError('--shapes: give one of --rate-start/--rate-end, --rates or --shapes');
  }
  if (shapes === undefined && rates === undefined && !(a.given.has('rate-start') && a.given.has('rate-end'))) {
    throw new UsageError('--rate-start and --rate-end are needed (or --rates, or --shapes for a closed-loop sweep)');
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve((v.out as string | undefined) ?? `results/sweep-${stamp}.json`);
  return {
    target: v.target as string | undefined,
    mgmt: v.mgmt as string | undefined,
    tenant: v.tenant as string | undefined,
    timeline: v.timeline as string | undefined,
    rels: v.rel as string[],
    emulatorArgs: String(v['emulator-args']).split(/\s+/).filter(Boolean),
    protocol: v.protocol as 'v2' | 'v3' | 'both',
    mode: shapes !== undefined ? 'shape' : 'rate',
    rateStart: v['rate-start'] as number | undefined,
    rateEnd: v['rate-end'] as number | undefined,
    steps: v.steps as number,
    scale: v.scale as 'linear' | 'log',
    shapes,
    rates,
    slo: v.slo as string[],
    tolerance: (v.tolerance as number) / 100,
    stopAfter: v['stop-after'] as number,
    retries: v.retries as number,
    connections: v.connections as number,
    pipeline: v.pipeline as number,
    workers: (v.workers as number | undefined) ?? Math.max(1, os.cpus().length - 1),
    durationS: v.duration as number,
    warmupS: v.warmup as number,
    pattern: v.pattern as string,
    seed: v.seed as number,
    out,
    html: path.resolve((v.html as string | undefined) ?? out.replace(/\.json$/i, '') + '.html'),
    json: v.json as boolean,
    quiet: v.quiet as boolean,
  };
}

const command: Command = {
  name: 'sweep',
  summary: 'capacity planning: step the offered load, find the highest load that meets a latency objective (--slo), per variant',
  usage: [
    'Examples:',
    '  pagestream-bench sweep --rate-start 20000 --rate-end 200000 --steps 10 --slo p99=1ms',
    '  pagestream-bench sweep --emulator-args="--latency 2ms --max-batch 1" --rate-start 1000 --rate-end 3000 --steps 11 --slo p99=10ms',
    '  pagestream-bench sweep --shapes 1x1,4x1,4x8,4x32,16x32 --slo p99=2ms --protocol both',
  ].join('\n'),
  options,
  async run(a) {
    const r = await runSweepCommand(toOptions(a));
    if (r.signal) return r.signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
    return r.mismatches > 0 ? EXIT_MISMATCH : EXIT_OK;
  },
};
export default command;
