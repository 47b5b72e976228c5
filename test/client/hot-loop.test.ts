/**
 * The per-response loop allocates nothing: the code that runs on the socket
 * (PageStreamConnection.feed -> FrameReader -> slot lookup -> verify ->
 * histogram record -> slot refill + request encode) driven over >= 1 M V3
 * responses from pre-filled chunks sees zero GC events (--expose-gc).
 * A control run proves the GC counter is not vacuous.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { PageStreamConnection } from '../../src/client/connection.js';
import { createControl, PHASE, PHASE_CONNECT, PHASE_MEASURE, PHASE_WARMUP } from '../../src/client/control.js';
import { BlockChooser, makeKeySpace } from '../../src/client/keys.js';
import { C_MISMATCHES, C_READS, C_REQUESTS, C_RESPONSES, C_UNDETECTED, C_WRITES, ShardStats } from '../../src/client/shard-stats.js';
import { MODE_V2, MODE_V3, ON_MISMATCH_COUNT } from '../../src/client/stream-core.js';
import type { StreamSpec } from '../../src/client/stream-core.js';
import { MISMATCH_BLKNO } from '../../src/protocol/getpage.js';
import { ReadArena } from '../../src/client/stream-reader.js';
import { LoopbackStream } from './helpers/loopback-stream.js';

const gc = (globalThis as { gc?: () => void }).gc;

function setup(version: 2 | 3, nblocks: number[], opts: { verifyChecksum: boolean; oracle: boolean; phase?: number; refillDeferMs?: number }) {
  const depth = 32;
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, opts.phase ?? PHASE_MEASURE);
  const stats = new ShardStats();
  const spec: StreamSpec = {
    mode: version === 3 ? MODE_V3 : MODE_V2, pipeline: depth, verifyChecksum: opts.verifyChecksum, oracle: opts.oracle,
    onMismatch: ON_MISMATCH_COUNT,
    rels: { spcnode: Uint32Array.of(1663, 1663), dbnode: Uint32Array.of(16384, 16384), relnode: Uint32Array.of(16385, 16390), forknum: Uint8Array.of(0, 0) },
    lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x08f3c1a8, rateRps: 0, reqidHi: 77,
    refillDeferMs: opts.refillDeferMs ?? 0,
  };
  const chooser = new BlockChooser(makeKeySpace(nblocks), { kind: 'uniform', s: 0 }, 1, 42, 0, 1);
  const arena = new ReadArena(LoopbackStream.bytes(version, depth), 1);
  const conn = new PageStreamConnection(
    { host: '127.0.0.1', port: 1, user: 'u', database: 'd', tenant: 't', timeline: 'l' },
    spec, chooser, stats, arena, control, 60_000, { onFirstReady() {} },
  );
  // 37,000-byte chunks split 8 KiB frames at ever-changing offsets.
  const peer = new LoopbackStream(version, depth, 37_000, { spcnode: 1663, dbnode: 16384, relnode: 16385, forknum: 0, blkno: 0 }, arena.read);
  conn.writeOut = peer.sink;
  conn.enterStream(); // fills the pipeline: 32 requests -> 32 responses patched
  // The batch clock, passed in as the socket callback passes performance.now().
  // Kept in a typed array: a double in a closure variable would box on every update.
  const clock = Float64Array.of(1000);
  const drive = (responses: number): void => {
    const target = stats.c[C_RESPONSES]! + responses;
    while (stats.c[C_RESPONSES]! < target) {
      const c = peer.nextChunkIndex();
      clock[0]! += 0.013;
      conn.feed(peer.chunks[c]!, peer.chunkLen[c]!, clock[0]!);
    }
  };
  return { conn, stats, peer, drive, control };
}

async function countGc(body: () => void): Promise<number> {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    n += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  body();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return n;
}

test('GC counter sees allocation (control)', { skip: !gc && 'needs --expose-gc' }, async () => {
  const sink: unknown[] = [];
  const n = await countGc(() => {
    for (let i = 0; i < 2_000_000; i++) {
      sink.push({ i, s: 'x' + i });
      if (sink.length > 1000) sink.length = 0;
    }
  });
  assert.ok(n > 0, 'allocating loop must produce GC events');
});

test('V3 hot loop, refills held to the end of each burst (as run does by default): >= 1 M responses verified and recorded with zero GC events', { skip: !gc && 'needs --expose-gc' }, async () => {
  const { stats, drive } = setup(3, [100_000, 5_000], { verifyChecksum: false, oracle: true, refillDeferMs: 0.2 });
  drive(100_000); // warm-up: JIT tiers, histogram buckets touched
  gc!();
  const before = stats.c[C_RESPONSES]!;
  const events = await countGc(() => drive(1_050_000));
  const done = stats.c[C_RESPONSES]! - before;
  assert.ok(done >= 1_000_000, `drove ${done} responses`);
  assert.equal(events, 0, `GC events during ${done} responses`);
  assert.equal(stats.c[C_MISMATCHES], 0);
  assert.equal(stats.c[C_UNDETECTED], 0);
  // 37,000-byte reads of a 32-response burst (263,648 bytes): 8 reads, and one write at its last.
  assert.ok(stats.c[C_WRITES]! * 6 < stats.c[C_READS]!, `refills held: ${stats.c[C_WRITES]} writes for ${stats.c[C_READS]} reads`);
  assert.equal(stats.interval.totalCount, stats.c[C_RESPONSES]);
  assert.ok(stats.interval.maxValue >= 13, 'latencies from the batch clock were recorded');
  stats.rotate();
  assert.equal(stats.latency.totalCount, stats.c[C_RESPONSES]);
});

test('V2 hot loop with page checksum and oracle, refill after every read: zero GC events', { skip: !gc && 'needs --expose-gc' }, async () => {
  // One block, so the prebuilt page's checksum (for blkno 0) is right for every request.
  const { stats, drive } = setup(2, [1], { verifyChecksum: true, oracle: true });
  drive(20_000);
  gc!();
  const events = await countGc(() => drive(200_000));
  assert.equal(events, 0);
  assert.equal(stats.c[C_MISMATCHES], 0);
  assert.equal(stats.c[C_UNDETECTED], 0);
});

test('V3 verification catches a wrong blkno echo and classifies it', () => {
  const { stats, peer, drive } = setup(3, [100_000], { verifyChecksum: false, oracle: true });
  drive(1000);
  peer.corruptBlknoAt = 2000;
  drive(3000);
  assert.equal(stats.c[C_MISMATCHES], 1);
  assert.equal(stats.byCode[MISMATCH_BLKNO], 1);
  // The page itself was right (stamp matches the request): nothing undetected.
  assert.equal(stats.c[C_UNDETECTED], 0);
});

test('a connection that connects while the round is connecting sends nothing until the round starts', () => {
  // Regression: the timer tick used to refill a waiting connection; its answers then
  // landed in the ring that start() cleared (reqid mismatches at 1,000 connections).
  let bytes = 0;
  const { conn, control, stats } = setup(3, [1000], { verifyChecksum: false, oracle: false, phase: PHASE_CONNECT });
  conn.writeOut = (_b, s, e) => (bytes += e - s);
  bytes = 0;
  conn.tick(1e9); // a tick long after: neither requests nor a timeout
  assert.equal(bytes, 0);
  assert.equal(conn.core.ring.inFlight, 0);
  Atomics.store(control, PHASE, PHASE_MEASURE);
  conn.startIfWaiting();
  assert.equal(bytes, 32 * 47);
  assert.equal(stats.c[C_REQUESTS], 32);
  void PHASE_WARMUP;
});
