/**
 * Request batches straight to the kernel (the native helper's write(2)),
 * without a Writable chunk: Node's write path costs a WriteWrap, a request
 * object and callback state per call, which made most of the client's
 * garbage. In alternated runs (fifth session) GC events per million responses
 * fell from 7–8 to 2.3–2.6 and user CPU per response by 0.04–0.2 µs.
 *
 * Order: the direct write is taken only while Node holds nothing of the
 * socket's (writableLength === 0); what the kernel does not take (a full send
 * buffer) the caller writes through Node, which then keeps the order and the
 * backpressure. PAGESTREAM_BENCH_NODE_WRITES=1 turns direct writes off
 * (diagnostics).
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
 * Write what the kernel takes now of buf[start, end) to `sock`, whose
 * descriptor is `fd`, when Node holds nothing of the socket's. Returns where
 * the rest starts (`end`: all of it is in the kernel); the caller writes the
 * rest through Node. Nothing is written directly to a destroyed socket: its
 * descriptor is closed and the number may already belong to another socket.
 * An error (EPIPE, ECONNRESET) writes nothing, and Node's write of the rest
 * then meets it and reports it as the socket's error.
 */
export function writeDirect(sock: Socket, fd: number, buf: Buffer, start: number, end: number): number {
  if (NATIVE === null || fd < 0 || sock.destroyed || sock.writableLength !== 0) return start;
  const w = NATIVE.writeBytes(fd, buf, start, end - start);
  return w > 0 ? start + w : start;
}
