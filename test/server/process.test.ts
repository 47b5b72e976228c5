/**
 * The emulator as its own process: `serve` in the foreground (readiness line,
 * clean shutdown on SIGTERM/SIGINT/stdin close, usage errors), and
 * startEmulatorProcess as the load generator uses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emulatorEnv, startEmulatorProcess } from '../../src/server/process.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { openStream, getPageFrame, LSN_MAX } from './helpers/raw-client.js';

const BIN = fileURLToPath(new URL('../../../bin/pagestream-bench.js', import.meta.url));

test('startEmulatorProcess: ready with ports and pid, serves pages, reports CPU, stops cleanly', async () => {
  const emu = await startEmulatorProcess({ args: ['--relations', '1000,500', '--faults', 'error=0.5', '--fault-seed', '9'] });
  try {
    assert.equal(emu.host, '127.0.0.1');
    assert.ok(emu.port > 0 && emu.mgmtPort > 0 && emu.pid !== process.pid);
    const status = await (await fetch(`http://127.0.0.1:${emu.mgmtPort}/v1/status`)).json() as { id: number };
    assert.equal(status.id, 1);
    const c = await openStream(emu.port, 3, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID);
    for (let k = 0; k < 20; k++) c.send(getPageFrame(3, { reqid: [0, k], lsn: LSN_MAX, nms: [0, 1] }, { spc: 1663, db: 16384, rel: 16401, fork: 0 }, k));
    let errors = 0;
    for (let k = 0; k < 20; k++) {
      const m = await c.readMessage();
      if (m.body[0] === 103) errors++;
    }
    c.close();
    const truth = await (await fetch(`http://127.0.0.1:${emu.mgmtPort}/v1/faults`)).json() as { seed: number; injected: { error: number } };
    assert.equal(truth.seed, 9);
    assert.equal(truth.injected.error, errors);
    const cpu = await emu.cpuUsage();
    assert.ok(cpu.userUs > 0 && cpu.systemUs >= 0);
    // Started with glibc's huge pages for large allocations (the page cache), as /proc shows its environment.
    const env = readFileSync(`/proc/${emu.pid}/environ`, 'utf8').split('\0');
    assert.ok(env.some((e) => e.startsWith('GLIBC_TUNABLES=') && e.includes('glibc.malloc.hugetlb=1')), 'GLIBC_TUNABLES with glibc.malloc.hugetlb=1');
  } finally {
    await emu.stop();
  }
  assert.equal(await emu.exited, 0);
});

test('startEmulatorProcess: options the caller sets replace its defaults (no "given more than once")', async () => {
  const emu = await startEmulatorProcess({ args: ['--mgmt-port', '-1', '--relations', '10', '--quiet'] });
  try {
    assert.equal(emu.mgmtPort, -1);
    assert.ok(emu.port > 0);
    const cpu = await emu.cpuUsage(); // no management API: from /proc
    assert.ok(cpu.userUs >= 0 && cpu.systemUs >= 0);
  } finally {
    await emu.stop();
  }
});

test('startEmulatorProcess rejects with the reason when serve cannot start', async () => {
  await assert.rejects(startEmulatorProcess({ args: ['--faults', 'bogus=1'], stderr: 'ignore' }), /emulator exited before it was ready \(code 2/);
});

function serve(args: string[]): Promise<{ child: ReturnType<typeof spawn>; ready: Record<string, unknown> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--mgmt-port', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    const onData = (s: string): void => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      resolve({ child, ready: JSON.parse(out.slice(0, nl)) });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

const exitOf = (child: ReturnType<typeof spawn>): Promise<number | string | null> =>
  new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));

test('serve: one readiness line on stdout; SIGTERM and SIGINT shut it down with exit 0', async () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const { child, ready } = await serve([]);
    assert.deepEqual(Object.keys(ready), ['event', 'host', 'port', 'mgmtPort', 'pid']);
    assert.equal(ready.event, 'ready');
    assert.equal(ready.host, '127.0.0.1');
    assert.equal(ready.pid, child.pid);
    const exit = exitOf(child);
    child.kill(sig);
    assert.equal(await exit, 0, sig);
  }
});

test('serve --exit-on-stdin-close exits when its stdin closes', async () => {
  const { child } = await serve(['--exit-on-stdin-close']);
  const exit = exitOf(child);
  child.stdin!.end();
  assert.equal(await exit, 0);
});

test('serve usage errors: exit 2, one line naming the option, no stack', () => {
  for (const [args, re] of [
    [['--auth', 'jwt'], /^pagestream-bench serve: --auth jwt: needs --jwt-public-key <pem-file>\n$/],
    [['--faults', 'drop=7'], /^pagestream-bench serve: --faults: "drop=7": rate must be a number in \[0, 1\] or a percentage\n$/],
    [['--latency', 'lognormal:p50=1ms'], /^pagestream-bench serve: --latency: .*needs p99=<duration>\n$/],
    [['--gc-cutoff', 'zz'], /^pagestream-bench serve: --gc-cutoff: "zz" is not an LSN/],
    [['--tenants', '10000', '--timelines', '1000'], /^pagestream-bench serve: --tenants x --timelines x --databases x relations = 50000000 relations, more than 1000000\n$/],
    [['--pgdata', '/nonexistent'], /^pagestream-bench serve: --pgdata: \/nonexistent is not a PostgreSQL data directory/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--mgmt-port', '0', ...args], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '');
  }
});

test('serve --help lists the options with their defaults', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const o of ['--port <port>', '[default: 64000]', '--mgmt-port', '[default: 9898]', '--faults', '--fault-seed', '--latency', '--wal-rate', '--pgdata', '--auth', '--jwt-public-key', '--cache-size', '--exit-on-stdin-close']) {
    assert.ok(r.stdout.includes(o), o);
  }
});

test('emulatorEnv: adds glibc.malloc.hugetlb=1 to GLIBC_TUNABLES, keeps what the caller set', () => {
  assert.equal(emulatorEnv({ PATH: '/bin' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  assert.equal(emulatorEnv({ PATH: '/bin' }).PATH, '/bin');
  assert.equal(emulatorEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  assert.equal(emulatorEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0', 'the caller\'s own choice wins');
});
