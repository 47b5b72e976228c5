/**
 * The page-stream frame splitter of the hot path: hands out each CopyData
 * frame in place, and keeps a frame that straddles two reads in this
 * connection's pending region — WITHOUT allocating.
 *
 * Why not the protocol layer's FrameReader here: it stashes a straddling
 * frame with Buffer.copy, which in Node 20 allocates a Uint8Array view for
 * every partial copy (~100 GC events per million copies, measured), and
 * with 8 KiB responses nearly every socket read ends inside a frame. Here the
 * worker's read buffer and every connection's pending region are views of ONE
 * ArrayBuffer (ReadArena), so the stash is a native, allocation-free
 * `copyWithin`. FrameReader still runs the (cold) handshake.
 */
import { ProtocolError } from '../protocol/errors.js';

/** Largest frame the page stream may carry here (a V3 GetPage is 8239 bytes). */
export const STREAM_MAX_FRAME = 1 << 20;

/** One ArrayBuffer per worker: [read region | pending region of connection 0 | 1 | …]. */
export class ReadArena {
  readonly bytes: Uint8Array;
  /** Where socket reads land (passed to net.connect({ onread: { buffer } })). */
  readonly read: Buffer;
  readonly pendingSize: number;
  private next: number;

  constructor(readSize: number, connections: number, pendingSize = 16384) {
    this.pendingSize = pendingSize;
    this.bytes = new Uint8Array(new ArrayBuffer(readSize + connections * pendingSize));
    this.read = Buffer.from(this.bytes.buffer, 0, readSize);
    this.next = readSize;
  }

  /** Claim the pending region of one more connection (absolute offset in `bytes`). */
  claimPending(): number {
    if (this.next + this.pendingSize > this.bytes.length) throw new Error('ReadArena: more connections than regions');
    const off = this.next;
    this.next += this.pendingSize;
    return off;
  }
}

export interface StreamFrameHandler {
  onFrame(type: number, buf: Buffer, off: number, len: number): void;
}

export class StreamFrameReader {
  private readonly arena: Uint8Array;
  private readonly pendAbs: number;
  private readonly pendCap: number;
  /** A Buffer view of this connection's pending region, made once. */
  private readonly pend: Buffer;
  private pendLen = 0;
  /** A frame larger than the pending region (never a GetPage): rare, cold, allocated. */
  private big: Buffer | null = null;
  private readonly handler: StreamFrameHandler;
  /**
   * ONE Buffer over the whole arena (read region and every pending region).
   * Frames are handed to the handler as (all, absolute offset) whether they
   * lie in the read region or were stashed: the verifier's DataView cache
   * (protocol/view.ts) then always hits on buffer identity, where alternating
   * between the read Buffer and the pending Buffer cost a miss — two slow
   * `buffer`/`byteOffset` getter calls — on every straddling frame.
   */
  private readonly all: Buffer;
  /** The arena's read region (where socket reads land): offset 0 of `all`. */
  private readonly readBuf: Buffer;
  private readonly ab: ArrayBufferLike;

  constructor(arena: ReadArena, handler: StreamFrameHandler) {
    this.arena = arena.bytes;
    this.pendAbs = arena.claimPending();
    this.pendCap = arena.pendingSize;
    this.pend = Buffer.from(arena.bytes.buffer, this.pendAbs, this.pendCap);
    this.all = Buffer.from(arena.bytes.buffer, arena.bytes.byteOffset, arena.bytes.byteLength);
    this.readBuf = arena.read;
    this.ab = arena.bytes.buffer;
    this.handler = handler;
  }

  reset(): void {
    this.pendLen = 0;
    this.big = null;
  }

  /** Copy chunk[p, p+n) to the end of the pending frame. */
  private stash(chunk: Buffer, p: number, n: number): void {
    if (this.big !== null) {
      chunk.copy(this.big, this.pendLen, p, p + n);
    } else if (chunk.buffer === this.arena.buffer) {
      const from = chunk.byteOffset - this.arena.byteOffset + p;
      this.arena.copyWithin(this.pendAbs + this.pendLen, from, from + n);
    } else {
      // A chunk from elsewhere (not the worker's read region): correct, not the hot path.
      chunk.copy(this.pend, this.pendLen, p, p + n);
    }
    this.pendLen += n;
  }

  private lengthOf(buf: Buffer, at: number): number {
    const len = buf.readInt32BE(at + 1);
    if (len < 4 || len > STREAM_MAX_FRAME) throw new ProtocolError('ERR_BAD_LENGTH', `page-stream frame length ${len} out of range 4..${STREAM_MAX_FRAME}`);
    return len + 1;
  }

  push(chunk: Buffer, start: number, end: number): void {
    let p = start;
    if (this.pendLen > 0) {
      if (this.pendLen < 5) {
        const take = Math.min(5 - this.pendLen, end - p);
        this.stash(chunk, p, take);
        p += take;
        if (this.pendLen < 5) return;
      }
      const total = this.lengthOf(this.pend, 0);
      if (total > this.pendCap && this.big === null) {
        this.big = Buffer.allocUnsafe(total);
        this.pend.copy(this.big, 0, 0, this.pendLen);
      }
      const take = Math.min(total - this.pendLen, end - p);
      this.stash(chunk, p, take);
      p += take;
      if (this.pendLen < total) return;
      const big = this.big;
      this.pendLen = 0;
      this.big = null;
      if (big !== null) this.handler.onFrame(big[0]!, big, 5, total - 5);
      else this.handler.onFrame(this.pend[0]!, this.all, this.pendAbs + 5, total - 5);
    }
    // Address the chunk through `all` when it lies in the arena (always, on the socket path).
    let buf = chunk;
    let base = 0;
    if (chunk === this.readBuf) {
      buf = this.all;
    } else if (chunk.buffer === this.ab) {
      buf = this.all;
      base = chunk.byteOffset - this.arena.byteOffset;
    }
    let q = base + p;
    const qend = base + end;
    while (qend - q >= 5) {
      const total = this.lengthOf(buf, q);
      if (qend - q < total) break;
      this.handler.onFrame(buf[q]!, buf, q + 5, total - 5);
      q += total;
    }
    p = q - base;
    if (p < end) {
      const n = end - p;
      if (n > this.pendCap) {
        // Only possible for a frame larger than the region.
        this.big = Buffer.allocUnsafe(this.lengthOf(chunk, p));
      }
      this.stash(chunk, p, n);
    }
  }
}
