/**
 * Run the emulator in its own process (`pagestream-bench serve`), so its GC
 * pauses and CPU time never mix with the load generator's. Resolves when the
 * child prints its readiness line on stdout. The child exits when its stdin
 * closes, so it never outlives its parent, and on SIGTERM/SIGINT.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { TargetError } from '../protocol/errors.js';

export interface StartEmulatorOptions {
  /** Extra `serve` arguments, e.g. ['--faults', 'drop=0.01']. */
  args?: string[];
  /** Child stderr: forwarded line by line to ours (default), ignored, or inherited. */
  stderr?: 'forward' | 'ignore' | 'inherit';
  /** Give up waiting for readiness after this long (default 20 s). */
  readyTimeoutMs?: number;
  /** Extra node flags for the child (e.g. --max-old-space-size). */
  nodeArgs?: string[];
}

export interface CpuUsage {
  userUs: number;
  systemUs: number;
}

export interface EmulatorProcess {
  host: string;
  port: number;
  mgmtPort: number;
  pid: number;
  /** SIGTERM, then SIGKILL after 2 s; resolves when the child has exited. */
  stop(): Promise<void>;
  /** CPU time of the child so far (management endpoint; /proc fallback). */
  cpuUsage(): Promise<CpuUsage>;
  /** Resolves with the exit code (or null after a signal) when the child exits. */
  readonly exited: Promise<number | null>;
}

const BIN = fileURLToPath(new URL('../../../bin/pagestream-bench.js', import.meta.url));

export async function startEmulatorProcess(opts: StartEmulatorOptions = {}): Promise<EmulatorProcess> {
  const extra = opts.args ?? [];
  // Defaults only for what the caller did not set (serve refuses an option given twice).
  const given = (name: string): boolean => extra.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const defaults: string[] = [];
  for (const [name, value] of [['host', '127.0.0.1'], ['port', '0'], ['mgmt-port', '0']] as const) if (!given(name)) defaults.push(`--${name}`, value);
  if (!given('exit-on-stdin-close')) defaults.push('--exit-on-stdin-close');
  const argv = [...(opts.nodeArgs ?? []), BIN, 'serve', ...defaults, ...extra];
  const mode = opts.stderr ?? 'forward';
  const child = spawn(process.execPath, argv, { env: emulatorEnv(process.env), stdio: ['pipe', 'pipe', mode === 'inherit' ? 'inherit' : mode === 'ignore' ? 'ignore' : 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const errTail: string[] = [];
  if (mode === 'forward' && child.stderr) {
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      partial += s;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        errTail.push(line);
        if (errTail.length > 20) errTail.shift();
        process.stderr.write(`[emulator] ${line}\n`);
      }
    });
  }
  const ready = await new Promise<{ host: string; port: number; mgmtPort: number; pid: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TargetError('ERR_EMULATOR_START', `emulator did not become ready within ${opts.readyTimeoutMs ?? 20000} ms`));
    }, opts.readyTimeoutMs ?? 20000);
    child.stdout!.setEncoding('utf8');
    const onData = (s: string): void => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = out.slice(0, nl);
      try {
        const ev = JSON.parse(line) as { event?: string; host: string; port: number; mgmtPort: number; pid: number };
        if (ev.event === 'ready') {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve(ev);
          return;
        }
      } catch {
        /* not JSON: keep waiting */
      }
      out = out.slice(nl + 1);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new TargetError('ERR_EMULATOR_START', `emulator exited before it was ready (code ${code}${sig ? `, signal ${sig}` : ''})${errTail.length ? ': ' + errTail[errTail.length - 1] : ''}`));
    });
  });
  return {
    ...ready,
    exited,
    stop: () => stopChild(child, exited),
    cpuUsage: () => cpuOf(ready.pid, ready.mgmtPort),
  };
}

/**
 * The emulator's environment: the caller's, plus glibc's transparent huge
 * pages for large allocations (glibc >= 2.35 reads GLIBC_TUNABLES at start;
 * older glibc and other libcs ignore it). A page cache of whole pages (a
 * --pgdata dataset; before the fifth session every dataset, ~800 MiB by
 * default) is read at random, 8 KiB per response, and every send copies from
 * it: with 2 MiB pages the kernel's copy misses the TLB far less. Measured
 * then, four alternated pairs of `run --protocol v3 --duration 4 --rounds 1
 * --pin`: emulator CPU per response 3.62 against 3.81 µs (lower in 4 of 4
 * pairs), throughput 271k against 257k responses/s (docs/performance.md). A
 * tunable the caller set for glibc.malloc.hugetlb is kept.
 */
export function emulatorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const t = env.GLIBC_TUNABLES ?? '';
  if (t.includes('glibc.malloc.hugetlb')) return env;
  return { ...env, GLIBC_TUNABLES: t ? `${t}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1' };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

async function cpuOf(pid: number, mgmtPort: number): Promise<CpuUsage> {
  if (mgmtPort > 0) {
    try {
      return await new Promise<CpuUsage>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port: mgmtPort, path: '/v1/emulator/cpu', timeout: 5000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => (body += s));
          res.on('end', () => {
            try {
              const j = JSON.parse(body) as CpuUsage;
              resolve({ userUs: j.userUs, systemUs: j.systemUs });
            } catch (e) {
              reject(e);
            }
          });
        });
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
      });
    } catch {
      /* fall back to /proc */
    }
  }
  // /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks (USER_HZ = 100 on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userUs: Number(fields[11]) * 10000, systemUs: Number(fields[12]) * 10000 };
}
