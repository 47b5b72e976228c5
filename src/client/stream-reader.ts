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

  constructor(arena: ReadArena, handler: StreamFrameHandler) {
    this.arena = arena.bytes;
    this.pendAbs = arena.claimPending();
    this.pendCap = arena.pendingSize;
    this.pend = Buffer.from(arena.bytes.buffer, this.pendAbs, this.pendCap);
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
      const buf = this.big ?? this.pend;
      this.pendLen = 0;
      this.big = null;
      this.handler.onFrame(buf[0]!, buf, 5, total - 5);
    }
    while (end - p >= 5) {
      const total = this.lengthOf(chunk, p);
      if (end - p < total) break;
      this.handler.onFrame(chunk[p]!, chunk, p + 5, total - 5);
      p += total;
    }
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
