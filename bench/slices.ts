/**
 * bench:slices — how much finer interleaving would help: samples a V3 run's
 * client CPU per response every --slice-ms (default 100 ms), then relabels the
 * samples offline as two interleaving schemes would measure them, with ONE
 * variant throughout (an A/A comparison, true ratio 1):
 *   phases — A for a round's share of `run`'s default duration (2 s), then
 *     B, then C (what `run --slice 0` does), and
 *   slices — A B C A B C … alternating every sample within the round.
 * Prints the standard deviation of the per-round B/A ratio for each.
 *
 * The emulator runs pinned to the last CPU and the client (`run --target`) to
 * CPU 0; client CPU comes from /proc/<pid>/task/<tid>/schedstat (ns), the
 * response count from the emulator's /metrics. Linux only.
 * Usage: npm run bench:slices [-- --relations 256 --seconds 30 --slice-ms 100]
 */
import { spawn } from 'node:child_process';
import { processCpuNs } from '../src/client/proc-cpu.js';
import { defaultRunOptions } from '../src/client/run.js';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const relations = opt('relations', '256');
const seconds = Number(opt('seconds', '30'));
const sliceMs = Number(opt('slice-ms', '100'));
if (!(seconds > 0) || !(sliceMs >= 10)) {
  process.stderr.write('bench:slices: --seconds must be > 0 and --slice-ms >= 10\n');
  process.exit(2);
}
const BIN = fileURLToPath(new URL('../../bin/pagestream-bench.js', import.meta.url));
const runDefaults = defaultRunOptions(os.availableParallelism?.() ?? os.cpus().length);
const last = String((os.availableParallelism?.() ?? os.cpus().length) - 1);

const emu = spawn('taskset', ['-c', last, process.execPath, BIN, 'serve', '--port', '0', '--mgmt-port', '0', '--relations', relations, '--prefill', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise<{ port: number; mgmtPort: number }>((resolve) => emu.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d).split('\n')[0]!) as { port: number; mgmtPort: number })));
const client = spawn('taskset', ['-c', '0', process.execPath, BIN, 'run', '--target', `postgres://127.0.0.1:${ready.port}`, '--mgmt', `http://127.0.0.1:${ready.mgmtPort}`,
  '--protocol', 'v3', '--duration', String(seconds + 5), '--rounds', '1', '--warmup', '1', '--quiet', '--out', os.tmpdir() + '/bench-slices-run.json'], { stdio: 'ignore' });

/** CPU time of every thread of the client process so far (ns). */
const clientCpuNs = (): number => processCpuNs(client.pid!) ?? NaN;
const responses = async (): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${ready.mgmtPort}/metrics`)).text();
  return Number(/pagestream_responses_total\{kind="getpage"\} (\d+)/.exec(text)?.[1] ?? NaN);
};

const samples: Array<[number, number]> = [];
try {
  await new Promise((r) => setTimeout(r, 4000)); // connect, 1 s warm-up, and settle
  let c0 = clientCpuNs();
  let r0 = await responses();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, sliceMs));
    const c1 = clientCpuNs();
    const r1 = await responses();
    samples.push([c1 - c0, r1 - r0]);
    c0 = c1;
    r0 = r1;
  }
} finally {
  client.kill();
  emu.kill();
}

const per = samples.map(([c, r]) => c / r / 1000).sort((a, b) => a - b);
const q = (p: number): string => per[Math.min(per.length - 1, Math.floor(p * per.length))]!.toFixed(2);
console.log(`${samples.length} samples of ${sliceMs} ms, emulator --relations ${relations}: client CPU per response p5 ${q(0.05)} p50 ${q(0.5)} p95 ${q(0.95)} µs`);
// Samples per label per round: run's default duration per variant, over its rounds.
const perLabel = Math.max(1, Math.round((1000 * runDefaults.durationS) / runDefaults.rounds / sliceMs));
for (const fine of [false, true]) {
  const ratios: number[] = [];
  for (let k = 0; (k + 1) * 3 * perLabel <= samples.length; k++) {
    const acc = [[0, 0], [0, 0], [0, 0]];
    for (let j = 0; j < 3 * perLabel; j++) {
      const [c, r] = samples[k * 3 * perLabel + j]!;
      const label = fine ? j % 3 : Math.floor(j / perLabel);
      acc[label]![0]! += c;
      acc[label]![1]! += r;
    }
    ratios.push(acc[1]![0]! / acc[1]![1]! / (acc[0]![0]! / acc[0]![1]!));
  }
  const m = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - m) ** 2, 0) / ratios.length);
  console.log(`${fine ? 'slices' : 'phases'}: ${ratios.length} rounds of 3 labels × ${perLabel} samples; sd of the B/A ratio ${(sd * 100).toFixed(2)} %`);
}
