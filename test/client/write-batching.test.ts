/**
 * Write batching of the hot loop: one socket write per socket read at most —
 * the write arena wraps only between batches, so a batch of refills never
 * splits into two writes at the arena's end — and every request frame written
 * is whole and well-formed (the template slots hold the constants).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageStreamConnection } from '../../src/client/connection.js';
import { createControl, PHASE, PHASE_MEASURE } from '../../src/client/control.js';
import { BlockChooser, makeKeySpace } from '../../src/client/keys.js';
import { C_MISMATCHES, C_READS, C_RESPONSES, C_WRITES, ShardStats } from '../../src/client/shard-stats.js';
import { MODE_V2, MODE_V3, ON_MISMATCH_COUNT } from '../../src/client/stream-core.js';
import type { StreamSpec } from '../../src/client/stream-core.js';
import { ReadArena } from '../../src/client/stream-reader.js';
import { LoopbackStream } from './helpers/loopback-stream.js';

for (const [version, depth, chunk, drained, refillDeferMs] of [
  [3, 32, 37_000, true, 0], [3, 32, 270_000, true, 0], [2, 32, 120_000, true, 0], [3, 5, 20_000, true, 0],
  // The kernel did not take a batch at once (Node keeps it queued): the arena must not restart at 0.
  [3, 32, 37_000, false, 0], [2, 32, 120_000, false, 0], [3, 5, 20_000, false, 0],
  // Refills held to the end of each burst (as run does by default): batches of up to a whole pipeline.
  [3, 32, 37_000, true, 0.2], [3, 32, 37_000, false, 0.2], [2, 5, 20_000, false, 0.2],
] as const) {
  test(`V${version}, ${depth} in flight, ${chunk}-byte reads, writes ${drained ? 'drained' : 'left queued'}${refillDeferMs > 0 ? ', refills held per burst' : ''}: at most one write per read, whole frames`, () => {
    const control = new Int32Array(createControl(1));
    Atomics.store(control, PHASE, PHASE_MEASURE);
    const stats = new ShardStats();
    const spec: StreamSpec = {
      mode: version === 3 ? MODE_V3 : MODE_V2, pipeline: depth, verifyChecksum: false, oracle: false, onMismatch: ON_MISMATCH_COUNT,
      rels: { spcnode: Uint32Array.of(1663), dbnode: Uint32Array.of(16384), relnode: Uint32Array.of(16385), forknum: Uint8Array.of(0) },
      lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x08f3c1a8, rateRps: 0, reqidHi: 77, refillDeferMs,
    };
    const chooser = new BlockChooser(makeKeySpace([50_000]), { kind: 'uniform', s: 0 }, 1, 7, 0, 1);
    const arena = new ReadArena(LoopbackStream.bytes(version, depth), 1);
    const conn = new PageStreamConnection(
      { host: '127.0.0.1', port: 1, user: 'u', database: 'd', tenant: 't', timeline: 'l' },
      spec, chooser, stats, arena, control, 60_000, { onFirstReady() {} },
    );
    const peer = new LoopbackStream(version, depth, chunk, { spcnode: 1663, dbnode: 16384, relnode: 16385, forknum: 0, blkno: 0 }, arena.read);
    const size = version === 3 ? 47 : 39;
    let writesThisRead = 0;
    let maxWritesPerRead = 0;
    let bad = 0;
    conn.writeOut = (buf, start, end) => {
      writesThisRead++;
      if ((end - start) % size !== 0) bad++;
      for (let p = start; p < end; p += size) {
        // 'd', length, GetPage tag, and (V3) reqid_hi / request_lsn from the template.
        if (buf[p] !== 0x64 || buf.readInt32BE(p + 1) !== size - 1 || buf[p + 5] !== 2) bad++;
        if (version === 3 && (buf.readUInt32BE(p + 6) !== 77 || buf.readUInt32BE(p + 14) !== 0xffffffff)) bad++;
        if (buf.readUInt32BE(p + size - 4) >= 50_000) bad++; // blkno inside the relation
      }
      peer.sink(buf, start, end);
    };
    let starts0 = 0;
    let flushes = 0;
    const writeOut = conn.writeOut;
    conn.writeOut = (buf, start, end) => {
      flushes++;
      if (start === 0) starts0++;
      writeOut(buf, start, end);
    };
    // What the socket would answer: nothing left queued, or something still queued.
    conn.flush = (buf: Buffer, start: number, end: number): boolean => {
      conn.writeOut(buf, start, end);
      return drained;
    };
    conn.enterStream();
    let now = 1000;
    for (let n = 0; n < 20_000; n++) {
      const c = peer.nextChunkIndex();
      writesThisRead = 0;
      conn.feed(peer.chunks[c]!, peer.chunkLen[c]!, (now += 0.01));
      maxWritesPerRead = Math.max(maxWritesPerRead, writesThisRead);
    }
    assert.ok(stats.c[C_RESPONSES]! > 20_000, 'responses flowed');
    assert.equal(stats.c[C_MISMATCHES], 0, 'every response answered its request (echo verified)');
    assert.equal(bad, 0, 'malformed request frames');
    assert.equal(maxWritesPerRead, 1);
    assert.ok(stats.c[C_WRITES]! <= stats.c[C_READS]! + 1, `writes ${stats.c[C_WRITES]} > reads ${stats.c[C_READS]} + the first fill`);
    // Drained: every batch starts at offset 0 (the cached-view path). Queued:
    // batches go on back to back and start at 0 only after a wrap.
    if (drained) assert.equal(starts0, flushes);
    // (Whole-pipeline batches, refills held per burst: two fit before the wrap, so every second starts at 0.)
    else assert.ok(starts0 <= flushes / (refillDeferMs > 0 ? 2 : 4) + 1, `${starts0} of ${flushes} batches started at 0 while writes were queued`);
    // Latency runs are flushed at the end of every read: nothing measured is missing.
    assert.equal(stats.interval.totalCount, stats.c[C_RESPONSES]);
  });
}
