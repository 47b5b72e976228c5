/** Common `run` arguments for robustness tests: small, single-variant, short. */
import { TENANT, TIMELINE, REL } from './bad-server.js';

/** Hard limit for one CLI run in these tests (a hang fails the test, never the suite). */
export const HARD_TIMEOUT_MS = 20_000;

/** Load shape that keeps CPU low on a shared 2-core machine. */
export const SMALL_LOAD = ['--protocol', 'v3', '--connections', '2', '--pipeline', '4', '--workers', '1', '--duration', '2', '--warmup', '0', '--rounds', '1', '--quiet'];

/** `run` against `target`; options in `extra` replace the same options of SMALL_LOAD. */
export function runArgs(target: string, out: string, extra: string[]): string[] {
  const given = new Set(extra.filter((a) => a.startsWith('--')));
  const load: string[] = [];
  for (let i = 0; i < SMALL_LOAD.length; i++) {
    const a = SMALL_LOAD[i]!;
    const takesValue = i + 1 < SMALL_LOAD.length && !SMALL_LOAD[i + 1]!.startsWith('--');
    if (!given.has(a)) load.push(a, ...(takesValue ? [SMALL_LOAD[i + 1]!] : []));
    if (takesValue) i++;
  }
  return ['run', '--target', target, '--tenant', TENANT, '--timeline', TIMELINE, '--rel', REL, ...load, '--out', out, ...extra];
}
