/**
 * Read and write system calls of a process so far (/proc/<pid>/io syscr and
 * syscw; Linux only, else zeros). libuv reads and writes TCP sockets with
 * read()/write()/writev(), so syscalls per response show how well a side
 * batches: the main lever on CPU per response once the JS is cheap.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface SyscallCount {
  syscr: number;
  syscw: number;
}

export function syscalls(pid: number | 'self' = 'self'): SyscallCount {
  try {
    const t = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { syscr: Number(/^syscr: (\d+)/m.exec(t)?.[1] ?? 0), syscw: Number(/^syscw: (\d+)/m.exec(t)?.[1] ?? 0) };
  } catch {
    return { syscr: 0, syscw: 0 };
  }
}

/** CPU ticks (user, system; 1/100 s) of each thread of a process, by thread id, with its name. */
export function threadTicks(pid: number | 'self' = 'self'): Map<string, { comm: string; utime: number; stime: number }> {
  const out = new Map<string, { comm: string; utime: number; stime: number }>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // comm is in parentheses and may hold spaces; fields after it are space-separated.
        const close = st.lastIndexOf(')');
        const comm = st.slice(st.indexOf('(') + 1, close);
        const f = st.slice(close + 2).split(' ');
        out.set(tid, { comm, utime: Number(f[11]), stime: Number(f[12]) });
      } catch {
        // the thread ended in between
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Per-thread-name CPU between two threadTicks snapshots, in milliseconds, busiest first. */
export function threadCpuMs(a: ReturnType<typeof threadTicks>, b: ReturnType<typeof threadTicks>): Array<{ thread: string; userMs: number; systemMs: number }> {
  const byName = new Map<string, { userMs: number; systemMs: number }>();
  for (const [tid, y] of b) {
    const x = a.get(tid) ?? { utime: 0, stime: 0 };
    const k = `${y.comm}#${tid}`;
    const e = byName.get(k) ?? { userMs: 0, systemMs: 0 };
    e.userMs += (y.utime - x.utime) * 10;
    e.systemMs += (y.stime - x.stime) * 10;
    byName.set(k, e);
  }
  return [...byName].map(([thread, v]) => ({ thread, ...v })).filter((t) => t.userMs + t.systemMs > 0).sort((p, q) => q.userMs + q.systemMs - (p.userMs + p.systemMs));
}
