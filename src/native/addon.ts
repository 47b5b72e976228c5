/**
 * Loader of the project's one native helper (native/addon.c, built by
 * `npm install` through node-gyp into build/Release/native.node). Callers
 * ask for it and get null when it is not built or does not load: the client
 * then leaves receive buffers to the kernel and both sides write through
 * Node's streams.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface NativeAddon {
  /** setsockopt(SO_RCVBUFFORCE, else SO_RCVBUF): the size the kernel then reports, or -errno. */
  setReceiveBuffer(fd: number, bytes: number): number;
  /**
   * One writev(2) of n slices given as (base index 0..2, offset, length)
   * triples in `iov`: bytes written, or -errno when nothing was written.
   */
  writeFrames(fd: number, base0: Buffer, base1: Buffer, base2: Buffer, iov: Float64Array, n: number): number;
  /** One write(2) of buf[offset, offset + length): bytes written, or -errno when nothing was written. */
  writeBytes(fd: number, buf: Buffer, offset: number, length: number): number;
  /** Another process's CPU time so far (all threads), ns, through its CPU clock (clock_getcpuclockid); -errno on failure. */
  processCpuNs(pid: number): number;
  /**
   * This thread's sub-millisecond one-shot timer (native/pacer.c: a timerfd on
   * the thread's own event loop): 0, or -errno. Throws if already started.
   */
  pacerStart(callback: () => void): number;
  /** Fire the callback once, `delayUs` from now (≤ 0: at the next poll); replaces an earlier arm. 0 or -errno. */
  pacerArm(delayUs: number): number;
  /** Stop and free this thread's pacer (no-op when not started). */
  pacerStop(): number;
}

let addon: NativeAddon | null | undefined;

export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  try {
    // dist/src/native/addon.js -> build/Release/native.node at the package root.
    addon = createRequire(import.meta.url)('../../../build/Release/native.node') as NativeAddon;
  } catch {
    addon = null;
  }
  return addon;
}

/** The libuv handle's file descriptor of a connected socket (Unix), or -1. Not part of Node's typed API. */
export function socketFd(sock: Socket): number {
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}
