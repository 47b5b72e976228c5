/**
 * npm run bench:emulator — server CPU per GetPage response of the emulator.
 *
 * Starts the emulator in its own process (startEmulatorProcess), opens 4
 * connections with 32 requests in flight each (options below), and drives
 * them with a minimal raw load driver: request frames precomputed once, each
 * response (fixed size) counted from the byte stream and answered with the next
 * precomputed frame, in one write per socket read. Measures the emulator's CPU
 * time (user + system, from the child) over the measured window and divides by
 * the responses: µs of server CPU per response. Also prints the client's CPU.
 *
 * Working sets (--blocks, per connection, default 16 and 1024): 16 keeps the
 * pages hot in CPU caches like the baseline's single prebuilt frame, so the
 * difference is the serving path itself; 1024 (4096 distinct pages, 33 MB)
 * adds what copying cold pages costs the kernel. Pages are built once and
 * served from the page cache afterwards (warm-up covers the first builds).
 *
 * Usage: node dist/bench/emulator.js [--connections 4] [--depth 32] [--seconds 5]
 *        [--warmup 1] [--protocol v3|v2|both] [--blocks 1024] [--rounds 3] [--emulator-args "..."] [--pin]
 *
 * Each round measures the emulator and a raw Node baseline server
 * (raw-baseline-server.ts: prebuilt frames, no parsing) back to back.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { startEmulatorProcess } from '../src/server/process.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../src/server/ids.js';
import { encodeQuery, encodeStartupMessage } from '../src/protocol/libpq.js';
import { GetPageRequestTable, encodeGetPageV2, encodeGetPageV3, setGetPageRow, GETPAGE_REQUEST_FRAME, GETPAGE_RESPONSE_FRAME } from '../src/protocol/getpage.js';
import { LSN_MAX } from '../src/protocol/u64.js';
import { CLIENT_CPU, SERVER_CPU, enablePinning, pin } from './ceiling/pin.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const CONNECTIONS = Number(arg('connections', '4'));
const DEPTH = Number(arg('depth', '32'));
const SECONDS = Number(arg('seconds', '5'));
const WARMUP = Number(arg('warmup', '1'));
const BLOCKS_LIST = arg('blocks', '16,1024').split(',').map(Number);
let BLOCKS = BLOCKS_LIST[0]!;
const PROTOCOLS = arg('protocol', 'both') === 'both' ? [3, 2] as const : [Number(arg('protocol', 'v3').slice(1)) as 2 | 3];
const EXTRA = arg('emulator-args', '').split(' ').filter(Boolean);
const NODE_ARGS = arg('node-args', '').split(' ').filter(Boolean);
// --pin: the server under test on CPU 1, this load driver on CPU 0 (bench/ceiling/pin.ts).
const PINNED = process.argv.includes('--pin') && enablePinning();
if (PINNED) pin(process.pid, CLIENT_CPU);

const TRUST_HANDSHAKE_BYTES = 9 + 26 + 26 + 25 + 6; // AuthOk + 3 ParameterStatus + ReadyForQuery = 92
const COPY_BOTH_BYTES = 8;
const FRAMES = 8192; // precomputed request frames per connection (power of two)

interface Driver {
  socket: Socket;
  /** False during the handshake: reads are re-emitted as 'data' for the handshake's listeners. */
  streaming: boolean;
  /** Set by drive(): bytes of GetPage responses read into the onread buffer. */
  onBytes: (n: number) => void;
  frames: Buffer;
  next: number;
  pending: number; // bytes of a partial response
  responses: number;
}

async function open(port: number, v: 2 | 3, conn: number): Promise<Driver> {
  // Reads land in one preallocated buffer (onread), as in pagestream-bench's own
  // client: the driver must not be what limits the server. With 'data' events
  // (a new Buffer per read) it spent ~2.5 us per response, about a whole core
  // at 400k responses/s, so the server's batches, and with them its CPU per
  // response, moved with the driver's speed.
  const d = { streaming: false, onBytes: (_n: number): void => {} };
  const socket: Socket = connect({
    port, host: '127.0.0.1', noDelay: true,
    onread: {
      buffer: Buffer.allocUnsafe(256 * 1024),
      callback(nread: number, buf: Uint8Array): boolean {
        if (!d.streaming) socket.emit('data', Buffer.from(buf.subarray(0, nread))); // a copy: the buffer is reused
        else d.onBytes(nread);
        return true;
      },
    },
  });
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', rej);
  });
  const expect = async (n: number): Promise<void> => {
    let got = 0;
    await new Promise<void>((res) => {
      const on = (c: Buffer): void => {
        got += c.length;
        if (got >= n) {
          socket.off('data', on);
          res();
        }
      };
      socket.on('data', on);
    });
    if (got !== n) throw new Error(`handshake: expected ${n} bytes, got ${got}`);
  };
  socket.write(encodeStartupMessage({ user: 'bench', database: 'postgres' }));
  await expect(TRUST_HANDSHAKE_BYTES);
  socket.write(encodeQuery(`pagestream_v${v} ${DEFAULT_TENANT_ID} ${DEFAULT_TIMELINE_ID}`));
  await expect(COPY_BOTH_BYTES);
  // Precomputed frames: blocks spread over the working set of this connection.
  const t = new GetPageRequestTable(FRAMES);
  const size = GETPAGE_REQUEST_FRAME[v];
  const frames = Buffer.allocUnsafe(FRAMES * size);
  for (let i = 0; i < FRAMES; i++) {
    const blk = (conn * BLOCKS + ((i * 2654435761) >>> 0) % BLOCKS) % 40000;
    setGetPageRow(t, i, BigInt(conn) << 32n | BigInt(i + 1), LSN_MAX, 0x08f3c1a8n, { spcnode: 1663, dbnode: 16384, relnode: 16400, forknum: 0 }, blk);
    if (v === 3) encodeGetPageV3(frames, i * size, t, i);
    else encodeGetPageV2(frames, i * size, t, i);
  }
  return Object.assign(d, { socket, frames, next: 0, pending: 0, responses: 0 });
}

function drive(d: Driver, v: 2 | 3): void {
  const respSize = GETPAGE_RESPONSE_FRAME[v];
  const reqSize = GETPAGE_REQUEST_FRAME[v];
  const send = (n: number): void => {
    // Consecutive frames in one write; wrap at the end of the precomputed block.
    while (n > 0) {
      const k = Math.min(n, FRAMES - d.next);
      d.socket.write(d.frames.subarray(d.next * reqSize, (d.next + k) * reqSize));
      d.next = (d.next + k) & (FRAMES - 1);
      n -= k;
    }
  };
  d.streaming = true;
  d.onBytes = (n: number): void => {
    const total = d.pending + n;
    const done = Math.floor(total / respSize);
    d.pending = total - done * respSize;
    d.responses += done;
    if (done > 0) send(done);
  };
  send(DEPTH);
}

interface Target {
  port: number;
  cpuUsage(): Promise<{ userUs: number; systemUs: number }>;
  flushStats(): Promise<{ flushes: number; served: number }>;
  stop(): Promise<void>;
}

async function emulatorTarget(): Promise<Target> {
  const emu = await startEmulatorProcess({ args: ['--quiet', ...EXTRA], nodeArgs: NODE_ARGS });
  pin(emu.pid, SERVER_CPU);
  return {
    port: emu.port,
    cpuUsage: () => emu.cpuUsage(),
    async flushStats() {
      const metrics = await (await fetch(`http://127.0.0.1:${emu.mgmtPort}/metrics`)).text();
      const flushes = Number(/^pagestream_response_flushes_total (\S+)$/m.exec(metrics)?.[1] ?? NaN);
      const served = Number(/^pagestream_responses_total\{kind="getpage"\} (\S+)$/m.exec(metrics)?.[1] ?? NaN);
      return { flushes, served };
    },
    stop: () => emu.stop(),
  };
}

/** The raw floor (bench/raw-baseline-server.ts); CPU from /proc (10 ms ticks, fine over seconds). */
async function baselineTarget(v: 2 | 3): Promise<Target> {
  const script = fileURLToPath(new URL('./raw-baseline-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, String(v)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    child.stdout!.setEncoding('utf8');
    child.stdout!.once('data', (s: string) => resolve(JSON.parse(s.split('\n')[0]!)));
    child.once('exit', () => reject(new Error('baseline server exited')));
  });
  pin(ready.pid, SERVER_CPU);
  return {
    port: ready.port,
    async cpuUsage() {
      const stat = readFileSync(`/proc/${ready.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { userUs: Number(f[11]) * 10000, systemUs: Number(f[12]) * 10000 };
    },
    async flushStats() {
      return { flushes: NaN, served: NaN };
    },
    async stop() {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function measure(v: 2 | 3, baseline: boolean): Promise<Record<string, number | string>> {
  const target = baseline ? await baselineTarget(v) : await emulatorTarget();
  try {
    const drivers: Driver[] = [];
    for (let c = 0; c < CONNECTIONS; c++) drivers.push(await open(target.port, v, c));
    for (const d of drivers) drive(d, v);
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    const count = (): number => drivers.reduce((a, d) => a + d.responses, 0);
    const cpu0 = await target.cpuUsage();
    const my0 = process.cpuUsage();
    const n0 = count();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const n1 = count();
    const t1 = performance.now();
    const cpu1 = await target.cpuUsage();
    const my1 = process.cpuUsage(my0);
    const { flushes, served } = await target.flushStats();
    for (const d of drivers) d.socket.destroy();
    const responses = n1 - n0;
    const serverUs = cpu1.userUs - cpu0.userUs + (cpu1.systemUs - cpu0.systemUs);
    return {
      server: baseline ? 'raw-node-baseline' : 'emulator',
      protocol: `v${v}`,
      connections: CONNECTIONS,
      depth: DEPTH,
      seconds: +((t1 - t0) / 1000).toFixed(3),
      responses,
      responsesPerS: Math.round(responses / ((t1 - t0) / 1000)),
      serverCpuUsPerResponse: +(serverUs / responses).toFixed(3),
      serverUserUsPerResponse: +((cpu1.userUs - cpu0.userUs) / responses).toFixed(3),
      serverSystemUsPerResponse: +((cpu1.systemUs - cpu0.systemUs) / responses).toFixed(3),
      responsesPerFlush: +(served / flushes).toFixed(2),
      clientCpuUsPerResponse: +((my1.user + my1.system) / responses).toFixed(3),
    };
  } finally {
    await target.stop();
  }
}

// Side by side, alternating, so drift on a shared machine hits both alike.
// 3 rounds by default, so the summary's median is a median (of 2 it was the lower).
const ROUNDS = Number(arg('rounds', '3'));
const results: Array<Record<string, number | string>> = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const b of BLOCKS_LIST) {
    BLOCKS = b;
    for (const v of PROTOCOLS) {
      results.push({ blocksPerConnection: b, ...(await measure(v, false)) });
      results.push({ blocksPerConnection: b, ...(await measure(v, true)) });
    }
  }
}
const summary: Record<string, number> = {};
for (const b of BLOCKS_LIST) {
  for (const v of PROTOCOLS) {
    const med = (server: string): number => {
      const xs = results.filter((x) => x.protocol === `v${v}` && x.server === server && x.blocksPerConnection === b).map((x) => x.serverCpuUsPerResponse as number).sort((a, b) => a - b);
      return xs[Math.floor((xs.length - 1) / 2)]!;
    };
    summary[`v${v}_${b}blk_emulatorCpuUsPerResponse`] = med('emulator');
    summary[`v${v}_${b}blk_baselineCpuUsPerResponse`] = med('raw-node-baseline');
    summary[`v${v}_${b}blk_emulatorOverBaseline`] = +(med('emulator') / med('raw-node-baseline')).toFixed(3);
  }
}
process.stdout.write(JSON.stringify({ bench: 'emulator', command: process.argv.slice(1).join(' '), emulatorArgs: EXTRA, pinned: PINNED, summary, results }, null, 2) + '\n');
