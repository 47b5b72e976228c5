/**
 * `pagestream-bench run`: the main job (contract.md). Options -> RunOptions,
 * runBenchmark, then the table (or --json) on stdout, the result file, one
 * .hgrm per variant next to it, optional --hlog / --report / --format
 * pagebench. Exit 0 clean, 1 mismatches, 2 usage/target errors, 130/143 on
 * SIGINT/SIGTERM (after writing what was measured, marked partial).
 */
import os from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { EXIT_MISMATCH, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from '../command.js';
import type { OptionSpec, OptionValues } from '../options.js';
import { ProtocolError, TargetError, UsageError } from '../../protocol/errors.js';
import { parseId, parseRelTag } from '../../protocol/text.js';
import { parseArgs } from '../options.js';
import { writeFileAtomic } from '../../report/atomic.js';
import type { PagestreamResult, VariantName } from '../../report/result.js';
import { defaultRunOptions, runBenchmark, unreachableResult, variantsOf } from '../../client/run.js';
import type { OnMismatch, RunOptions } from '../../client/options.js';
import { renderTable } from '../../report/table.js';
import { decodeHistogram, percentileDistribution } from '../../stats/histogram.js';

const CPUS = os.availableParallelism?.() ?? os.cpus().length;
const D = defaultRunOptions(CPUS);

const options: OptionSpec[] = [
  { name: 'target', type: 'string', arg: '<url>', doc: 'postgres://[user[:password]@]host:port of a pageserver; absent: start the embedded emulator (the JWT may come from PAGESERVER_JWT)', secret: true },
  { name: 'mgmt', type: 'string', arg: '<url>', doc: 'the pageserver HTTP management API, to discover tenant, timeline, relations and last_record_lsn' },
  { name: 'tenant', type: 'string', arg: '<hex32>', doc: 'tenant id (default: discovered)' },
  { name: 'timeline', type: 'string', arg: '<hex32>', doc: 'timeline id (default: discovered)' },
  { name: 'rel', type: 'string', arg: '<spc/db/rel[.fork]>', repeatable: true, doc: 'relation to read, repeatable (default: every relation discovered); its size comes from an Nblocks request' },
  { name: 'protocol', type: 'string', choices: ['v2', 'v3', 'both'], default: D.protocol, doc: 'variants: both = V2, V3 and V3-noverify interleaved in rounds' },
  { name: 'connections', type: 'int', min: 1, default: D.connections, doc: 'page-stream connections' },
  { name: 'pipeline', type: 'int', min: 1, default: D.pipeline, doc: 'requests in flight per connection' },
  { name: 'workers', type: 'int', min: 1, default: D.workers, doc: 'worker threads (default: CPUs - 1, at least 1)' },
  { name: 'duration', type: 'duration', default: D.durationS, doc: 'measured seconds per variant, split evenly over the rounds' },
  { name: 'warmup', type: 'duration', default: D.warmupS, doc: 'discarded warm-up before each variant in each round' },
  { name: 'rounds', type: 'int', min: 1, default: D.rounds, doc: 'rounds (variants interleave A B C A B C …)' },
  { name: 'rcvbuf', type: 'size', arg: '<bytes>', default: D.rcvbufBytes, doc: 'socket receive buffer of every connection, e.g. 4MiB (the default); setting it turns off the kernel\'s autotuning for the socket, so every connection gets the same buffer (CPU ratios stop moving with each connection\'s autotuning); 0: leave it to the kernel' },
  { name: 'slice', type: 'duration', default: D.sliceS, doc: 'closed loop, several variants: every variant\'s connections stay open and the variants take turns sending, a slice this long each (A B C A B C … within each round), so short drift hits them alike; 0: one variant after another per round' },
  { name: 'refill-defer', type: 'duration', default: D.refillDeferS, doc: 'closed loop: while a socket read ends inside a frame (the rest of the server\'s burst is on its way), hold the refill of freed slots up to this long and send it with the burst\'s last read: one write per burst instead of one per read; 0: refill after every read' },
  { name: 'rate', type: 'number', arg: '<rps>', doc: 'open loop: total requests/s, latency from intended send time (CO-correct); absent: closed loop' },
  { name: 'pacing', type: 'string', choices: ['native', 'tick'], default: D.pacing, doc: 'open loop: what wakes a worker for a send between reads; native: a sub-millisecond timer at the earliest due send (the native helper; falls back to tick without it); tick: Node\'s 1 ms timer, sends up to ~1 ms late, and latency from the intended time carries it' },
  { name: 'pattern', type: 'string', arg: '<uniform|sequential|zipf[:s]>', default: D.pattern, doc: 'which blocks to read' },
  { name: 'batch', type: 'int', min: 1, default: D.batch, doc: 'contiguous blocks per burst (as a compute prefetch)' },
  { name: 'lsn', type: 'string', arg: '<latest|replica|X/Y>', default: D.lsn, doc: 'latest: Lsn::MAX with not_modified_since = last_record_lsn; replica: request_lsn = last_record_lsn' },
  { name: 'seed', type: 'int', min: 0, default: D.seed, doc: 'seed for block choice (reproducible)' },
  { name: 'verify-checksum', type: 'bool', default: false, doc: 'also verify each page\'s data checksum against the requested block (V2 too)' },
  { name: 'on-mismatch', type: 'string', choices: ['count', 'reconnect', 'abort'], default: D.onMismatch, doc: 'on a response that does not answer its request: count it; also drop the connection and start fresh; or stop the run' },
  { name: 'timeout', type: 'duration', default: D.timeoutS, doc: 'no response for this long: an error, and a reconnect with backoff' },
  { name: 'shard', type: 'string', arg: '<i/n>', doc: 'this host\'s part of a multi-host run: splits connections and key space' },
  { name: 'emulator-args', type: 'string', rawValue: true, arg: '"<args>"', doc: 'extra arguments for the embedded emulator, e.g. "--faults swap=0.001"' },
  { name: 'pin', type: 'bool', default: false, doc: 'embedded emulator only: pin it to the last CPU and the load generator to the others (Linux, taskset), so they do not trade cores between rounds' },
  { name: 'oracle', type: 'bool', default: false, doc: 'embedded emulator only: check each accepted page\'s identity stamp and data checksum, count wrong or corrupted pages accepted' },
  { name: 'out', type: 'string', arg: '<file.json>', doc: 'result file (default: results/run-<timestamp>.json)' },
  { name: 'json', type: 'bool', default: false, doc: 'print the result JSON on stdout instead of the table' },
  { name: 'format', type: 'string', choices: ['table', 'pagebench'], default: 'table', doc: 'stdout format (pagebench: Neon pagebench JSON summary per variant)' },
  { name: 'hlog', type: 'string', arg: '<file>', doc: 'also write the per-second interval histograms as an HdrHistogram log' },
  { name: 'slice-log', type: 'string', arg: '<file.jsonl>', doc: 'time slices: also write every measured slice (variant, ms, client CPU, responses, emulator CPU), one JSON line per round, to check or recompute the paired CPU ratio' },
  { name: 'report', type: 'bool', default: false, doc: 'also write the HTML and Markdown reports next to the result' },
  { name: 'quiet', type: 'bool', default: false, doc: 'no progress line and no notes on stderr' },
];

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard: ${JSON.stringify(text)} is not i/n with 0 <= i < n (e.g. 0/2)`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** Split "--faults swap=0.01 --fault-seed 3" into argv words (quotes group). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** A 32-hex id option, normalized; the error names the option and the accepted form. */
function idOption(v: OptionValues, name: 'tenant' | 'timeline'): string | undefined {
  const text = v[name] as string | undefined;
  if (text === undefined) return undefined;
  try {
    return parseId(text, `${name} id`);
  } catch {
    throw new UsageError(`--${name}: ${JSON.stringify(text)} is not 32 hex characters (a ${name} id, e.g. 0123456789abcdef0123456789abcdef)`);
  }
}

/** Each --rel must parse as a RelTag; the error names --rel and the form. */
function relOptions(v: OptionValues): string[] {
  const rels = (v.rel as string[] | undefined) ?? [];
  for (const r of rels) {
    try {
      parseRelTag(r);
    } catch (e) {
      const why = e instanceof ProtocolError && !/: expected spc\/db\/rel/.test(e.message) ? ` (${e.message})` : '';
      throw new UsageError(`--rel: ${JSON.stringify(r)} is not a RelTag spc/db/rel[.fork], e.g. 1663/5/16384 or 1663/5/16384.main${why}`);
    }
  }
  return rels;
}

/** --mgmt must be an absolute http(s) URL (it is fetched; anything else would only time out). */
function mgmtOption(v: OptionValues): string | undefined {
  const text = v.mgmt as string | undefined;
  if (text === undefined) return undefined;
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
    throw new UsageError(`--mgmt: ${JSON.stringify(text)} is not an http(s) URL (expected http://host:port, e.g. http://127.0.0.1:9898)`);
  }
  return text;
}

/**
 * Check --emulator-args against the embedded emulator's own options before
 * starting it: a bad flag is then one line here instead of the child's
 * forwarded error plus ours.
 */
async function checkEmulatorArgs(args: string[]): Promise<void> {
  if (args.length === 0) return;
  const serve = (await import('./serve.js')).default;
  try {
    const parsed = parseArgs(serve, args);
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof ProtocolError)) throw e;
    const msg = e.message.replace(/^serve: /, '').split('\n')[0]!;
    throw new UsageError(`--emulator-args: ${msg}; expected options of \`pagestream-bench serve\` (see its --help), e.g. "--faults swap=0.001"`);
  }
}

export function toRunOptions(v: OptionValues): RunOptions {
  const tenant = idOption(v, 'tenant');
  const timeline = idOption(v, 'timeline');
  if (v.target === undefined) {
    // Without --target they would select a tenant of the embedded emulator,
    // whose ids are its own: almost certainly not what the user meant.
    for (const n of ['tenant', 'timeline'] as const) {
      if (v[n] !== undefined) throw new UsageError(`--${n} needs --target (the embedded emulator's timeline is discovered); give --target postgres://host:port or drop --${n}`);
    }
  }
  const o: RunOptions = {
    ...D,
    target: v.target as string | undefined,
    mgmt: mgmtOption(v),
    tenant,
    timeline,
    rels: relOptions(v),
    protocol: v.protocol as RunOptions['protocol'],
    connections: v.connections as number,
    pipeline: v.pipeline as number,
    workers: v.workers as number,
    durationS: v.duration as number,
    warmupS: v.warmup as number,
    rounds: v.rounds as number,
    sliceS: v.slice as number,
    refillDeferS: v['refill-defer'] as number,
    pacing: v.pacing as RunOptions['pacing'],
    rcvbufBytes: v.rcvbuf as number,
    rate: v.rate as number | undefined,
    pattern: v.pattern as string,
    batch: v.batch as number,
    lsn: v.lsn as string,
    seed: v.seed as number,
    verifyChecksum: v['verify-checksum'] as boolean,
    onMismatch: v['on-mismatch'] as OnMismatch,
    timeoutS: v.timeout as number,
    oracle: v.oracle as boolean,
    emulatorArgs: v['emulator-args'] ? splitArgs(v['emulator-args'] as string) : [],
    pin: v.pin as boolean,
  };
  if (v.shard !== undefined) o.shard = parseShard(v.shard as string);
  if (o.target !== undefined && o.emulatorArgs.length > 0) throw new UsageError('--emulator-args applies to the embedded emulator only; drop it or --target');
  if (v['slice-log'] !== undefined && !(variantsOf(o).length > 1 && o.rate === undefined && o.sliceS > 0)) {
    throw new UsageError('--slice-log: there are no slices to log; it needs several variants (--protocol both) in a closed loop (no --rate) with --slice > 0');
  }
  if (o.target !== undefined && o.pin) throw new UsageError('--pin applies to the embedded emulator only (a remote server is not ours to pin); drop it or --target');
  return o;
}

function defaultOut(): string {
  const ts = new Date().toISOString().replace(/[:.]/g, '-');
  return join('results', `run-${ts}.json`);
}

/** Dynamic import of a report module, so a missing one is a clear error rather than a crash. */
async function reportModule<T>(name: string): Promise<T> {
  try {
    return (await import(`../../report/${name}.js`)) as T;
  } catch (e) {
    throw new UsageError(`report module src/report/${name}.ts is not available (${(e as Error).message.split('\n')[0]})`);
  }
}

export function hgrmPath(out: string, variant: VariantName): string {
  return `${out.replace(/\.json$/, '')}.${variant}.hgrm`;
}

/** Every file is written atomically (temp file + rename): a failure never leaves half a file. */
export async function writeOutputs(result: PagestreamResult, out: string, v: OptionValues, stderr: (s: string) => void, sliceLog: string[] = []): Promise<void> {
  writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
  const written = [out];
  if (v['slice-log']) {
    writeFileAtomic(v['slice-log'] as string, sliceLog.join(''));
    written.push(v['slice-log'] as string);
  }
  for (const [name, vr] of Object.entries(result.variants)) {
    if (!vr || vr.latencyUs.count === 0) continue;
    const p = hgrmPath(out, name as VariantName);
    writeFileAtomic(p, percentileDistribution(decodeHistogram(vr.latencyUs.histogram)));
    written.push(p);
  }
  if (v.hlog) {
    const { writeHlog } = await reportModule<{ writeHlog(r: PagestreamResult, p: string): void }>('hlog');
    writeHlog(result, v.hlog as string);
    written.push(v.hlog as string);
  }
  if (v.report) {
    const { renderHtml } = await reportModule<{ renderHtml(r: PagestreamResult): string }>('html');
    const { renderMarkdown } = await reportModule<{ renderMarkdown(r: PagestreamResult): string }>('markdown');
    const base = out.replace(/\.json$/, '');
    writeFileAtomic(`${base}.html`, renderHtml(result));
    writeFileAtomic(`${base}.md`, renderMarkdown(result));
    written.push(`${base}.html`, `${base}.md`);
  }
  stderr(`wrote ${written.join(', ')}`);
}

const command: Command = {
  name: 'run',
  summary: 'fire pipelined GetPage streams at a pageserver (default: a freshly started embedded emulator), verify every response, compare V2 / V3 / V3-noverify',
  options,
  async run(args) {
    const v = args.values;
    const opts = toRunOptions(v);
    await checkEmulatorArgs(opts.emulatorArgs);
    const out = (v.out as string | undefined) ?? defaultOut();
    const quiet = v.quiet === true;
    const tty = process.stderr.isTTY === true;
    const note = (s: string): void => {
      if (!quiet) process.stderr.write((tty ? '\r\x1b[K' : '') + s + '\n');
    };
    const ac = new AbortController();
    let signalExit = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalExit) {
        // A second signal: the user does not want to wait for the partial result.
        // (The emulator child exits by itself when our stdin pipe to it closes.)
        process.stderr.write(`pagestream-bench run: ${sig} again, exiting without writing a result\n`);
        process.exit(signalExit);
      }
      signalExit = sig === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM;
      ac.abort(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    opts.signal = ac.signal;
    let result: PagestreamResult;
    /** --slice-log: one JSON line per measured round. */
    const sliceLog: string[] = [];
    try {
      result = await runBenchmark(opts, {
        log: note,
        onSlices: v['slice-log'] ? (round, variants, s) => sliceLog.push(JSON.stringify({ round, variants, ...s }) + '\n') : undefined,
        progress: !quiet && tty ? (line) => process.stderr.write('\r\x1b[K' + line) : undefined,
      });
    } catch (e) {
      // The target could not be reached or is not a pageserver (pre-flight):
      // still write the result — config, zero counters, marked partial with
      // the reason — then exit 2 with the one line (contract.md). Silently:
      // the error line says where the result is.
      if (!(e instanceof TargetError || e instanceof ProtocolError)) throw e;
      try {
        writeFileAtomic(out, JSON.stringify(unreachableResult(opts, e.message), null, 2) + '\n');
      } catch {
        throw e;
      }
      throw new TargetError(e.code, `${e.message} (partial result: ${out})`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!quiet && tty) process.stderr.write('\r\x1b[K');
    }
    await writeOutputs(result, out, v, note, sliceLog);
    if (v.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else if (v.format === 'pagebench') {
      const { toPagebenchSummary } = await reportModule<{ toPagebenchSummary(r: PagestreamResult, n: VariantName): unknown }>('pagebench');
      const summaries: Record<string, unknown> = {};
      for (const n of Object.keys(result.variants) as VariantName[]) summaries[n] = toPagebenchSummary(result, n);
      process.stdout.write(JSON.stringify(summaries, null, 2) + '\n');
    } else process.stdout.write(renderTable(result));
    if (signalExit) return signalExit;
    const mismatches = Object.values(result.variants).reduce((s, r) => s + (r?.mismatches ?? 0), 0);
    return mismatches > 0 ? EXIT_MISMATCH : EXIT_OK;
  },
};
export default command;
