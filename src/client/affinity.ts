/**
 * `run --pin`: keep the embedded emulator and the load generator off each
 * other's cores. On a small machine both saturate their CPUs; unpinned, the
 * scheduler moves the emulator, the worker threads and the main thread across
 * all cores, and client CPU per response swings ±10 % between rounds (cache
 * refills after each migration, both sides queued on one core at times) —
 * more than the V3-vs-V2 difference being measured. Pinned, the emulator
 * owns the last CPU and every thread of this process (workers inherit it) the
 * others, which is also what the default `--workers` (CPUs − 1) assumes.
 *
 * Linux only, through `taskset` (util-linux): elsewhere, or without it, or
 * with fewer than 2 CPUs, pinning is skipped and the result says so.
 * The process's own affinity is restored when the run ends, so a programmatic
 * caller's process is left as it was.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** What was pinned, for the result file; null when pinning was skipped. */
  readonly applied: { clientCpus: string; emulatorCpus: string } | null;
  /** Why pinning was skipped (when `applied` is null). */
  readonly skipped?: string;
  /** Put this process's threads back on the CPUs they had. */
  restore(): void;
}

function taskset(args: string[]): string {
  return execFileSync('taskset', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Pin every thread of `pid` to the CPUs of `cpuList` ("1", "0-2"); throws if taskset fails. */
export function setAffinity(pid: number, cpuList: string): void {
  taskset(['-a', '-p', '-c', cpuList, String(pid)]);
}

/** The CPU list of `pid` (e.g. "0-3" or "0,2"), as taskset prints it; throws without taskset. */
export function affinityList(pid: number): string {
  const out = taskset(['-p', '-c', String(pid)]);
  const m = /:\s*(\S+)\s*$/.exec(out.trim());
  if (!m) throw new Error(`unexpected taskset output: ${out.trim()}`);
  return m[1]!;
}

/** Pin the embedded emulator `emulatorPid` to the last CPU and this process to the others. */
export function pinEmulatorAndClient(emulatorPid: number): Pinning {
  const none = (skipped: string): Pinning => ({ applied: null, skipped, restore() {} });
  const n = availableParallelism();
  if (process.platform !== 'linux') return none('not Linux');
  if (n < 2) return none('fewer than 2 CPUs');
  let before: string;
  try {
    before = affinityList(process.pid);
  } catch {
    return none('taskset not available');
  }
  const emulatorCpus = String(n - 1);
  const clientCpus = n === 2 ? '0' : `0-${n - 2}`;
  try {
    setAffinity(emulatorPid, emulatorCpus);
    setAffinity(process.pid, clientCpus);
  } catch (e) {
    return none(`taskset failed: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    applied: { clientCpus, emulatorCpus },
    restore() {
      try {
        setAffinity(process.pid, before);
      } catch {
        // The process keeps the narrower affinity; nothing to lose but speed.
      }
    },
  };
}
