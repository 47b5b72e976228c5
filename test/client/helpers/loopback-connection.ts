/**
 * One V3 PageStreamConnection wired to an in-memory LoopbackStream peer that
 * answers exactly the requests it was sent, one whole response frame per
 * chunk unless `chunkBytes` says otherwise (slices.test.ts,
 * measure-start.test.ts, refill-defer.test.ts). `answer(n)` feeds the next n
 * chunks; `sent` counts the requests written, `writes` the requests of each write.
 */
import { PageStreamConnection } from '../../../src/client/connection.js';
import { BlockChooser, makeKeySpace } from '../../../src/client/keys.js';
import type { ShardStats } from '../../../src/client/shard-stats.js';
import { MODE_V3, ON_MISMATCH_COUNT } from '../../../src/client/stream-core.js';
import type { StreamSpec } from '../../../src/client/stream-core.js';
import { ReadArena } from '../../../src/client/stream-reader.js';
import { LoopbackStream } from './loopback-stream.js';

/** A V3 GetPage response frame: 'd' + int32 length + 8234 bytes of payload (protocol.md §3). */
export const RESPONSE_FRAME = 8239;
/** A V3 GetPage request frame: 'd' + int32 length + 42 bytes (protocol.md §2). */
export const REQUEST_FRAME = 47;

export interface LoopbackConnection {
  conn: PageStreamConnection;
  peer: LoopbackStream;
  /** Requests written by the connection so far. */
  readonly sent: number;
  /** Requests in each write, in order. */
  readonly writes: number[];
  /** Feed the next n chunks (one response each by default), one read each, `stepMs` (0.05 ms) apart. */
  answer(n: number, stepMs?: number): void;
  /** The test's clock (ms): advance it for ticks and resumes. */
  now: number;
}

export interface LoopbackOptions {
  /** Bytes per read (default: one response frame). */
  chunkBytes?: number;
  /** StreamSpec.refillDeferMs (default 0: refill after every read). */
  refillDeferMs?: number;
  /** StreamSpec.rateRps (default 0: closed loop). */
  rateRps?: number;
}

export function loopbackConnection(depth: number, control: Int32Array, stats: ShardStats, variantIndex = 0, opts: LoopbackOptions = {}): LoopbackConnection {
  const spec: StreamSpec = {
    mode: MODE_V3, pipeline: depth, verifyChecksum: false, oracle: false, onMismatch: ON_MISMATCH_COUNT,
    rels: { spcnode: Uint32Array.of(1663), dbnode: Uint32Array.of(16384), relnode: Uint32Array.of(16385), forknum: Uint8Array.of(0) },
    lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x08f3c1a8, rateRps: opts.rateRps ?? 0, reqidHi: 9,
    refillDeferMs: opts.refillDeferMs ?? 0,
  };
  const chooser = new BlockChooser(makeKeySpace([1000]), { kind: 'uniform', s: 0 }, 1, 3, 0, 1);
  const arena = new ReadArena(LoopbackStream.bytes(3, depth), 1);
  const conn = new PageStreamConnection(
    { host: '127.0.0.1', port: 1, user: 'u', database: 'd', tenant: 't', timeline: 'l' },
    spec, chooser, stats, arena, control, 60_000, { onFirstReady() {} }, variantIndex,
  );
  const peer = new LoopbackStream(3, depth, opts.chunkBytes ?? RESPONSE_FRAME, { spcnode: 1663, dbnode: 16384, relnode: 16385, forknum: 0, blkno: 0 }, arena.read);
  const lc: LoopbackConnection = {
    conn, peer, sent: 0, writes: [], now: 1000,
    answer(n: number, stepMs = 0.05): void {
      for (let k = 0; k < n; k++) {
        const c = peer.nextChunkIndex();
        conn.feed(peer.chunks[c]!, peer.chunkLen[c]!, (lc.now += stepMs));
      }
    },
  };
  conn.writeOut = (buf, start, end) => {
    (lc as { sent: number }).sent += (end - start) / REQUEST_FRAME;
    lc.writes.push((end - start) / REQUEST_FRAME);
    peer.sink(buf, start, end);
  };
  conn.flush = (buf, start, end) => {
    conn.writeOut(buf, start, end);
    return true;
  };
  return lc;
}
