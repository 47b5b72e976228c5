/**
 * An in-memory page-stream peer for driving PageStreamConnection's real
 * receive path without a socket and without allocating: it turns each
 * request frame the connection flushes into the matching response frame of
 * a pre-filled response stream (echo and identity stamp copied byte by byte),
 * and hands the stream back in fixed-size chunks that split frames at
 * arbitrary points, as TCP does. The stream lives in the worker's read region
 * (ReadArena.read), where socket reads land in production.
 *
 * The response stream is a cycle of `depth` frames (depth = pipeline): the
 * request for cycle c+1 of slot j is only sent after response (c, j) was
 * consumed, so patching a slot never overwrites bytes still to be read.
 */
import { buildPage, IDENTITY_STAMP_OFFSET } from '../../../src/protocol/page.js';

export class LoopbackStream {
  readonly chunks: Buffer[] = [];
  readonly chunkLen: number[] = [];
  private readonly frameLen: number;
  private readonly depth: number;
  private readonly chunkSize: number;
  private readonly version: 2 | 3;
  private readonly region: Buffer;
  private requests = 0;
  private nextChunk = 0;
  /** Force the next patched response to carry this blkno instead (fault injection); -1 = off. */
  corruptBlknoAt = -1;

  /** Bytes needed in the read region for a cycle of `depth` frames. */
  static bytes(version: 2 | 3, depth: number): number {
    return (version === 3 ? 8239 : 8198) * depth;
  }

  constructor(version: 2 | 3, depth: number, chunkSize: number, page: { spcnode: number; dbnode: number; relnode: number; forknum: number; blkno: number }, region: Buffer) {
    this.version = version;
    this.region = region;
    this.depth = depth;
    this.chunkSize = chunkSize;
    this.frameLen = version === 3 ? 8239 : 8198;
    const total = this.frameLen * depth;
    const template = Buffer.alloc(total);
    const pageOff = version === 3 ? 47 : 6;
    for (let j = 0; j < depth; j++) {
      const f = j * this.frameLen;
      template[f] = 0x64;
      template.writeInt32BE(this.frameLen - 1, f + 1);
      template[f + 5] = 102;
      buildPage(template, f + pageOff, { ...page, lsnHi: 0, lsnLo: 0x1000 });
    }
    template.copy(region, 0, 0, total);
    for (let off = 0; off < total; off += chunkSize) {
      const n = Math.min(chunkSize, total - off);
      this.chunks.push(region.subarray(off, off + n));
      this.chunkLen.push(n);
    }
  }

  private put(pos: number, v: number): void {
    this.region[pos] = v;
  }

  /** The connection's flush: request frames buf[start, end). */
  readonly sink = (buf: Buffer, start: number, end: number): void => {
    const reqLen = this.version === 3 ? 47 : 39;
    for (let p = start; p < end; p += reqLen) {
      const slot = this.requests % this.depth;
      this.requests++;
      const f = slot * this.frameLen;
      if (this.version === 3) {
        // Echo: request bytes [6, 47) (reqid .. blkno) land at the same frame offsets of the response.
        for (let k = 6; k < 47; k++) this.put(f + k, buf[p + k]!);
        // Identity stamp (spc, db, rel, fork, blkno = request bytes [30, 47)).
        const st = f + 47 + IDENTITY_STAMP_OFFSET;
        for (let k = 0; k < 17; k++) this.put(st + k, buf[p + 30 + k]!);
        if (this.corruptBlknoAt === this.requests - 1) this.put(f + 46, buf[p + 46]! ^ 1);
      }
    }
  };

  /** Next chunk to feed, and its length. */
  nextChunkIndex(): number {
    const c = this.nextChunk;
    this.nextChunk = c + 1 === this.chunks.length ? 0 : c + 1;
    return c;
  }
}
