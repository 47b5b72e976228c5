/**
 * The floor the emulator is compared with in bench/emulator.ts: the least a
 * Node server can do per GetPage — count fixed-size request frames and answer
 * each with one prebuilt response frame (no parsing, no lookup, no echo),
 * corked per read. Prints its port on stdout; exits when stdin closes.
 */
import { createServer } from 'node:net';

const v = Number(process.argv[2] ?? '3') as 2 | 3;
const REQ = v === 3 ? 47 : 39;
const frame = Buffer.alloc(v === 3 ? 8239 : 8198, 0x5a);
// Bytes the driver waits for after its StartupMessage and after its pagestream query.
const HANDSHAKE = [92, 8];
const server = createServer({ noDelay: true }, (s) => {
  let phase = 0;
  let partial = 0;
  s.on('data', (d: Buffer) => {
    if (phase < 2) {
      s.write(Buffer.alloc(HANDSHAKE[phase++]!));
      return;
    }
    const total = partial + d.length;
    const n = Math.floor(total / REQ);
    partial = total - n * REQ;
    s.cork();
    for (let i = 0; i < n; i++) s.write(frame);
    s.uncork();
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port, pid: process.pid }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
