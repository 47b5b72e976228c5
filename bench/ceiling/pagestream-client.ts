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
  const r = await runBenchmark(o, { log: (l) => process.stderr.write(`[run] ${l}\n`) });
  const v = r.variants.v3;
  if (!v) throw new Error(`run returned no v3 figures${r.partialReason ? ` (${r.partialReason})` : ''}`);
  process.send?.({
    type: 'run-result',
    responses: v.responses,
    durationS: v.durationS,
    cpuUs: v.cpu.userUs + v.cpu.systemUs,
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
