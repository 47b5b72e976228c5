/**
 * `npm run bench:ceiling`: where pagestream-bench stands between the practical
 * limit of this machine and its Node peer, measured side by side in one run.
 *
 *  (a)  raw          — a raw net client/server pair moving precomputed 8239-byte
 *                      V3 GetPage response frames for 47-byte requests;
 *  (a') raw-emulator — the raw client of (a) against the emulator of (c):
 *                      (a') vs (a) is the emulator's cost, (c) vs (a') the client's;
 *  (b)  autocannon   — autocannon against a minimal node:http server with
 *                      8192-byte bodies;
 *  (c)  pagestream   — pagestream-bench `run` (V3, verified) against the emulator.
 *
 * Same connections × pipeline for every arm; each client and each server is
 * its own process so CPU per response is attributed to one side. Arms are
 * interleaved in rounds (A B C A B C …) so machine drift hits every arm alike,
 * and each ratio is the median over rounds of the per-round ratio, with its
 * min–max. Writes results/bench-ceiling.json and prints a Markdown table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, renderHelp, type CommandSpec } from '../src/cli/options.js';
import { enablePinning } from './ceiling/pin.js';
import { UsageError } from '../src/protocol/errors.js';
import { childArm, forkedServer, type Arm, type ArmRound } from './ceiling/child-arm.js';
import { emulatorServer } from './ceiling/emulator-server.js';
import { roundRatio, spread, type Spread } from './ceiling/stats.js';
import { renderCeilingMarkdown } from './ceiling/markdown.js';
import type { CeilingResult, ArmSummary, CeilingTarget } from './ceiling/result.js';

const spec: CommandSpec = {
  name: 'bench:ceiling',
  summary: 'raw pair vs autocannon vs pagestream-bench run, interleaved in rounds; writes results/bench-ceiling.json',
  options: [
    { name: 'connections', type: 'int', doc: 'connections per arm', default: 4, min: 1, max: 256 },
    { name: 'pipeline', type: 'int', doc: 'requests in flight per connection', default: 32, min: 1, max: 1024 },
    { name: 'rounds', type: 'int', doc: 'interleaved rounds (A B C A B C …)', default: 3, min: 1, max: 50 },
    { name: 'duration', type: 'duration', doc: 'measured seconds per arm per round', default: 3, min: 1, max: 120 },
    { name: 'warmup', type: 'duration', doc: 'discarded warm-up per arm per round', default: 1, min: 0, max: 60 },
    { name: 'arms', type: 'string', doc: "comma-separated subset of raw,raw-emulator,autocannon,pagestream (raw-emulator: the raw client against the emulator, to tell the emulator's cost from the client's)", default: 'raw,raw-emulator,autocannon,pagestream' },
    { name: 'workers', type: 'int', doc: 'worker threads of the pagestream arm (default: run\'s default, CPUs - 1)', min: 1, max: 64 },
    {
      name: 'emulator-args',
      type: 'string',
      // The raw server answers with one hot page; the emulator's default dataset
      // (101k blocks, 790 MiB) does not fit its page cache, so it would spend
      // its time generating pages, and even a cached 47 MiB working set makes
      // the kernel copy cold pages. 256 blocks (2 MiB) keep the pages hot, as
      // in arm (a), so the arms differ in the software, not the data.
      doc: "extra serve arguments for the emulator of arms (a') and (c); the default 256-block dataset keeps pages hot in the page cache and CPU caches, as the raw server's one page is (try --relations 6000 for a 47 MiB working set)",
      default: '--relations 256',
    },
    { name: 'raw-pages', type: 'int', doc: 'experiment: the raw server answers with this many distinct page images, round-robin', default: 1, min: 1, max: 100000 },
    { name: 'raw-split', type: 'bool', doc: 'experiment: the raw server writes header and page as two iovecs, as the emulator does', default: false },
    { name: 'pin', type: 'bool', doc: 'pin every client process to CPU 0 and every server process to CPU 1 (taskset), for all arms alike: less scheduler noise in CPU per response', default: false },
    { name: 'perf-map', type: 'bool', doc: 'run the client processes with node --perf-basic-prof, so `perf record` resolves their JIT-compiled JS', default: false },
    { name: 'cpu-prof', type: 'bool', doc: 'run the pagestream arm (client and emulator) and the raw-emulator client with node --cpu-prof into results/prof/', default: false },
    { name: 'out', type: 'string', doc: 'result file', default: 'results/bench-ceiling.json', arg: '<file.json>' },
  ],
};

const TARGETS = {
  clientCpuVsRaw: 1.15,
  clientCpuVsAutocannon: 1 / 6,
  throughputVsRaw: 0.7,
};

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(spec, process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench:ceiling: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(renderHelp(spec));
    return 0;
  }
  const v = args.values;
  const connections = v.connections as number;
  const pipeline = v.pipeline as number;
  const rounds = v.rounds as number;
  const durationS = v.duration as number;
  const warmupS = v.warmup as number;
  const wanted = String(v.arms).split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of wanted) if (!['raw', 'raw-emulator', 'autocannon', 'pagestream'].includes(w)) throw new UsageError(`--arms: unknown arm ${JSON.stringify(w)}`);
  const profDir = path.resolve('results/prof');
  // 100 µs sampling: the hot path's functions take tens of ns per response, so
  // the default 1 ms interval leaves most of them unsampled in a short round.
  const profArgs = [...(v['perf-map'] ? ['--perf-basic-prof'] : []), ...(v['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100'] : [])];
  const profiling = profArgs.length > 0;
  const pinned = v.pin ? enablePinning() : false;
  if (v.pin && !pinned) process.stderr.write('bench:ceiling: --pin needs 2 CPUs and taskset; running unpinned\n');
  const params = { connections, pipeline, warmupS, durationS };
  const timeoutS = warmupS + durationS + 60;

  const arms: Arm[] = [];
  const extrasOf: Record<string, Array<Record<string, unknown>>> = {};
  const unavailable: Record<string, string> = {};
  if (wanted.includes('raw')) {
    arms.push(childArm({ name: 'raw', label: '(a) raw pair', server: forkedServer('raw', './raw-server.js', [], [JSON.stringify({ pages: v['raw-pages'], split: v['raw-split'] })]), clientScript: './raw-client.js', params, timeoutS }));
  }
  const emulatorArgs = String(v['emulator-args']).split(/\s+/).filter(Boolean);
  if (wanted.includes('raw-emulator')) {
    // (a') the raw client against the emulator: same client as (a), same server as (c),
    // so (a') vs (a) is what the emulator costs and (c) vs (a') what the client costs.
    arms.push(childArm({ name: 'raw-emulator', label: "(a') raw client + emulator", server: emulatorServer(emulatorArgs), clientScript: './raw-client.js', params, timeoutS, ...(profiling ? { execArgv: profArgs } : {}) }));
  }
  if (wanted.includes('autocannon')) {
    arms.push(childArm({ name: 'autocannon', label: '(b) autocannon + node:http', server: forkedServer('autocannon', './http-server.js'), clientScript: './autocannon-client.js', params, timeoutS }));
  }
  if (wanted.includes('pagestream')) {
    try {
      const { pagestreamArm } = await import('./ceiling/pagestream-arm.js');
      const arm = await pagestreamArm({ ...params, timeoutS, workers: v.workers as number | undefined, cpuProfArgs: profiling ? profArgs : undefined, emulatorArgs });
      extrasOf.pagestream = arm.extras;
      arms.push(arm);
    } catch (e) {
      unavailable.pagestream = e instanceof Error ? e.message : String(e);
      process.stderr.write(`bench:ceiling: arm (c) pagestream unavailable: ${unavailable.pagestream}\n`);
    }
  }

  const startedAt = new Date().toISOString();
  const perArm: Record<string, ArmRound[]> = {};
  const failures: Record<string, string[]> = {};
  try {
    for (const a of arms) {
      await a.start();
      perArm[a.name] = [];
    }
    for (let r = 1; r <= rounds; r++) {
      for (const a of arms) {
        try {
          const fig = await a.round(r);
          perArm[a.name]!.push(fig);
          process.stderr.write(
            `round ${r} ${a.name.padEnd(10)} ${fig.throughputRps.toFixed(0).padStart(8)} resp/s  client ${fig.clientCpuPerResponseUs.toFixed(2)} µs/resp  server ${fig.serverCpuPerResponseUs.toFixed(2)} µs/resp\n`,
          );
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          (failures[a.name] ??= []).push(`round ${r}: ${msg}`);
          process.stderr.write(`round ${r} ${a.name}: FAILED: ${msg}\n`);
        }
      }
    }
  } finally {
    for (const a of arms) await a.stop().catch(() => undefined);
  }

  const summaries: Record<string, ArmSummary> = {};
  for (const a of arms) {
    const rs = perArm[a.name] ?? [];
    summaries[a.name] = {
      label: a.label,
      rounds: rs,
      throughputRps: spread(rs.map((x) => x.throughputRps)),
      clientCpuPerResponseUs: spread(rs.map((x) => x.clientCpuPerResponseUs)),
      serverCpuPerResponseUs: spread(rs.map((x) => x.serverCpuPerResponseUs)),
      ...(failures[a.name] ? { failures: failures[a.name] } : {}),
      ...(extrasOf[a.name] ? { extra: { perRound: extrasOf[a.name] } } : {}),
    };
  }

  // Per-round ratios: round i of (c) against round i of (a) or (b), so each
  // ratio compares arms measured seconds apart; then median and min–max.
  const ratio = (num: string, den: string, field: 'throughputRps' | 'clientCpuPerResponseUs' | 'serverCpuPerResponseUs'): Spread | undefined =>
    roundRatio(perArm[num], perArm[den], field);
  const spreads = {
    clientCpuPerResponseVsRaw: ratio('pagestream', 'raw', 'clientCpuPerResponseUs'),
    clientCpuPerResponseVsAutocannon: ratio('pagestream', 'autocannon', 'clientCpuPerResponseUs'),
    throughputVsRaw: ratio('pagestream', 'raw', 'throughputRps'),
    throughputVsAutocannon: ratio('pagestream', 'autocannon', 'throughputRps'),
    serverCpuPerResponseVsRaw: ratio('pagestream', 'raw', 'serverCpuPerResponseUs'),
    rawClientCpuPerResponseVsAutocannon: ratio('raw', 'autocannon', 'clientCpuPerResponseUs'),
    // Same server (the emulator): the client's cost alone, and the emulator's.
    clientCpuPerResponseVsRawOnEmulator: ratio('pagestream', 'raw-emulator', 'clientCpuPerResponseUs'),
    throughputVsRawOnEmulator: ratio('pagestream', 'raw-emulator', 'throughputRps'),
    rawOnEmulatorThroughputVsRaw: ratio('raw-emulator', 'raw', 'throughputRps'),
    rawOnEmulatorClientCpuPerResponseVsRaw: ratio('raw-emulator', 'raw', 'clientCpuPerResponseUs'),
  };
  const ratios: Record<string, number | null> = {};
  for (const [k, s] of Object.entries(spreads)) ratios[k] = s ? s.median : null;

  const targets: CeilingTarget[] = [
    target('client CPU/response (c) ≤ 1.15 × (a)', 'clientCpuPerResponseVsRaw', '<=', TARGETS.clientCpuVsRaw),
    target('client CPU/response (c) ≤ 1/6 × (b)', 'clientCpuPerResponseVsAutocannon', '<=', TARGETS.clientCpuVsAutocannon),
    target('throughput (c) ≥ 70 % of (a)', 'throughputVsRaw', '>=', TARGETS.throughputVsRaw),
  ];
  function target(what: string, key: keyof typeof spreads, op: '<=' | '>=', limit: number): CeilingTarget {
    const m = spreads[key]?.median;
    const met = m === undefined ? null : op === '<=' ? m <= limit : m >= limit;
    return { what, ratio: key, op, limit, measured: m ?? null, met };
  }

  const result: CeilingResult = {
    schema: 'pagestream-bench.ceiling/v1',
    command: `node dist/bench/ceiling.js ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt,
    finishedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage: os.loadavg(),
    config: { connections, pipeline, rounds, durationS, warmupS, arms: wanted, emulatorArgs, rawPages: v['raw-pages'] as number, rawSplit: v['raw-split'] as boolean, pinned },
    arms: summaries,
    ...(Object.keys(unavailable).length ? { unavailable } : {}),
    ratios,
    spreads,
    targets,
  };
  const out = path.resolve(String(v.out));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(renderCeilingMarkdown(result));
  process.stderr.write(`bench:ceiling: wrote ${path.relative(process.cwd(), out)}\n`);
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`bench:ceiling: ${e.message}\n`);
    return 2;
  }
  process.stderr.write(`bench:ceiling: ${e instanceof Error ? e.stack : String(e)}\n`);
  return 1;
});
