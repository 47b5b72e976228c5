/**
 * The in-flight ring of one connection: a preallocated power-of-two ring of
 * slots stored in typed arrays. Responses arrive in request order, so
 * the oldest outstanding request is always at `head & mask`; a new request
 * goes to `tail & mask`. No Map keyed by reqid, no object per request.
 *
 * The request rows are the protocol layer's GetPageRequestTable (what the
 * verifier compares against); the ring adds the relation index (which target
 * relation the slot reads), the send batch time and, open loop, the intended
 * send time, both in performance.now() milliseconds of this thread.
 */
import { GetPageRequestTable, RowField } from '../protocol/getpage.js';

export class InFlightRing {
  readonly req: GetPageRequestTable;
  readonly mask: number;
  readonly capacity: number;
  readonly relIndex: Uint32Array;
  /** Time of the write batch that carried the request (ms, performance.now()). */
  readonly sendTime: Float64Array;
  /** Open loop: when the schedule said the request should have been sent (ms). */
  readonly intendedTime: Float64Array;
  /** Sequence numbers; slot = seq & mask. head = oldest outstanding, tail = next free. */
  head = 0;
  tail = 0;

  constructor(minCapacity: number) {
    this.req = new GetPageRequestTable(minCapacity);
    this.capacity = this.req.capacity;
    this.mask = this.req.mask;
    this.relIndex = new Uint32Array(this.capacity);
    this.sendTime = new Float64Array(this.capacity);
    this.intendedTime = new Float64Array(this.capacity);
  }

  /**
   * Fill the per-connection constant fields (reqid_hi, request_lsn,
   * not_modified_since) of every row once: requests then write only their
   * changing columns, and the verifier still compares all eight echo fields
   * against the row.
   */
  fillConstants(reqidHi: number, lsnHi: number, lsnLo: number, nmsHi: number, nmsLo: number): void {
    const t = this.req;
    for (let i = 0; i < t.capacity; i++) {
      t.set(i, RowField.reqidHi, reqidHi);
      t.set(i, RowField.lsnHi, lsnHi);
      t.set(i, RowField.lsnLo, lsnLo);
      t.set(i, RowField.nmsHi, nmsHi);
      t.set(i, RowField.nmsLo, nmsLo);
    }
  }

  get inFlight(): number {
    return this.tail - this.head;
  }

  /** Forget everything outstanding (the connection was dropped). */
  clear(): void {
    this.head = 0;
    this.tail = 0;
  }
}
