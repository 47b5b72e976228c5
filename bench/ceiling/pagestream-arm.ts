/** Arm (c): pagestream-bench `run` (V3, verified) against the emulator. */
import type { Arm } from './child-arm.js';

export interface PagestreamArmOptions {
  connections: number;
  pipeline: number;
  warmupS: number;
  durationS: number;
  timeoutS: number;
  cpuProfDir?: string | undefined;
}

export async function pagestreamArm(_o: PagestreamArmOptions): Promise<Arm> {
  throw new Error('runBenchmark (src/client/run.ts) and startEmulatorProcess (src/server/process.ts) have not landed yet');
}
