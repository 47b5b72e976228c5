/**
 * One V3 PageStreamConnection wired to an in-memory LoopbackStream peer that
 * answers exactly the requests it was sent, one whole response frame per
 * chunk (slices.test.ts, measure-start.test.ts). `answer(n)` feeds the next n
 * responses; `sent` counts the requests written.
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
  /** Feed the next n responses, one read each, 0.05 ms apart. */
  answer(n: number): void;
  /** The test's clock (ms): advance it for ticks and resumes. */
  now: number;
}

export function loopbackConnection(depth: number, control: Int32Array, stats: ShardStats, variantIndex = 0): LoopbackConnection {
  const spec: StreamSpec = {
    mode: MODE_V3, pipeline: depth, verifyChecksum: false, oracle: false, onMismatch: ON_MISMATCH_COUNT,
    rels: { spcnode: Uint32Array.of(1663), dbnode: Uint32Array.of(16384), relnode: Uint32Array.of(16385), forknum: Uint8Array.of(0) },
    lsnHi: 0xffffffff, lsnLo: 0xffffffff, nmsHi: 0, nmsLo: 0x08f3c1a8, rateRps: 0, reqidHi: 9,
  };
  const chooser = new BlockChooser(makeKeySpace([1000]), { kind: 'uniform', s: 0 }, 1, 3, 0, 1);
  const arena = new ReadArena(LoopbackStream.bytes(3, depth), 1);
  const conn = new PageStreamConnection(
    { host: '127.0.0.1', port: 1, user: 'u', database: 'd', tenant: 't', timeline: 'l' },
    spec, chooser, stats, arena, control, 60_000, { onFirstReady() {} }, variantIndex,
  );
  const peer = new LoopbackStream(3, depth, RESPONSE_FRAME, { spcnode: 1663, dbnode: 16384, relnode: 16385, forknum: 0, blkno: 0 }, arena.read);
  const lc: LoopbackConnection = {
    conn, peer, sent: 0, now: 1000,
    answer(n: number): void {
      for (let k = 0; k < n; k++) {
        const c = peer.nextChunkIndex();
        conn.feed(peer.chunks[c]!, peer.chunkLen[c]!, (lc.now += 0.05));
      }
    },
  };
  conn.writeOut = (buf, start, end) => {
    (lc as { sent: number }).sent += (end - start) / REQUEST_FRAME;
    peer.sink(buf, start, end);
  };
  conn.flush = (buf, start, end) => {
    conn.writeOut(buf, start, end);
    return true;
  };
  return lc;
}
