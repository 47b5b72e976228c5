/**
 * Arm (a), server side: a raw TCP server that answers every 47-byte V3 GetPage
 * request frame with one precomputed 8239-byte response frame. It parses
 * nothing (it counts request bytes), copies nothing (answers are views of one
 * constant buffer, made up front) and keeps no per-request state: the cheapest
 * server Node can be, so that arm (a) is the practical limit of this machine.
 */
import net from 'node:net';
import { getPageRequestFrameV3, getPageResponseFrameV3, repeatedFrames, REQUEST_FRAME_BYTES } from './frames.js';
import { send, serveMarks } from './ipc.js';

void getPageRequestFrameV3;
const BATCH = 64;
const answers = repeatedFrames(getPageResponseFrameV3(), BATCH);
let sent = 0;

const server = net.createServer({ noDelay: true }, (sock) => {
  // Bytes of a request frame split across reads carry over to the next read.
  let carry = 0;
  sock.on('data', (chunk: Buffer) => {
    const total = carry + chunk.length;
    let n = Math.floor(total / REQUEST_FRAME_BYTES);
    carry = total - n * REQUEST_FRAME_BYTES;
    sent += n;
    // Cork so a batch of answers leaves in as few syscalls as possible.
    sock.cork();
    while (n > 0) {
      const k = n > BATCH ? BATCH : n;
      sock.write(answers[k]!);
      n -= k;
    }
    sock.uncork();
  });
  sock.on('error', () => sock.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as net.AddressInfo;
  send({ type: 'ready', port: a.port });
});
serveMarks(() => sent);
