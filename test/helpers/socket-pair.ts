/**
 * A connected pair of real loopback TCP sockets, and a reader that waits for
 * a number of bytes: for tests of the code that writes to sockets directly
 * (the client's request batches, the emulator's direct output).
 */
import net from 'node:net';

export interface SocketPair {
  client: net.Socket;
  server: net.Socket;
  close(): void;
}

export async function socketPair(): Promise<SocketPair> {
  let accepted!: (s: net.Socket) => void;
  const got = new Promise<net.Socket>((r) => (accepted = r));
  const srv = net.createServer((s) => accepted(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
  const server = await got;
  return { client, server, close: () => { client.destroy(); server.destroy(); srv.close(); } };
}

/** Every byte `s` receives until there are `want`, concatenated; rejects after 10 s. */
export function collectBytes(s: net.Socket, want: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${have} of ${want} bytes arrived`)), 10_000);
    s.on('data', (c: Buffer) => {
      parts.push(c);
      have += c.length;
      if (have >= want) {
        clearTimeout(timer);
        resolve(Buffer.concat(parts));
      }
    });
  });
}
