/**
 * Facts read from Linux's /proc: another process's CPU time, and whether the
 * kernel autotunes TCP receive buffers. null where /proc does not answer.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of a local process so far, in nanoseconds, read synchronously: the
 * sum of /proc/<pid>/task/<tid>/schedstat (time on CPU) over its threads.
 * run.ts reads the embedded emulator's at every time-slice switch, where an
 * HTTP round trip to its management API would be slow, asynchronous and
 * itself emulator CPU. null once the process is gone.
 */
export function processCpuNs(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
      } catch {
        // A thread that ended between the listing and the read: its time is gone with it.
      }
    }
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/**
 * Linux TCP receive-buffer autotuning (net.ipv4.tcp_moderate_rcvbuf): true
 * when on, false when off, null when unknown (not Linux). With it on, each
 * connection's receive window grows on its own early history, so two sets of
 * connections opened side by side can settle at different read batching and
 * CPU per response for a whole round (docs/performance.md, fourth session).
 */
export function rcvbufAutotuning(): boolean | null {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_moderate_rcvbuf', 'utf8').trim() !== '0';
  } catch {
    return null;
  }
}
