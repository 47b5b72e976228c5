/**
 * Arm (c), client side: pagestream-bench `run` itself — runBenchmark with V3,
 * every response verified, one round — against the emulator the parent
 * started. Its own figures are used: responses and process CPU (user +
 * system, every thread of this process) over its measurement window, which
 * is how arms (a) and (b) are measured too.
 */
import { runBenchmark, defaultRunOptions } from '../../src/client/run.js';
import os from 'node:os';
import { clientParams } from './ipc.js';
import { syscalls, threadCpuMs, threadTicks } from './procio.js';

const p = clientParams();
try {
  const o = {
    ...defaultRunOptions(os.cpus().length),
    target: `postgres://${p.host}:${p.port}`,
    mgmt: String(p.mgmt),
    protocol: 'v3' as const,
    connections: p.connections,
    pipeline: p.pipeline,
    durationS: p.durationS,
    warmupS: p.warmupS,
    rounds: 1,
  };
  if (typeof p.workers === 'number') o.workers = p.workers;
  // Syscalls over the whole call (warm-up and set-up included): the parent
  // divides by the GetPage responses the emulator sent over the same span.
  const io0 = syscalls();
  // Per-thread CPU: the worker threads are gone when runBenchmark returns, so
  // snapshot every 250 ms and keep the two that bracket its measured window.
  const t0 = performance.now();
  const snaps: Array<{ ms: number; t: ReturnType<typeof threadTicks> }> = [];
  const sampler = setInterval(() => snaps.push({ ms: performance.now() - t0, t: threadTicks() }), 250);
  const r = await runBenchmark(o, { log: (l) => process.stderr.write(`[run] ${l}\n`) });
  const io1 = syscalls();
  clearInterval(sampler);
  const w = r.variants.v3?.rounds[0];
  let threads: ReturnType<typeof threadCpuMs> = [];
  let threadWindowS = 0;
  if (w) {
    const a = snaps.filter((x) => x.ms >= w.startS * 1000).at(0);
    const b = snaps.filter((x) => x.ms <= (w.startS + w.durationS) * 1000).at(-1);
    if (a && b && b.ms > a.ms) {
      threads = threadCpuMs(a.t, b.t);
      threadWindowS = (b.ms - a.ms) / 1000;
    }
  }
  const v = r.variants.v3;
  if (!v) throw new Error(`run returned no v3 figures${r.partialReason ? ` (${r.partialReason})` : ''}`);
  process.send?.({
    type: 'run-result',
    responses: v.responses,
    durationS: v.durationS,
    cpuUs: v.cpu.userUs + v.cpu.systemUs,
    threads,
    threadWindowS,
    syscr: io1.syscr - io0.syscr,
    syscw: io1.syscw - io0.syscw,
    userUs: v.cpu.userUs,
    systemUs: v.cpu.systemUs,
    mismatches: v.mismatches,
    errors: v.errors,
    eventLoopUtilization: v.eventLoopUtilization,
    gcPerMillion: v.gc.perMillionResponses,
    responseFrameBytes: v.responseFrameBytes,
    p50Us: v.latencyUs.p50,
    p99Us: v.latencyUs.p99,
    workers: r.config.workers,
    saturation: r.saturation ?? null,
  });
} catch (e) {
  process.send?.({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
process.disconnect?.();
