/**
 * Another process's CPU time from /proc (src/client/proc-cpu.ts), as run.ts
 * reads the embedded emulator's at every time-slice switch: the kept-open
 * reader agrees with a fresh listing, grows by what a busy child burns, and
 * answers null once the process is gone. Linux only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProcessCpuReader, processCpuNs } from '../../src/client/proc-cpu.js';

test('ProcessCpuReader: agrees with processCpuNs, sees a child burn CPU, null after it exits', { skip: !existsSync('/proc/self/task') && 'needs Linux /proc' }, async () => {
  // A child that waits for a line on stdin, then spins for 300 ms of CPU (user + system:
  // the loop's own getrusage calls are mostly system time) and waits again.
  const child = spawn(process.execPath, ['-e', `
    const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
    process.stdin.on('data', () => { const end = cpu() + 300000; while (cpu() < end) {} process.stdout.write('done\\n'); });
    process.stdout.write('ready\\n');`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = (): Promise<void> => new Promise((r) => child.stdout.once('data', () => r()));
  try {
    await line();
    const reader = new ProcessCpuReader(child.pid!);
    const a = reader.read();
    const fresh = processCpuNs(child.pid!);
    assert.ok(a !== null && fresh !== null && a > 0);
    assert.ok(Math.abs(fresh - a) < 20e6, `kept-open ${a} ns against a fresh listing ${fresh} ns`);
    child.stdin.write('go\n');
    await line();
    const b = reader.read()!;
    // 300 ms of CPU spun, plus whatever the child's other threads did.
    assert.ok(b - a >= 290e6 && b - a < 2e9, `the child burned ${(b - a) / 1e6} ms of CPU between the reads`);
    assert.ok(reader.read()! >= b, 'CPU time does not go backwards');
    child.stdin.end();
    child.kill();
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(reader.read(), null, 'the process is gone');
    reader.close();
    assert.equal(new ProcessCpuReader(child.pid!).read(), null, 'no such process: null from the start');
  } finally {
    child.kill();
  }
});
