/**
 * Arm (c): pagestream-bench `run` (V3, verified) against the embedded
 * emulator. The emulator is started once (its own process) and kept for all
 * rounds; each round forks a fresh client process running runBenchmark.
 *
 * Server CPU per response: the emulator's CPU time (its /v1/emulator/cpu) over
 * the whole client call, divided by the GetPage responses it sent over the
 * same span (its /metrics counter). That span includes the client's warm-up
 * and connection set-up besides the measured window; per response the server
 * does the same work in both, and set-up is a handful of messages.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Arm, ArmRound } from './child-arm.js';
import { emulatorServer } from './emulator-server.js';
import { CLIENT_CPU, pin } from './pin.js';

export interface PagestreamArmOptions {
  connections: number;
  pipeline: number;
  warmupS: number;
  durationS: number;
  timeoutS: number;
  workers?: number | undefined;
  /** node flags for --cpu-prof of the client and the emulator. */
  cpuProfArgs?: string[] | undefined;
  /** Extra `serve` arguments for the emulator. */
  emulatorArgs: string[];
}

interface RunReport {
  type: 'run-result';
  responses: number;
  durationS: number;
  cpuUs: number;
  userUs: number;
  systemUs: number;
  syscr: number;
  syscw: number;
  threads: Array<{ thread: string; userMs: number; systemMs: number }>;
  threadWindowS: number;
  mismatches: number;
  errors: number;
  eventLoopUtilization: number[];
  gcPerMillion: number;
  responseFrameBytes: number;
  p50Us: number;
  p99Us: number;
  workers: number;
  saturation: { clientLimited: boolean; reasons: string[] } | null;
}

export async function pagestreamArm(o: PagestreamArmOptions): Promise<Arm & { extras: Array<Record<string, unknown>> }> {
  let port = 0;
  const prof = o.cpuProfArgs ?? [];
  const extras: Array<Record<string, unknown>> = [];
  const server = emulatorServer(o.emulatorArgs, prof);
  const serverMark = () => server.mark();
  return {
    name: 'pagestream',
    label: '(c) pagestream-bench run V3 verified + emulator',
    extras,
    async start() {
      port = (await server.start()).port;
    },
    async round(round): Promise<ArmRound> {
      const params = { host: server.host, port, mgmt: server.mgmt, connections: o.connections, pipeline: o.pipeline, warmupS: o.warmupS, durationS: o.durationS, ...(o.workers ? { workers: o.workers } : {}) };
      const s0 = await serverMark();
      const child = fork(fileURLToPath(new URL('./pagestream-client.js', import.meta.url)), [JSON.stringify(params)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: prof });
      pin(child.pid, CLIENT_CPU);
      const rep = await new Promise<RunReport>((resolve, reject) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`pagestream: round ${round} did not finish within ${o.timeoutS} s`));
        }, o.timeoutS * 1000);
        child.on('message', (m: RunReport | { type: 'error'; message: string }) => {
          clearTimeout(t);
          if (m.type === 'error') reject(new Error(`pagestream: ${m.message}`));
          else resolve(m);
        });
        child.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`pagestream: client exited (${code}) without a result`));
        });
      });
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      const s1 = await serverMark();
      const serverResponses = s1.responses - s0.responses;
      const serverCpuUs = s1.cpuUs - s0.cpuUs;
      extras.push({ round, mismatches: rep.mismatches, errors: rep.errors, eventLoopUtilization: rep.eventLoopUtilization, gcPerMillion: rep.gcPerMillion, responseFrameBytes: rep.responseFrameBytes, p50Us: rep.p50Us, p99Us: rep.p99Us, workers: rep.workers, saturation: rep.saturation, threadCpuMs: rep.threads, threadWindowS: rep.threadWindowS });
      const note = rep.mismatches || rep.errors ? `${rep.mismatches} mismatches, ${rep.errors} errors` : undefined;
      return {
        round,
        responses: rep.responses,
        durationS: rep.durationS,
        throughputRps: rep.responses / rep.durationS,
        clientCpuUs: rep.cpuUs,
        clientCpuPerResponseUs: rep.cpuUs / rep.responses,
        clientUserPerResponseUs: rep.userUs / rep.responses,
        clientSystemPerResponseUs: rep.systemUs / rep.responses,
        // Over the whole client call, per GetPage response the emulator sent in it.
        clientReadsPerResponse: rep.syscr / serverResponses,
        clientWritesPerResponse: rep.syscw / serverResponses,
        ...(s0.syscr !== undefined && s1.syscr !== undefined ? { serverReadsPerResponse: (s1.syscr - s0.syscr) / serverResponses, serverWritesPerResponse: (s1.syscw! - s0.syscw!) / serverResponses } : {}),
        serverCpuUs,
        serverResponses,
        serverCpuPerResponseUs: serverCpuUs / serverResponses,
        ...(note ? { note } : {}),
      };
    },
    async stop() {
      await server.stop();
    },
  };
}
