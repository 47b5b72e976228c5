/**
 * Request batches straight to the kernel (the native helper's write(2)),
 * without a Writable chunk: Node's write path costs a WriteWrap, a request
 * object and callback state per call, which made most of the client's
 * garbage. In alternated runs (fifth session) GC events per million responses
 * fell from 7–8 to 2.3–2.6 and user CPU per response by 0.04–0.2 µs.
 *
 * Order: the direct write is taken only while Node holds nothing of the
 * socket's (writableLength === 0); what the kernel does not take (a full send
 * buffer) goes through Node, which then keeps the order and the backpressure.
 * PAGESTREAM_BENCH_NODE_WRITES=1 turns direct writes off (diagnostics).
 */
import type { Socket } from 'node:net';
import { nativeAddon } from '../native/addon.js';
import type { NativeAddon } from '../native/addon.js';

const NATIVE: NativeAddon | null = process.env.PAGESTREAM_BENCH_NODE_WRITES === '1' ? null : nativeAddon();

/** Whether direct writes are available (the helper is built and not turned off). */
export function directWritesEnabled(): boolean {
  return NATIVE !== null;
}

/**
 * Write buf[start, end) to `sock` whose descriptor is `fd`: directly when Node
 * holds nothing of it, the rest (or everything) through Node otherwise.
 * True when every byte is in the kernel (buf may then be reused at once).
 */
export function writeDirect(sock: Socket, fd: number, buf: Buffer, start: number, end: number): boolean {
  // A destroyed socket's descriptor is closed and its number may be reused: Node's write then reports it.
  if (NATIVE !== null && fd >= 0 && !sock.destroyed && sock.writableLength === 0) {
    const w = NATIVE.writeBytes(fd, buf, start, end - start);
    if (w === end - start) return true;
    // A full send buffer, or an error that Node's write then meets and reports as the socket's error.
    if (w > 0) start += w;
  }
  sock.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  return sock.writableLength === 0;
}
