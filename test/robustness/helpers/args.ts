/** Common `run` arguments for robustness tests: small, single-variant, short. */
import { TENANT, TIMELINE, REL } from './bad-server.js';

/** Hard limit for one CLI run in these tests (a hang fails the test, never the suite). */
export const HARD_TIMEOUT_MS = 20_000;

/** Load shape that keeps CPU low on a shared 2-core machine. */
export const SMALL_LOAD = ['--protocol', 'v3', '--connections', '2', '--pipeline', '4', '--workers', '1', '--duration', '2', '--warmup', '0', '--rounds', '1', '--quiet'];

export function runArgs(target: string, out: string, extra: string[]): string[] {
  return ['run', '--target', target, '--tenant', TENANT, '--timeline', TIMELINE, '--rel', REL, ...SMALL_LOAD, '--out', out, ...extra];
}
