/**
 * The emulator's GetPage output without Node's Writable: one writev(2) per
 * pump over slices of long-lived buffers (the page cache, the connection's
 * header arena, the emulator's constant bytes), through the native helper
 * (native/writev.c).
 *
 * Why: through Node every response frame is a stream chunk (an entry in the
 * Writable's buffer, a pass in StreamBase::Writev, a Buffer object per cached
 * page kept in JS). In a perf profile of the emulator at 270k responses/s the
 * Writable `_write` alone was 8 % of its CPU, and the page views held 300k
 * Buffer objects in the heap.
 *
 * Ordering. A direct write goes to the kernel ahead of anything Node holds,
 * so the connection writes directly only while Node's queue is empty
 * (writableLength === 0) and stops for the rest of a pump as soon as anything
 * goes through Node. What the kernel does not take (a full send buffer) is
 * copied into one Buffer and queued through Node, which then waits for the
 * socket to drain and applies the connection's backpressure as before; the
 * copy also frees every slice at once, so nothing needs pinning.
 */
import type { Socket } from 'node:net';
import type { NativeAddon } from '../native/addon.js';
import { M_DIRECT_BYTES, M_DIRECT_QUEUED } from './metrics.js';

export const BASE_CACHE = 0;
export const BASE_HEADERS = 1;
/** EmulatorCore.fixed: the zero page, then the template of generated pages. */
export const BASE_FIXED = 2;

/** Slices gathered before a flush: IOV_MAX on Linux, 256 responses of 4 slices. */
const MAX_SLICES = 1024;

export class DirectOutput {
  private readonly iov = new Float64Array(3 * MAX_SLICES);
  private n = 0;
  private readonly bases: [Buffer, Buffer, Buffer];

  constructor(
    private readonly addon: NativeAddon,
    private readonly fd: number,
    private readonly sock: Socket,
    /** The emulator's metrics counters (M_DIRECT_BYTES, M_DIRECT_QUEUED). */
    private readonly counters: Float64Array,
    cache: Buffer,
    headers: Buffer,
    fixed: Buffer,
  ) {
    this.bases = [cache, headers, fixed];
  }

  /** Slices that can still be gathered before a flush. */
  get room(): number {
    return MAX_SLICES - this.n;
  }

  /** Gather bytes [off, off + len) of base `base` (BASE_*); the caller keeps `room` > 0. */
  add(base: number, off: number, len: number): void {
    const t = this.iov;
    const k = 3 * this.n++;
    t[k] = base;
    t[k + 1] = off;
    t[k + 2] = len;
  }

  /**
   * Write what is gathered. Returns true when it all reached the kernel,
   * false when a rest was queued through Node (the caller then writes through
   * Node until the socket drains).
   */
  flush(): boolean {
    const n = this.n;
    if (n === 0) return true;
    this.n = 0;
    // A destroyed socket's descriptor is closed and its number may already
    // belong to another socket or file: never write to it.
    if (this.sock.destroyed) return false;
    const b = this.bases;
    let w = this.addon.writeFrames(this.fd, b[0], b[1], b[2], this.iov, n);
    // -EAGAIN: nothing taken now. Any other error (EPIPE, ECONNRESET): Node's
    // write of the rest meets it again and reports it as the socket's error.
    if (w < 0) w = 0;
    this.counters[M_DIRECT_BYTES]! += w;
    let total = 0;
    for (let j = 0; j < n; j++) total += this.iov[3 * j + 2]!;
    if (w === total) return true;
    this.queueRest(n, w, total - w);
    return false;
  }

  /** Copy the slices from byte `skip` on into one Buffer and hand it to Node (cold path). */
  private queueRest(n: number, skip: number, restLen: number): void {
    const rest = Buffer.allocUnsafe(restLen);
    let at = 0;
    for (let j = 0; j < n; j++) {
      const base = this.bases[this.iov[3 * j]!]!;
      let off = this.iov[3 * j + 1]!;
      let len = this.iov[3 * j + 2]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      off += skip;
      len -= skip;
      skip = 0;
      at += base.copy(rest, at, off, off + len);
    }
    this.counters[M_DIRECT_QUEUED]! += restLen;
    this.sock.write(rest);
  }
}
