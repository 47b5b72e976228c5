/**
 * Arm (a), client side: keeps `pipeline` precomputed V3 GetPage request frames
 * in flight on each connection. Reads land in one preallocated buffer per
 * connection (`onread`), responses are counted by length (8239 bytes each),
 * and every completed response is refilled with a request from a view of one
 * constant buffer. No parsing, no verification, no histogram, no clock per
 * response: what is left is Node's socket layer and the kernel.
 *
 * With `tenant`/`timeline` in its parameters it first enters a real page
 * stream (libpq handshake), so the same client can drive the emulator: the
 * arm that separates what the emulator costs from what the client costs.
 */
import net from 'node:net';
import { getPageRequestFrameV3, repeatedFrames, RESPONSE_FRAME_BYTES } from './frames.js';
import { runClient } from './ipc.js';
import { pagestreamHandshake } from './handshake.js';

let responses = 0;

void runClient(
  () => responses,
  async (p) => {
    const refills = repeatedFrames(getPageRequestFrameV3(), p.pipeline);
    const sockets: net.Socket[] = [];
    let running = true;
    await Promise.all(
      Array.from({ length: p.connections }, () => {
        let carry = 0; // bytes of the response frame in progress
        // During the handshake reads go to a 'data' listener (onread is set
        // only when connecting), so the buffer is swapped in afterwards.
        let streaming = typeof p.tenant !== 'string';
        const sock = net.connect({
          host: p.host,
          port: p.port,
          noDelay: true,
          onread: {
            buffer: Buffer.allocUnsafe(256 * 1024),
            callback(nread: number, buf: Uint8Array): boolean {
              if (!streaming) {
                sock.emit('data', Buffer.from(buf.buffer, buf.byteOffset, nread));
                return true;
              }
              const total = carry + nread;
              const n = Math.floor(total / RESPONSE_FRAME_BYTES);
              carry = total - n * RESPONSE_FRAME_BYTES;
              if (n > 0) {
                responses += n;
                if (running) sock.write(refills[n]!);
              }
              return true;
            },
          },
        });
        sockets.push(sock);
        sock.on('error', (e) => {
          if (running) throw e;
        });
        return new Promise<void>((resolve, reject) =>
          sock.once('connect', () => {
            const go = (): void => {
              streaming = true;
              sock.write(refills[p.pipeline]!);
              resolve();
            };
            if (streaming) go();
            else pagestreamHandshake(sock, String(p.tenant), String(p.timeline)).then(go, reject);
          }),
        );
      }),
    );
    return {
      stop() {
        running = false;
        for (const s of sockets) s.destroy();
      },
    };
  },
);
