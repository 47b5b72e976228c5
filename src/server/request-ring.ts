/**
 * A connection's queue of page-stream requests, struct-of-arrays: one typed
 * array per field, indexed by `seq & RING_MASK`, u64 fields as hi/lo u32
 * halves (a BigInt read allocates). Allocated when a page stream starts, so an
 * idle or handshaking connection costs a few hundred bytes.
 *
 * Capacity: the socket is paused at PAUSE_AT queued requests, but the read
 * already in hand is parsed whole — a 64 KiB read holds up to 1,680 V2
 * GetPage frames — so RING must exceed PAUSE_AT + 1,680.
 */
export const RING = 2048;
export const RING_MASK = RING - 1;
/** Stop reading a connection's socket while this many requests wait. */
export const PAUSE_AT = 256;

export class RequestRing {
  /** Request tag 0..4, or a control entry (>= 250). */
  readonly tag = new Uint8Array(RING);
  readonly reqidHi = new Uint32Array(RING);
  readonly reqidLo = new Uint32Array(RING);
  readonly lsnHi = new Uint32Array(RING);
  readonly lsnLo = new Uint32Array(RING);
  readonly nmsHi = new Uint32Array(RING);
  readonly nmsLo = new Uint32Array(RING);
  readonly spc = new Uint32Array(RING);
  /** dbnode (also DbSize's). */
  readonly db = new Uint32Array(RING);
  readonly rel = new Uint32Array(RING);
  /** forknum (also the SLRU kind). */
  readonly fork = new Uint8Array(RING);
  /** blkno (also the SLRU segno). */
  readonly blk = new Uint32Array(RING);
  /** When the response may leave (performance.now() ms). */
  readonly due = new Float64Array(RING);
  /** Outcome decided at parse time (ok, or which error). */
  readonly status = new Uint8Array(RING);
  /** Sequence numbers: entries [head, tail) are queued. */
  head = 0;
  tail = 0;

  get queued(): number {
    return this.tail - this.head;
  }
}
