/**
 * bench/run-cpu: `run`'s client CPU per response split into user and system
 * time, with reads and writes per response and the emulator's CPU per
 * response — the split bench:e2e does not print. One runBenchmark call
 * (embedded emulator, 4 connections × 32 in flight, 1 worker, 2 rounds).
 * Usage: node dist/bench/run-cpu.js [seconds=6] [v2|v3|both] ["emulator args", e.g. "--relations 256"]
 */
import { defaultRunOptions, runBenchmark } from '../src/client/run.js';

const [secs, protocol, emuArgs] = process.argv.slice(2);
const o = {
  ...defaultRunOptions(2), protocol: (protocol ?? 'v3') as 'v2' | 'v3' | 'both', durationS: Number(secs ?? 6), rounds: 2,
  connections: 4, pipeline: 32, workers: 1, emulatorArgs: emuArgs ? emuArgs.split(/\s+/).filter(Boolean) : [],
};
const r = await runBenchmark(o, { log: () => {} });
for (const [k, v] of Object.entries(r.variants)) {
  if (!v) continue;
  const x = v as typeof v & { readsPerResponse?: number; writesPerResponse?: number; server?: { cpuPerResponseUs?: number } };
  console.log(`${k.padEnd(12)} client ${v.cpu.perResponseUs.toFixed(3)} us/resp = user ${(v.cpu.userUs / v.responses).toFixed(3)} + system ${(v.cpu.systemUs / v.responses).toFixed(3)}; ` +
    `${Math.round(v.throughputRps)} resp/s; reads/writes per resp ${x.readsPerResponse} / ${x.writesPerResponse}; emulator ${x.server?.cpuPerResponseUs?.toFixed(3) ?? '-'} us/resp`);
}
