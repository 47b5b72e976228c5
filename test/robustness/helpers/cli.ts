/**
 * Drive the real CLI (`node bin/pagestream-bench.js …`) as a child process with
 * a hard timeout, capturing stdout/stderr, exit code and time to exit.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = path.join(REPO, 'bin', 'pagestream-bench.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True if the hard timeout fired and the child was killed. */
  timedOut: boolean;
}

export interface CliHandle {
  child: ChildProcess;
  done: Promise<CliRun>;
  /** Resolves when stderr or stdout has matched `re` (or rejects at exit). */
  waitFor(re: RegExp): Promise<void>;
  out(): { stdout: string; stderr: string };
}

export function spawnCli(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): CliHandle {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.re.test(stderr) || waiters[i]!.re.test(stdout)) {
        waiters[i]!.resolve();
        waiters.splice(i, 1);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; check(); });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; check(); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 30_000);
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w.reject(new Error(`CLI exited (code ${code}) before matching ${w.re}; stderr: ${stderr.slice(-2000)}`));
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
  return {
    child,
    done,
    waitFor: (re) => new Promise<void>((resolve, reject) => { waiters.push({ re, resolve, reject }); check(); }),
    out: () => ({ stdout, stderr }),
  };
}

export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliRun> {
  return spawnCli(args, opts).done;
}

/** A JavaScript stack frame line ("    at fn (file:1:2)") anywhere in the text. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:internal)/m.test(text) || /node:internal\//.test(text);
}

/** Read a JSON file (the run's result). */
export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Direct children of `pid` (Linux /proc), with their command lines. */
export function childrenOf(pid: number): Array<{ pid: number; args: string }> {
  const out: Array<{ pid: number; args: string }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …  — comm may contain spaces/parens: split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(d), args: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch { /* raced with exit */ }
  }
  return out;
}

/** Every descendant of `pid`. */
export function descendantsOf(pid: number): Array<{ pid: number; args: string }> {
  const all: Array<{ pid: number; args: string }> = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of childrenOf(queue.shift()!)) {
      all.push(c);
      queue.push(c.pid);
    }
  }
  return all;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill 0: check its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Poll until `fn` is true or `ms` elapse. */
export async function until(fn: () => boolean, ms: number, step = 25): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, step));
  }
  return fn();
}
