/**
 * Incremental reader of PostgreSQL wire frames that survives any chunking.
 *
 * It is fed whatever the socket delivered (often a reused read buffer) and calls
 * `handler.onFrame(type, buf, off, len)` for each complete message, with `buf`
 * pointing either into the chunk itself (no copy) or, only when a frame straddles
 * two reads, into the reader's own pending buffer. `len` is the body length
 * (the frame's length field minus 4). The view is valid only during the call.
 *
 * Startup-phase packets have no type byte; while `untyped` is set the next frame
 * is read as `len i32 | body` and reported with type 0.
 *
 * Memory is bounded: a length field above `maxFrameLength` is rejected before
 * anything is buffered, and the pending buffer grows only with bytes actually
 * received, so a claimed 1 GiB frame followed by silence costs nothing.
 */
import { ProtocolError } from './errors.js';

export interface FrameHandler {
  onFrame(type: number, buf: Buffer, off: number, len: number): void;
}

export interface FrameReaderOptions {
  /** Largest accepted frame length field (bytes, includes the 4-byte length). Default 1 GiB, PostgreSQL's limit. */
  maxFrameLength?: number;
  /** Start in the untyped startup phase (a server reading a StartupMessage). */
  untyped?: boolean;
  /** Initial size of the buffer used for frames that straddle reads. */
  initialPending?: number;
}

export const MAX_FRAME_LENGTH = 0x4000_0000;

export class FrameReader {
  /** While true, the next frame has no type byte (startup phase). */
  untyped: boolean;
  private readonly handler: FrameHandler;
  private readonly maxLen: number;
  private pending: Buffer;
  private pendingLen = 0;
  /**
   * Total bytes consumed so far (for error positions), kept in a Float64Array
   * slot: a plain number field passes 2^30 after 1 GiB of stream, and from then
   * on V8 may box every update in a new heap number — an allocation per frame.
   */
  private readonly consumedSlot = new Float64Array(1);

  constructor(handler: FrameHandler, opts: FrameReaderOptions = {}) {
    this.handler = handler;
    this.maxLen = opts.maxFrameLength ?? MAX_FRAME_LENGTH;
    this.untyped = opts.untyped ?? false;
    this.pending = Buffer.allocUnsafe(opts.initialPending ?? 16384);
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLen;
  }

  /** Total bytes fed so far. */
  get position(): number {
    return this.consumedSlot[0]! + this.pendingLen;
  }

  reset(untyped = false): void {
    this.pendingLen = 0;
    this.consumedSlot[0] = 0;
    this.untyped = untyped;
  }

  /** Feed bytes chunk[start, end). Throws ProtocolError on a malformed frame header. */
  push(chunk: Buffer, start: number, end: number): void {
    let p = start;
    if (this.pendingLen > 0) {
      p = this.completePending(chunk, p, end);
      if (p < 0) return; // still incomplete; everything was absorbed
    }
    // Fast path: frames entirely inside the chunk are handed out in place.
    for (;;) {
      const hdr = this.untyped ? 4 : 5;
      if (end - p < hdr) break;
      const lenField = chunk.readInt32BE(this.untyped ? p : p + 1);
      this.checkLength(lenField);
      const total = hdr - 4 + lenField;
      if (end - p < total) break;
      const type = this.untyped ? 0 : chunk[p]!;
      const bodyOff = p + hdr;
      this.consumedSlot[0] += total;
      p += total;
      this.deliver(type, chunk, bodyOff, lenField - 4);
    }
    if (p < end) this.stash(chunk, p, end);
  }

  private deliver(type: number, buf: Buffer, off: number, len: number): void {
    // A startup packet ends the untyped phase unless the handler re-arms it
    // (it does so after an SSLRequest/GSSENCRequest, which the client follows
    // with another untyped packet).
    if (this.untyped) this.untyped = false;
    this.handler.onFrame(type, buf, off, len);
  }

  /**
   * The frame being checked always starts at stream position `consumedSlot[0]`:
   * every frame before it, in this chunk or earlier ones, has been counted.
   */
  private checkLength(lenField: number): void {
    if (lenField < 4 || lenField > this.maxLen) {
      throw new ProtocolError('ERR_BAD_LENGTH', `frame length ${lenField} out of range 4..${this.maxLen}`, this.consumedSlot[0]);
    }
  }

  private stash(chunk: Buffer, p: number, end: number): void {
    const n = end - p;
    this.ensurePending(this.pendingLen + n);
    chunk.copy(this.pending, this.pendingLen, p, end);
    this.pendingLen += n;
  }

  private ensurePending(need: number): void {
    if (need <= this.pending.length) return;
    let size = this.pending.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.pending.copy(next, 0, 0, this.pendingLen);
    this.pending = next;
  }

  /**
   * Complete the straddling frame held in `pending` from chunk[p, end).
   * Returns the chunk offset after the completed frame, or -1 if the chunk was
   * absorbed without completing it.
   */
  private completePending(chunk: Buffer, p: number, end: number): number {
    const hdr = this.untyped ? 4 : 5;
    if (this.pendingLen < hdr) {
      const take = Math.min(hdr - this.pendingLen, end - p);
      this.stash(chunk, p, p + take);
      p += take;
      if (this.pendingLen < hdr) return -1;
    }
    const lenField = this.pending.readInt32BE(this.untyped ? 0 : 1);
    this.checkLength(lenField);
    const total = hdr - 4 + lenField;
    const take = Math.min(total - this.pendingLen, end - p);
    this.stash(chunk, p, p + take);
    p += take;
    if (this.pendingLen < total) return -1;
    const type = this.untyped ? 0 : this.pending[0]!;
    this.pendingLen = 0;
    this.consumedSlot[0] += total;
    this.deliver(type, this.pending, hdr, lenField - 4);
    return p;
  }
}
