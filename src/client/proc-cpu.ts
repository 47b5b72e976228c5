/**
 * Facts read from Linux's /proc: another process's CPU time (once, or many
 * times through kept-open files), and whether the kernel autotunes TCP
 * receive buffers. null where /proc does not answer.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/**
 * CPU time of a local process so far, in nanoseconds, read synchronously: the
 * sum of /proc/<pid>/task/<tid>/schedstat (time on CPU) over its threads.
 * null once the process is gone. For many reads, ProcessCpuReader.
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
 * management API would be slow, asynchronous and itself emulator CPU). The
 * thread list is read once, at construction, and every thread's schedstat
 * file stays open and is re-read from offset 0 (procfs renders it afresh):
 * listing and opening on every read cost ~120 µs of the load generator's own
 * CPU for an 11-thread emulator, some 12 ms a second at 100 reads a second
 * (~25 µs each kept open: 2.5 ms a second).
 */
export class ProcessCpuReader {
  private fds: number[] = [];
  private readonly buf = Buffer.alloc(64);

  constructor(pid: number) {
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

  /** CPU time of the threads seen at construction, ns; null when none can be read (the process is gone). */
  read(): number | null {
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
