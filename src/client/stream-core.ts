/**
 * The per-response hot loop of one connection, once it is in the page stream:
 *
 *   CopyData payload -> slot lookup (ring head) -> verify -> histogram record
 *   -> slot refill (choose block, fill columns) -> request encode into the
 *   preallocated write arena.
 *
 * Nothing here allocates per response (test/client/hot-loop.test.ts counts GC
 * events over > 1 M responses and asserts zero). Clocks are not read here:
 * the caller passes `now`, read once per socket read or timer tick, because in
 * Node 20 every clock call allocates a heap number.
 *
 * Write arena: requests are encoded back to back and flushed once per read
 * batch with one socket.write of a view. Node may keep a reference to a view
 * it could not write at once, so bytes must not be overwritten while they may
 * still be queued. At most `pipeline` requests are outstanding, hence at most
 * pipeline*frame unsent bytes; an arena of (2*capacity+2) frames that wraps
 * only at a flush boundary never overwrites bytes of the latest `pipeline`
 * requests. When a flush left nothing queued (the kernel took it all, the
 * usual case) the next batch starts at offset 0 again.
 *
 * Latency is recorded as runs of equal values (endBatch), closed loop.
 */
import {
  checkGetPageV3Frame, GETPAGE_REQUEST_FRAME, PAGE_OFFSET,
  RESPONSE_ERROR, VERIFY_OK, MISMATCH_TAG, verifyGetPageChecksum, verifyGetPageV2, verifyGetPageV3,
} from '../protocol/getpage.js';
import { IDENTITY_STAMP_OFFSET, verifyPageChecksum } from '../protocol/page.js';
import { InFlightRing } from './ring.js';
import { ORACLE_PAGE } from './oracle.js';
import { prefillFrames, writeGetPageV2Fields, writeGetPageV3Fields } from './request-encoder.js';
import { BlockChooser } from './keys.js';
import {
  C_ALL_RESPONSES, C_BEHIND, C_BYTES_SENT, C_WRITES, C_MISMATCHES, C_REQUESTS, C_RESPONSES, C_UNDETECTED, ShardStats,
} from './shard-stats.js';
import { HIST_HIGHEST_US, HIST_LOWEST_US } from '../stats/histogram.js';
import type { Histogram } from '../stats/histogram.js';
import { recordFast, recordFastCount } from '../stats/fast-record.js';

/** Whole microseconds clamped into the histograms' fixed bounds. */
function clampUs(us: number): number {
  return us < HIST_LOWEST_US ? HIST_LOWEST_US : us > HIST_HIGHEST_US ? HIST_HIGHEST_US : us;
}

/**
 * Record whole microseconds, clamped. The argument is an integer computed by
 * the caller: passing a double into a call that is not inlined boxes it.
 */
function recordUs(h: Histogram, us: number): void {
  recordFast(h, clampUs(us));
}

export const MODE_V2 = 0;
export const MODE_V3 = 1;
export const MODE_V3_NOVERIFY = 2;

export const ON_MISMATCH_COUNT = 0;
export const ON_MISMATCH_RECONNECT = 1;
export const ON_MISMATCH_ABORT = 2;

/** A send this much later than its intended time counts as behind schedule (open loop). */
export const BEHIND_SCHEDULE_MS = 1;

/** Target relations as columns, indexed by relation index. */
export interface RelColumns {
  spcnode: Uint32Array;
  dbnode: Uint32Array;
  relnode: Uint32Array;
  forknum: Uint8Array;
}

export interface StreamSpec {
  mode: number;
  pipeline: number;
  verifyChecksum: boolean;
  /** Emulator only: ground-truth check of each accepted page, an ORACLE_* level of oracle.ts (true = stamp only). */
  oracle: boolean | number;
  onMismatch: number;
  rels: RelColumns;
  /** request_lsn and not_modified_since as u32 halves. */
  lsnHi: number;
  lsnLo: number;
  nmsHi: number;
  nmsLo: number;
  /** Open-loop rate of this connection (requests/s); 0 = closed loop. */
  rateRps: number;
  /** Socket receive buffer to set at connect (bytes, sockopt.ts); 0 or absent = the kernel's autotuning. */
  rcvbufBytes?: number;
  /** High half of every reqid (a compute uses its pid). */
  reqidHi: number;
  /**
   * Closed loop: how long (ms) the refill of freed slots may wait while the
   * server's burst is still arriving (endRead); 0 or absent = refill as each
   * response is read, and write after every socket read. Open loop ignores it.
   */
  refillDeferMs?: number;
}

/** What the core needs from its connection (cold-path callbacks plus the flush). */
export interface CoreOwner {
  /**
   * Write buf[start, end) to the socket. True when nothing is left queued
   * (the kernel took every byte at once): the write arena can start over at 0.
   */
  flush(buf: Buffer, start: number, end: number): boolean;
  /** A mismatch (code) under --on-mismatch reconnect/abort, or an unsolicited response. */
  onMismatchAction(code: number): void;
  /** A page-stream Error response: record its class. */
  onErrorResponse(buf: Buffer, off: number, len: number): void;
}

export class PageStreamCore {
  readonly ring: InFlightRing;
  readonly stats: ShardStats;
  readonly chooser: BlockChooser;
  readonly spec: StreamSpec;
  private readonly owner: CoreOwner;
  private readonly version: 2 | 3;
  /** Bytes of one request frame (39 for V2, 47 for V3). */
  readonly frameSize: number;
  readonly wbuf: Buffer;
  /** A DataView over exactly wbuf (same offsets), made once: word stores of the changing request fields. */
  private readonly wdv: DataView;
  private wstart = 0;
  private wpos = 0;
  private reqidLo = 0;
  /**
   * [0] the batch clock (ms, performance.now() read once per socket read or
   * tick), [1] open loop: the intended time of the next send, [2] refills held
   * (endRead): the batch clock of the read that first held one, or -1. A Float64Array,
   * not number fields: a double field can end up boxed on every store, an
   * element of a Float64Array never is.
   */
  readonly clock = new Float64Array(3);
  /** Batch state set by the caller: whether we are measuring. */
  measuring = false;
  /** False after a mismatch action dropped the stream: ignore the rest of the batch. */
  live = false;
  /**
   * Batch state set by the caller: whether this connection's variant holds
   * the current time slice (run.ts). When not, refill sends nothing and the
   * requests in flight drain; responses are still verified and recorded.
   */
  issuing = true;
  /** Open loop: the interval between sends (ms). */
  private readonly intervalMs: number;
  /**
   * Closed loop: the longest hold of a refill (ms, endRead). When > 0, freed
   * slots are refilled at the end of a read, not as each response is read;
   * 0 in open loop, where the schedule decides every send.
   */
  private readonly refillDeferMs: number;
  /**
   * Closed loop: the pending run of equal latencies, [value us, count].
   * The clock is read once per socket read and the send time once per write
   * batch, so the responses of one read that answer one write batch share one
   * latency value: ~12 per read at 4 x 32. They are recorded as one
   * (value, count) — the same histogram, one bucket update instead of twelve.
   * Flushed by endBatch() at the end of every socket read, so a histogram
   * never misses a response across reads or interval rotations.
   */
  private readonly latencyRun = new Int32Array(2);

  constructor(spec: StreamSpec, stats: ShardStats, chooser: BlockChooser, owner: CoreOwner) {
    this.spec = spec;
    this.stats = stats;
    this.chooser = chooser;
    this.owner = owner;
    this.version = spec.mode === MODE_V2 ? 2 : 3;
    this.frameSize = GETPAGE_REQUEST_FRAME[this.version];
    this.ring = new InFlightRing(spec.pipeline);
    this.wbuf = Buffer.alloc(Math.max(4096, (2 * this.ring.capacity + 2) * this.frameSize));
    this.intervalMs = spec.rateRps > 0 ? 1000 / spec.rateRps : 0;
    this.refillDeferMs = this.intervalMs === 0 ? Math.max(0, spec.refillDeferMs ?? 0) : 0;
    this.clock[2] = -1;
    // Per-connection constants once: in every ring row (what the verifier compares)
    // and in every frame slot of the write arena (template frames, request-encoder.ts).
    this.ring.fillConstants(spec.reqidHi, spec.lsnHi, spec.lsnLo, spec.nmsHi, spec.nmsLo);
    prefillFrames(this.wbuf, this.version, this.ring.req, 0);
    this.wdv = new DataView(this.wbuf.buffer, this.wbuf.byteOffset, this.wbuf.byteLength);
  }

  /** Entering (or re-entering after a reconnect) the page stream at time `now`. */
  start(now: number, firstStart: boolean): void {
    this.ring.clear();
    this.wstart = 0;
    this.wpos = 0;
    this.live = true;
    this.clock[0] = now;
    if (firstStart) this.clock[1] = now;
    this.refill();
    this.flushBatch();
  }

  stop(): void {
    this.live = false;
  }

  /** One GetPage response payload (CopyData body) buf[off, off+len). */
  onResponse(buf: Buffer, off: number, len: number): void {
    if (!this.live) return;
    const ring = this.ring;
    if (ring.tail === ring.head) {
      // A response nobody asked for: the stream is out of step.
      this.mismatch(MISMATCH_TAG);
      return;
    }
    const i = ring.head & ring.mask;
    const t = ring.req;
    const mode = this.spec.mode;
    let code: number;
    if (mode === MODE_V3) code = verifyGetPageV3(buf, off, len, t, i);
    else if (mode === MODE_V2) code = verifyGetPageV2(buf, off, len);
    else code = checkGetPageV3Frame(buf, off, len);
    if (code === VERIFY_OK) {
      if (this.spec.verifyChecksum) code = verifyGetPageChecksum(this.version, buf, off, t, i);
      if (code === VERIFY_OK && this.spec.oracle && !this.stampMatches(buf, off + PAGE_OFFSET[this.version], i)) {
        this.stats.c[C_UNDETECTED]!++;
      }
    }
    ring.head++;
    const st = this.stats;
    st.c[C_ALL_RESPONSES]!++;
    if (this.measuring) {
      st.c[C_RESPONSES]!++;
      // Whole microseconds as small integers (Smis): no boxing across calls.
      const serviceUs = Math.round((this.clock[0]! - ring.sendTime[i]!) * 1000) | 0;
      // Only the current one-second interval is recorded per response; the worker
      // adds it into the round's total once a second (HdrHistogram's Recorder pattern).
      if (this.intervalMs > 0) {
        recordUs(st.interval, Math.round((this.clock[0]! - ring.intendedTime[i]!) * 1000) | 0);
        recordUs(st.service, serviceUs);
      } else {
        const us = clampUs(serviceUs);
        const run = this.latencyRun;
        if (run[0] === us) run[1]!++;
        else {
          if (run[1] !== 0) recordFastCount(st.interval, run[0]!, run[1]!);
          run[0] = us;
          run[1] = 1;
        }
      }
    }
    if (code !== VERIFY_OK) {
      if (code === RESPONSE_ERROR) this.owner.onErrorResponse(buf, off, len);
      else {
        this.mismatch(code);
        if (!this.live) return;
      }
    }
    if (this.refillDeferMs === 0) this.refill();
  }

  /**
   * End of one socket read, after endBatch: refill and write. `partial`: the
   * read ended inside a frame.
   *
   * With a refill deferral, a read that ends inside a frame holds the refill:
   * the rest of that frame, and usually more of the server's burst, is
   * already on its way (a server writes a batch of responses as one burst,
   * which reaches the reader in pieces when it reads while the burst is still
   * being written). The freed slots are refilled at the burst's last read,
   * which ends on a frame boundary, or once the first held refill has waited
   * refillDeferMs — so one write per server burst instead of one per read,
   * and on a slow link the hold stays bounded. Held requests are not yet
   * issued: their send time, and so their latency, starts when they are sent.
   */
  endRead(partial: boolean): void {
    if (this.refillDeferMs > 0) {
      const c = this.clock;
      if (partial && this.ring.tail - this.ring.head < this.spec.pipeline) {
        if (c[2]! < 0) c[2] = c[0]!;
        if (c[0]! - c[2]! < this.refillDeferMs) return;
      }
      this.refill();
    }
    this.flushBatch();
  }

  /**
   * End of one socket read's responses: record the pending run of equal
   * latencies. Called by the connection after every read (and by anything
   * else that drives onResponse), before anyone reads the histograms.
   */
  endBatch(): void {
    const run = this.latencyRun;
    if (run[1] !== 0) {
      recordFastCount(this.stats.interval, run[0]!, run[1]!);
      run[0] = 0;
      run[1] = 0;
    }
  }

  private mismatch(code: number): void {
    this.stats.c[C_MISMATCHES]!++;
    this.stats.byCode[code]!++;
    if (this.spec.onMismatch !== ON_MISMATCH_COUNT) {
      this.live = false;
      this.owner.onMismatchAction(code);
    }
  }

  /**
   * Ground-truth check of an accepted page: the identity stamp buildPage wrote
   * into it names the requested page and, at ORACLE_PAGE, its data checksum is
   * intact (every emulator page carries a valid one, so a bad checksum is a
   * corrupted page the verifier let through). When the verifier already checked
   * the checksum against the requested block (--verify-checksum), it is not
   * computed twice.
   * Allocation-free: verifyPageChecksum reads in place (hot-loop test).
   */
  private stampMatches(buf: Buffer, page: number, i: number): boolean {
    const R = this.ring.req.rows;
    const r = i << 4; // row layout: RowField in protocol/getpage.ts
    const s = page + IDENTITY_STAMP_OFFSET;
    return buf.readInt32BE(s) === R[r + 6] && buf.readInt32BE(s + 4) === R[r + 7] &&
      buf.readInt32BE(s + 8) === R[r + 8] && buf[s + 12] === R[r + 9] && buf.readInt32BE(s + 13) === R[r + 10] &&
      (this.spec.oracle !== ORACLE_PAGE || this.spec.verifyChecksum || verifyPageChecksum(buf, page, R[r + 10]! >>> 0));
  }

  /**
   * Open loop: the intended time (ms, performance.now()) of the next send that
   * only the clock can trigger, or Infinity: not streaming, another variant's
   * slice, or the pipeline is full (then a response's refill sends it, and it
   * is already behind schedule). The worker's pacer sleeps until the earliest
   * over its connections (workers/shard.ts).
   */
  nextSendDue(): number {
    if (!this.live || !this.issuing || this.intervalMs === 0 || this.ring.tail - this.ring.head >= this.spec.pipeline) return Infinity;
    return this.clock[1]!;
  }

  /** Fill free slots: closed loop up to the pipeline depth; open loop as the schedule allows. */
  refill(): void {
    // Not started (or dropped): a request sent now would be answered into a ring that start() clears.
    // Another variant's time slice: send nothing, let the pipeline drain.
    if (!this.live || !this.issuing) return;
    this.clock[2] = -1;
    const ring = this.ring;
    const depth = this.spec.pipeline;
    if (this.intervalMs === 0) {
      while (ring.tail - ring.head < depth) this.issue(false);
      return;
    }
    const clock = this.clock;
    while (ring.tail - ring.head < depth && clock[1]! <= clock[0]!) {
      if (this.measuring) {
        // How late the client itself sends: the pacing's share of latency-from-intended (docs/run.md).
        const lagMs = clock[0]! - clock[1]!;
        recordUs(this.stats.sendLag, Math.round(lagMs * 1000) | 0);
        if (lagMs > BEHIND_SCHEDULE_MS) this.stats.c[C_BEHIND]!++;
      }
      this.issue(true);
      clock[1]! += this.intervalMs;
    }
  }

  /**
   * Choose a block, fill the tail slot, encode the request into the write arena.
   * Times are read from fields, not passed: a double argument would be boxed.
   */
  private issue(openLoop: boolean): void {
    const ring = this.ring;
    const i = ring.tail & ring.mask;
    const t = ring.req;
    const spec = this.spec;
    const ch = this.chooser;
    ch.next();
    const r = ch.out[0]!;
    this.reqidLo = (this.reqidLo + 1) >>> 0;
    // reqid_hi, request_lsn and not_modified_since are in every row already (fillConstants).
    const R = t.rows;
    const w = i << 4; // row layout: RowField in protocol/getpage.ts
    R[w + 1] = this.reqidLo;
    R[w + 6] = spec.rels.spcnode[r]!;
    R[w + 7] = spec.rels.dbnode[r]!;
    R[w + 8] = spec.rels.relnode[r]!;
    R[w + 9] = spec.rels.forknum[r]!;
    R[w + 10] = ch.out[1]!;
    ring.relIndex[i] = r;
    ring.sendTime[i] = this.clock[0]!;
    ring.intendedTime[i] = this.clock[openLoop ? 1 : 0]!;
    if (this.wpos + this.frameSize > this.wbuf.length) {
      this.flushBatch();
      this.wpos = 0;
      this.wstart = 0;
    }
    // wpos is always a multiple of the frame size (it only advances by frames and wraps to 0):
    // a prefilled template slot, so only the changing fields are written.
    this.wpos = this.version === 3
      ? writeGetPageV3Fields(this.wdv, this.wbuf, this.wpos, t, i)
      : writeGetPageV2Fields(this.wdv, this.wbuf, this.wpos, t, i);
    ring.tail++;
    if (this.measuring) this.stats.c[C_REQUESTS]!++;
  }

  /** Write what was encoded since the last flush (once per read batch or tick). */
  flushBatch(): void {
    if (this.wpos > this.wstart) {
      if (this.measuring) {
        this.stats.c[C_BYTES_SENT]! += this.wpos - this.wstart;
        this.stats.c[C_WRITES]!++;
      }
      const drained = this.owner.flush(this.wbuf, this.wstart, this.wpos);
      this.wstart = this.wpos;
      // Nearly always: the kernel took the whole batch at once, nothing of the
      // arena is referenced any more, and the next batch starts at offset 0 —
      // so the connection can write it through a cached view of [0, n frames)
      // instead of making a subarray per write.
      if (drained) {
        this.wpos = 0;
        this.wstart = 0;
        return;
      }
    }
    // Wrap at a batch boundary while a whole pipeline still fits behind: a batch
    // (at most `pipeline` requests: the ring bounds it) then never splits into two
    // writes at the arena's end — that split cost ~1 extra write per 4 reads. Safe
    // for bytes Node may still queue: a slot is rewritten only after >= 2*capacity+2
    // - pipeline > pipeline newer requests, and only the newest `pipeline` can be unsent.
    if (this.wbuf.length - this.wpos < this.spec.pipeline * this.frameSize) {
      this.wpos = 0;
      this.wstart = 0;
    }
  }
}
