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
  /**
   * One Buffer over the whole arena, shared by every connection's reader:
   * frames go to the handlers as (all, absolute offset), so the verifier's
   * DataView cache sees one Buffer identity for the whole worker. One per
   * connection made the cache miss — two slow `buffer`/`byteOffset` getter
   * calls — whenever reads of different connections alternated.
   */
  readonly all: Buffer;
  readonly pendingSize: number;
  private next: number;

  constructor(readSize: number, connections: number, pendingSize = 16384) {
    this.pendingSize = pendingSize;
    this.bytes = new Uint8Array(new ArrayBuffer(readSize + connections * pendingSize));
    this.read = Buffer.from(this.bytes.buffer, 0, readSize);
    this.all = Buffer.from(this.bytes.buffer, 0, this.bytes.byteLength);
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

/**
 * Frame bytes of a GetPage response a head-only reader keeps: the CopyData
 * envelope (5), the tag and the V3 echo (1 + 41) — all the verifier reads.
 */
export const GETPAGE_HEAD_BYTES = 47;
/** Page-stream tag of a GetPage response (protocol.md §3). */
const TAG_GETPAGE_RESPONSE = 102;

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
   * Head-only: of a GetPage response that straddles reads, keep only the first
   * GETPAGE_HEAD_BYTES and skip its page. With 8 KiB responses nearly every
   * read ends inside one, and copying the rest of it (~4 KiB on average, one
   * frame in ~11 at 90 KiB reads) was the largest single item of the client's
   * user time after the verifier was made cheap. Only for a handler that never
   * reads the page of a GetPage response (no --verify-checksum, no oracle):
   * the frame is then handed over with its full length, but bytes past the
   * head are not its own. Every other frame (Error, anything unexpected) is
   * kept whole.
   */
  private readonly headOnly: boolean;
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

  constructor(arena: ReadArena, handler: StreamFrameHandler, headOnly = false) {
    this.headOnly = headOnly;
    this.arena = arena.bytes;
    this.pendAbs = arena.claimPending();
    this.pendCap = arena.pendingSize;
    this.pend = Buffer.from(arena.bytes.buffer, this.pendAbs, this.pendCap);
    this.all = arena.all;
    this.readBuf = arena.read;
    this.ab = arena.bytes.buffer;
    this.handler = handler;
  }

  /** The last chunk ended inside a frame: the rest of that frame is still to come. */
  get partial(): boolean {
    return this.pendLen > 0;
  }

  reset(): void {
    this.pendLen = 0;
    this.big = null;
  }

  /**
   * Append chunk[p, p+n) to the pending frame (pendLen counts every byte of
   * it received; head-only, fewer may be stored).
   */
  private stash(chunk: Buffer, p: number, n: number): void {
    const have = this.pendLen;
    this.pendLen = have + n;
    let c = n;
    if (this.headOnly && have + n > GETPAGE_HEAD_BYTES && this.big === null) {
      // The tag (frame byte 5) is stored already, or in this piece (have + n > 5).
      const tag = have > 5 ? this.arena[this.pendAbs + 5] : chunk[p + 5 - have];
      if (tag === TAG_GETPAGE_RESPONSE) c = have >= GETPAGE_HEAD_BYTES ? 0 : GETPAGE_HEAD_BYTES - have;
    }
    if (c === 0) return;
    if (this.big !== null) {
      chunk.copy(this.big, have, p, p + c);
    } else if (chunk === this.readBuf) {
      // The socket path: the read region starts at offset 0 of the arena.
      this.arena.copyWithin(this.pendAbs + have, p, p + c);
    } else if (chunk.buffer === this.ab) {
      const from = chunk.byteOffset - this.arena.byteOffset + p;
      this.arena.copyWithin(this.pendAbs + have, from, from + c);
    } else {
      // A chunk from elsewhere (not the worker's read region): correct, not the hot path.
      chunk.copy(this.pend, have, p, p + c);
    }
  }

  private lengthOf(buf: Buffer, at: number): number {
    // Element loads, not buf.readInt32BE: a method looked up on Buffer.prototype
    // from optimized code went through a generic LoadIC call per frame (perf,
    // eighth session); four byte loads inline.
    const len = (buf[at + 1]! << 24) | (buf[at + 2]! << 16) | (buf[at + 3]! << 8) | buf[at + 4]!;
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
      // A frame whose first piece was already longer than the pending region
      // went to `big` from its first byte: its length is there, not in `pend`.
      const total = this.lengthOf(this.big ?? this.pend, 0);
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
