/**
 * Another process's CPU time (src/client/proc-cpu.ts), as run.ts reads the
 * embedded emulator's at every time-slice switch, both ways: the process's CPU
 * clock (native helper) and kept-open /proc schedstat files. Each agrees with
 * a fresh reading and with the other way, grows by what a busy child burns,
 * and answers null once the process is gone. Linux only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProcessCpuReader, processCpuNs } from '../../src/client/proc-cpu.js';
import { nativeAddon } from '../../src/native/addon.js';

for (const way of ['clock', 'proc'] as const) test(`ProcessCpuReader through ${way === 'clock' ? 'the CPU clock' : '/proc'}: agrees with a fresh reading and the other way, sees a child burn CPU, null after it exits`, {
  skip: !existsSync('/proc/self/task') ? 'needs Linux /proc' : way === 'clock' && nativeAddon() === null ? 'the native helper is not built' : false,
}, async () => {
  // A child that waits for a line on stdin, then spins for 300 ms of CPU (user + system:
  // the loop's own getrusage calls are mostly system time) and waits again.
  const child = spawn(process.execPath, ['-e', `
    const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
    process.stdin.on('data', () => { const end = cpu() + 300000; while (cpu() < end) {} process.stdout.write('done\\n'); });
    process.stdout.write('ready\\n');`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = (): Promise<void> => new Promise((r) => child.stdout.once('data', () => r()));
  try {
    await line();
    const reader = new ProcessCpuReader(child.pid!, way === 'clock');
    assert.equal(reader.viaClock, way === 'clock');
    const a = reader.read();
    const fresh = processCpuNs(child.pid!);
    const other = new ProcessCpuReader(child.pid!, way !== 'clock');
    const b0 = other.read();
    other.close();
    assert.ok(a !== null && fresh !== null && b0 !== null && a > 0);
    // The idle child burns nothing between the readings: both ways, and a fresh one, agree.
    assert.ok(Math.abs(fresh - a) < 20e6, `kept-open ${a} ns against a fresh reading ${fresh} ns`);
    assert.ok(Math.abs(b0 - a) < 20e6, `${way}: ${a} ns, the other way: ${b0} ns`);
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
    assert.equal(new ProcessCpuReader(child.pid!, way === 'clock').read(), null, 'no such process: null from the start');
  } finally {
    child.kill();
  }
});
