/**
 * bench/hot-loop: user CPU per response of the client's hot loop in process —
 * PageStreamConnection.feed -> StreamFrameReader -> verify -> histogram record
 * -> refill + request encode — driven from pre-filled 37,000-byte chunks (as
 * test/client/hot-loop.test.ts does), no sockets, so kernel time and machine
 * noise from the network path are out of the figure. The loopback peer's echo
 * patching (~58 byte stores per request) is included: compare figures of this
 * command with each other, not with end-to-end CPU per response.
 * Usage: node dist/bench/hot-loop.js [--responses 3000000] [--rounds 5] [--v2] [--noverify --nosink]
 * (--noverify --nosink: V3 without the echo compare and without the peer's patching,
 * to see what the peer costs: the responses then no longer answer the requests.)
 */
import { PageStreamConnection } from '../src/client/connection.js';
import { createControl, PHASE, PHASE_MEASURE } from '../src/client/control.js';
import { BlockChooser, makeKeySpace } from '../src/client/keys.js';
import { C_RESPONSES, ShardStats } from '../src/client/shard-stats.js';
import { MODE_V2, MODE_V3, MODE_V3_NOVERIFY, ON_MISMATCH_COUNT } from '../src/client/stream-core.js';
import type { StreamSpec } from '../src/client/stream-core.js';
import { ReadArena } from '../src/client/stream-reader.js';
import { LoopbackStream } from '../test/client/helpers/loopback-stream.js';

const args = process.argv.slice(2);
const arg = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
const version: 2 | 3 = args.includes('--v2') ? 2 : 3;
const N = arg('responses', 3_000_000);
const ROUNDS = arg('rounds', 5);

const depth = 32;
const control = new Int32Array(createControl(1));
Atomics.store(control, PHASE, PHASE_MEASURE);
const stats = new ShardStats();
const spec: StreamSpec = {
  mode: version === 2 ? MODE_V2 : args.includes('--noverify') ? MODE_V3_NOVERIFY : MODE_V3, pipeline: depth, verifyChecksum: false, oracle: false, onMismatch: ON_MISMATCH_COUNT,
  rels: { spcnode: Uint32Array.of(1663, 1663), dbnode: Uint32Array.of(16384, 16384), relnode: Uint32Array.of(16385, 16390), forknum: Uint8Array.of(0, 0) },
  lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x08f3c1a8, rateRps: 0, reqidHi: 77,
};
const chooser = new BlockChooser(makeKeySpace([100_000, 5_000]), { kind: 'uniform', s: 0 }, 1, 42, 0, 1);
const arena = new ReadArena(LoopbackStream.bytes(version, depth), 1);
const conn = new PageStreamConnection(
  { host: '127.0.0.1', port: 1, user: 'u', database: 'd', tenant: 't', timeline: 'l' },
  spec, chooser, stats, arena, control, 60_000, { onFirstReady() {} },
);
const peer = new LoopbackStream(version, depth, 37_000, { spcnode: 1663, dbnode: 16384, relnode: 16385, forknum: 0, blkno: 0 }, arena.read);
conn.writeOut = args.includes('--nosink') ? () => {} : peer.sink;
conn.enterStream();
const clock = Float64Array.of(1000);
function drive(responses: number): void {
  const target = stats.c[C_RESPONSES]! + responses;
  while (stats.c[C_RESPONSES]! < target) {
    const c = peer.nextChunkIndex();
    clock[0]! += 0.013;
    conn.feed(peer.chunks[c]!, peer.chunkLen[c]!, clock[0]!);
  }
}
drive(300_000);
const ns: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const c0 = process.cpuUsage();
  drive(N);
  const c1 = process.cpuUsage(c0);
  ns.push(((c1.user + c1.system) * 1000) / N);
}
ns.sort((a, b) => a - b);
console.log(`hot loop V${version}: ${ns[ROUNDS >> 1]!.toFixed(1)} ns CPU per response (median of ${ROUNDS} x ${N}; min ${ns[0]!.toFixed(1)}, max ${ns[ROUNDS - 1]!.toFixed(1)})`);
