/**
 * Facts read from Linux's /proc: another process's CPU time (once, or many
 * times through kept-open files), and whether the kernel autotunes TCP
 * receive buffers. null where /proc does not answer.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { nativeAddon } from '../native/addon.js';
import type { NativeAddon } from '../native/addon.js';

/**
 * CPU time of a local process so far, in nanoseconds, read synchronously
 * (ProcessCpuReader: its CPU clock, else /proc). null once the process is gone.
 */
export function processCpuNs(pid: number): number | null {
  const reader = new ProcessCpuReader(pid);
  try {
    return reader.read();
  } finally {
    reader.close();
  }
}

/**
 * A process's CPU time read many times a second (run.ts reads the embedded
 * emulator's at every 10 ms time-slice switch, where an HTTP round trip to its
 * management API would be slow, asynchronous and itself emulator CPU).
 *
 * With the native helper: one clock_gettime on the process's CPU clock
 * (native/cpuclock.c), all threads to the nanosecond. Without it: the sum of
 * every thread's /proc/<pid>/task/<tid>/schedstat, the thread list read once
 * and each file kept open and re-read from offset 0 (procfs renders it
 * afresh). The /proc way costs one read per thread, ~10 for the emulator:
 * ~15 % of the load generator's main-thread work at the switches in the
 * eighth session's profile of a default run, and the main thread's CPU is
 * charged to the client's CPU per response like everything in the process.
 */
export class ProcessCpuReader {
  private fds: number[] = [];
  private readonly buf = Buffer.alloc(64);
  private readonly pid: number;
  private readonly clock: NativeAddon | null;

  /** `useClock` false: /proc even where the clock works (tests compare the two ways). */
  constructor(pid: number, useClock = true) {
    this.pid = pid;
    const native = useClock ? nativeAddon() : null;
    this.clock = native !== null && native.processCpuNs(pid) >= 0 ? native : null;
    if (this.clock !== null) return;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          this.fds.push(openSync(`/proc/${pid}/task/${tid}/schedstat`, 'r'));
        } catch {
          // A thread that ended between the listing and the open.
        }
      }
    } catch {
      // No such process: read() answers null.
    }
  }

  /** Whether reads go through the process's CPU clock (one system call) rather than /proc. */
  get viaClock(): boolean {
    return this.clock !== null;
  }

  /**
   * CPU time, ns: through the clock, of every thread the process has had;
   * through /proc, of the threads seen at construction. null when it cannot
   * be read (the process is gone).
   */
  read(): number | null {
    if (this.clock !== null) {
      // The pid is resolved afresh on every read (the /proc files stay bound
      // to their threads): after the process dies this answers null, unless
      // the pid were handed to a new process first, which Linux's sequential
      // pid allocation does not do within a run's seconds.
      const ns = this.clock.processCpuNs(this.pid);
      return ns >= 0 ? ns : null;
    }
    let ns = 0;
    let read = 0;
    const b = this.buf;
    for (const fd of this.fds) {
      let n: number;
      try {
        n = readSync(fd, b, 0, b.length, 0);
      } catch {
        continue; // the thread ended: its time is gone with it
      }
      // The first field: decimal nanoseconds on CPU.
      let v = 0;
      for (let k = 0; k < n; k++) {
        const c = b[k]!;
        if (c < 48 || c > 57) break;
        v = v * 10 + (c - 48);
      }
      ns += v;
      read++;
    }
    return read > 0 ? ns : null;
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds = [];
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
