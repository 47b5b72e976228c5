/**
 * A fixed socket receive buffer per connection (`run --rcvbuf`), through the
 * project's native helper (native/sockopt.c, built by `npm install`): Node
 * exposes no SO_RCVBUF for TCP sockets.
 *
 * Why: with Linux's receive-buffer autotuning each connection's buffer grows
 * from its own first moments (one run here: 1.3 to 2.8 MiB across 12 client
 * connections), and CPU per response moved with it: in A/A runs alternating
 * autotuning off and on, the spread of the per-round CPU ratio had a median
 * of 4.4 % against 14.2 % (docs/performance.md, fourth session). A fixed
 * buffer gives every connection the same.
 *
 * Without the helper (not built, not Linux) nothing is set and the run
 * records that (config.rcvbuf.appliedBytes = null).
 */
import type { Socket } from 'node:net';
import { nativeAddon, socketFd } from '../native/addon.js';

/** Whether the native helper is built and loads. */
export function receiveBufferSupported(): boolean {
  return nativeAddon() !== null;
}

/**
 * Set a connected socket's receive buffer to `bytes`; the size the kernel
 * then reports (Linux: twice the request, capped by net.core.rmem_max unless
 * the process may force it), or null when it could not be set.
 */
export function setReceiveBuffer(sock: Socket, bytes: number): number | null {
  const a = nativeAddon();
  const fd = socketFd(sock);
  if (a === null || fd < 0) return null;
  const got = a.setReceiveBuffer(fd, bytes);
  return got > 0 ? got : null;
}
