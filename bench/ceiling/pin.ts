/**
 * Optional CPU pinning of the benchmark's processes (`bench:ceiling --pin`):
 * every client process on one core, every server process on the other, for
 * every arm alike. On a 2-core machine the client and the server of an arm
 * both saturate a core; unpinned, the scheduler moves them between the cores
 * and their CPU per response swings by ±15 % from round to round (cache
 * refills after each migration, and both sides sometimes queued on one core).
 * Pinned, each side keeps its core and its caches, so per-response CPU
 * figures — and their ratios between arms — vary less.
 *
 * `taskset -a -p` sets the affinity of every thread the process has; threads
 * it creates later (workers, libuv's pool) inherit it from their creator.
 */
import { cpus } from 'node:os';
import { affinityList, setAffinity } from '../../src/client/affinity.js';

let enabled = false;

export const CLIENT_CPU = 0;
export const SERVER_CPU = 1;

/** Turn pinning on (only where there are at least two CPUs and taskset exists). */
export function enablePinning(): boolean {
  if (cpus().length < 2) return false;
  try {
    affinityList(process.pid);
  } catch {
    return false;
  }
  enabled = true;
  return true;
}

/** Pin every thread of `pid` to `cpu` (a no-op unless enabled). */
export function pin(pid: number | undefined, cpu: number): void {
  if (!enabled || pid === undefined) return;
  setAffinity(pid, String(cpu));
}
