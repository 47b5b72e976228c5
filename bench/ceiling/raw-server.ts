/**
 * Arm (a), server side: a raw TCP server that answers every 47-byte V3 GetPage
 * request frame with a precomputed 8239-byte response frame. It parses
 * nothing (it counts request bytes), copies nothing (answers are views of
 * constant buffers, made up front) and keeps no per-request state: the
 * cheapest server Node can be, so that arm (a) is the practical limit.
 *
 * For experiments (argv[2] JSON, bench:ceiling --raw-pages/--raw-split):
 * `pages` distinct page images served round-robin instead of one, and `split`
 * to write each response as a 47-byte header and an 8 KiB page (two iovecs,
 * as the emulator does) instead of one contiguous frame — to see what the
 * server's output shape costs the client's kernel.
 */
import net from 'node:net';
import { getPageResponseFrameV3, repeatedFrames, REQUEST_FRAME_BYTES, RESPONSE_FRAME_BYTES } from './frames.js';
import { send, serveMarks } from './ipc.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { pages?: number; split?: boolean };
const PAGES = Math.max(1, opts.pages ?? 1);
const SPLIT = opts.split === true;
const BATCH = 64;
const frame = getPageResponseFrameV3();
const HEADER = RESPONSE_FRAME_BYTES - 8192;
// One contiguous run of BATCH frames per distinct page image (pages differ in one byte).
const answers: Buffer[][] = [];
const headers: Buffer[] = [];
const pages: Buffer[] = [];
for (let p = 0; p < PAGES; p++) {
  const f = Buffer.from(frame);
  f[HEADER + 100] = p & 0xff;
  f[HEADER + 101] = (p >> 8) & 0xff;
  answers.push(repeatedFrames(f, BATCH));
  headers.push(f.subarray(0, HEADER));
  pages.push(f.subarray(HEADER));
}
let sent = 0;
let next = 0;

const server = net.createServer({ noDelay: true }, (sock) => {
  // Bytes of a request frame split across reads carry over to the next read.
  let carry = 0;
  sock.on('data', (chunk: Buffer) => {
    const total = carry + chunk.length;
    let n = Math.floor(total / REQUEST_FRAME_BYTES);
    carry = total - n * REQUEST_FRAME_BYTES;
    sent += n;
    // Cork so a batch of answers leaves in one writev.
    sock.cork();
    if (SPLIT || PAGES > 1) {
      for (; n > 0; n--) {
        const p = next++ % PAGES;
        if (SPLIT) {
          sock.write(headers[p]!);
          sock.write(pages[p]!);
        } else sock.write(answers[p]![1]!);
      }
    } else {
      while (n > 0) {
        const k = n > BATCH ? BATCH : n;
        sock.write(answers[0]![k]!);
        n -= k;
      }
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
