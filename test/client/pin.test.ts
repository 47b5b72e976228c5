/**
 * run --pin with the embedded emulator: during the run every thread of this
 * process is on CPU 0 and the emulator on the last CPU; the result records
 * it; afterwards this process has its own affinity back. Real taskset, real
 * emulator process. (Skips only where pinning cannot apply: fewer than 2 CPUs
 * or no taskset — the CI machine has both.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { defaultRunOptions, runBenchmark } from '../../src/client/run.js';

function affinity(pid: number): string {
  return /:\s*(\S+)\s*$/.exec(execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' }).trim())![1]!;
}

function threadsOf(pid: number): number[] {
  return execFileSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('run --pin: client threads on CPU 0, emulator on the last CPU, recorded, restored', { skip: availableParallelism() < 2 || !hasTaskset ? 'needs 2 CPUs and taskset' : false }, async () => {
  const n = availableParallelism();
  const before = affinity(process.pid);
  let during: string[] = [];
  let emulatorAffinity = '';
  const r = await runBenchmark({ ...defaultRunOptions(n), protocol: 'v3', durationS: 0.3, warmupS: 0.1, rounds: 1, connections: 2, pipeline: 4, workers: 1, pin: true }, {
    log: (s) => {
      const m = /emulator pid (\d+)/.exec(s);
      if (m) emulatorAffinity = affinity(Number(m[1]));
    },
    onTargetReady: () => {
      // A thread may end between the listing and its taskset: skip those.
      during = threadsOf(process.pid).flatMap((t) => {
        try {
          return [affinity(t)];
        } catch {
          return [];
        }
      });
    },
  });
  const last = String(n - 1);
  const clientCpus = n === 2 ? '0' : `0-${n - 2}`;
  assert.deepEqual(r.config.pinned, { clientCpus, emulatorCpus: last });
  assert.ok(during.length >= 2, 'main thread and at least one worker thread');
  for (const a of during) assert.equal(a, clientCpus, 'every thread of this process pinned during the run');
  assert.equal(emulatorAffinity, last, 'the emulator pinned to the last CPU');
  assert.equal(affinity(process.pid), before, 'affinity restored after the run');
  assert.ok((r.variants.v3?.responses ?? 0) > 0, 'measured');
});
