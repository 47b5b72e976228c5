/**
 * Cached DataViews for the hot path.
 *
 * A DataView reads a big- or little-endian 32-bit word with one load (and a
 * byte swap), where byte arithmetic needs four loads. But creating a view
 * allocates, and even reading `buf.buffer` / `buf.byteOffset` costs more than
 * the whole compare. So each hot module keeps one cache: the last Buffer seen
 * (hit = one identity compare) and, behind it, the DataViews of the last two
 * ArrayBuffers (a reader alternating between its socket buffer and its
 * straddle buffer, or slices of one pool, never allocate). A new ArrayBuffer
 * costs one DataView: once per socket read, never per frame.
 */
const EMPTY = new DataView(new ArrayBuffer(0));

export class DataViewCache {
  /** The view selected by the last `select` (valid until the next call). */
  dv: DataView = EMPTY;
  /** Byte offset of the selected Buffer inside `dv`: read buf[i] as dv at base + i. */
  base = 0;
  private buf: Uint8Array | null = null;
  private ab0: ArrayBufferLike | null = null;
  private dv0: DataView = EMPTY;
  private ab1: ArrayBufferLike | null = null;
  private dv1: DataView = EMPTY;

  /** Make `dv`/`base` address `buf`. */
  select(buf: Uint8Array): DataView {
    if (buf !== this.buf) this.miss(buf);
    return this.dv;
  }

  private miss(buf: Uint8Array): void {
    const ab = buf.buffer;
    if (ab !== this.ab0) {
      if (ab === this.ab1) {
        const d = this.dv1;
        this.ab1 = this.ab0;
        this.dv1 = this.dv0;
        this.ab0 = ab;
        this.dv0 = d;
      } else {
        this.ab1 = this.ab0;
        this.dv1 = this.dv0;
        this.ab0 = ab;
        this.dv0 = new DataView(ab);
      }
    }
    this.buf = buf;
    this.dv = this.dv0;
    this.base = buf.byteOffset;
  }
}
