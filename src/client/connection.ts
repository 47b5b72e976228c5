/**
 * One page-stream connection: socket lifecycle, libpq handshake (trust, or the
 * JWT as a cleartext password), `pagestream_v2|v3`, then the hot loop in
 * PageStreamCore. Drops and reconnects on mismatch (per --on-mismatch), on
 * socket errors (bounded exponential backoff) and on --timeout.
 *
 * Reads go into one buffer shared by every connection of the worker thread
 * (`net.connect({ onread })`, the ReadArena's read region): each read is
 * consumed synchronously — by FrameReader during the handshake, by the
 * allocation-free StreamFrameReader in the page stream — and only a frame
 * that straddles two reads is copied (into this connection's pending region).
 */
import net from 'node:net';
// The module binding, not the global: Node 20's globalThis.performance is a
// lazy accessor, which optimized code cannot fold, so each read's clock went
// through a generic global load and the accessor (perf, eighth session).
import { performance } from 'node:perf_hooks';
import { FrameReader } from '../protocol/frame-reader.js';
import type { SliceConductor } from './conductor.js';
import { MeasureStart, recordsIn } from './measure-start.js';
import { StreamFrameReader } from './stream-reader.js';
import type { ReadArena } from './stream-reader.js';
import type { FrameHandler } from '../protocol/frame-reader.js';
import {
  AUTH_CLEARTEXT_PASSWORD, AUTH_OK, decodeAuthentication, decodeErrorFields, encodePasswordMessage, encodeQuery,
  encodeStartupMessage, Msg,
} from '../protocol/libpq.js';
import { pagestreamCommand } from '../protocol/pagestream.js';
import { setReceiveBuffer } from './sockopt.js';
import { socketFd } from '../native/addon.js';
import { directWritesEnabled, writeDirect } from './direct-write.js';
import { ABORT, mayIssue, PHASE, PHASE_CONNECT, PHASE_MEASURE } from './control.js';
import { PageStreamCore, MODE_V2, ON_MISMATCH_ABORT } from './stream-core.js';
import type { CoreOwner, StreamSpec } from './stream-core.js';
import type { BlockChooser } from './keys.js';
import {
  C_ALL_BYTES_RECEIVED, C_ALL_RESPONSES, C_BYTES_RECEIVED, C_MISMATCHES, C_READS, C_BYTES_SENT, C_RECONNECTS, C_STREAM_BYTES_RECEIVED, errorClass, ShardStats,
} from './shard-stats.js';

export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** JWT sent as the cleartext password when the server asks; never logged. */
  password?: string;
  tenant: string;
  timeline: string;
}

/** Where a connection outside a sliced task publishes its response total (nobody reads it). */
const NO_COUNTERS = new Int32Array(new SharedArrayBuffer(4));

const ST_IDLE = 0;
const ST_CONNECTING = 1;
const ST_STARTUP = 2; // startup sent, waiting for auth / ReadyForQuery
const ST_QUERY = 3; // pagestream command sent, waiting for CopyBothResponse
const ST_STREAM = 4;
const ST_CLOSED = 5;

/**
 * Reconnect backoff: doubles on every failed attempt from MIN to MAX, and
 * returns to MIN only once a stream has served a good response — not when a
 * handshake succeeds, or a server that fails every stream at its first
 * GetPage would be reconnected to every ~10 ms. Each delay is drawn from
 * [backoff/2, backoff] ("equal jitter") so that many connections dropped by
 * the same server event do not come back in lockstep.
 */
export const BACKOFF_MIN_MS = 10;
export const BACKOFF_MAX_MS = 1000;

/** The delay before the next attempt for backoff `b` and a uniform draw `u` in [0, 1). */
export function backoffDelay(b: number, u: number): number {
  return b / 2 + (b / 2) * u;
}

export interface ConnectionHooks {
  /** The connection entered the page stream (first time only). */
  onFirstReady(): void;
}

export class PageStreamConnection implements FrameHandler, CoreOwner {
  readonly core: PageStreamCore;
  private readonly target: ConnectionTarget;
  private readonly reader: FrameReader;
  private readonly sreader: StreamFrameReader;
  private readonly readBuffer: Buffer;
  private readonly control: Int32Array;
  private readonly stats: ShardStats;
  private readonly timeoutMs: number;
  private readonly hooks: ConnectionHooks;
  private readonly version: 2 | 3;
  /** This connection's variant: its index in the task's variant list (control.ts ACTIVE). */
  readonly variantIndex: number;
  private socket: net.Socket | null = null;
  /** The socket's descriptor for direct request writes (direct-write.ts), or -1: through Node. */
  private fd = -1;
  private state = ST_IDLE;
  private everReady = false;
  /** In the stream but not yet sending (the round is still connecting). */
  private waiting = false;
  private startedOnce = false;
  private backoffMs = BACKOFF_MIN_MS;
  /**
   * Since the stream (re)started: no good response yet. Checked once per
   * socket read (cold: false after the first good response of a stream).
   */
  private awaitingGood = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Time of the last read or of entering the current state (ms, performance.now()). */
  private lastProgress = 0;
  private readonly onReadCb: (n: number, buf: Uint8Array) => boolean;
  /** Where feed() publishes this variant's response total after each read (countResponsesIn). */
  private responseCounters: Int32Array = NO_COUNTERS;
  private responseCounter = 0;
  /** Worker 0 of a sliced round: the conductor whose slice end every read checks (conductedBy). */
  private conductor: SliceConductor | null = null;
  /** Where this connection's worker starts measuring (measuredBy); alone, its own stats'. */
  private measureStart: MeasureStart;
  /** Replaced by the hot-loop test with a sink; the socket path writes a view. */
  writeOut: (buf: Buffer, start: number, end: number) => void;
  /**
   * Views of the write arena's first n request frames, made on first use:
   * batches start at offset 0 whenever the previous one left nothing queued
   * (nearly always), and a cached view spares a Buffer per write.
   */
  private readonly headViews: Array<Buffer | undefined> = [];

  constructor(
    target: ConnectionTarget, spec: StreamSpec, chooser: BlockChooser, stats: ShardStats,
    arena: ReadArena, control: Int32Array, timeoutMs: number, hooks: ConnectionHooks, variantIndex = 0,
  ) {
    this.target = target;
    this.variantIndex = variantIndex;
    this.stats = stats;
    this.measureStart = new MeasureStart([stats]);
    this.readBuffer = arena.read;
    this.control = control;
    this.timeoutMs = timeoutMs;
    this.hooks = hooks;
    this.version = spec.mode === MODE_V2 ? 2 : 3;
    this.core = new PageStreamCore(spec, stats, chooser, this);
    this.reader = new FrameReader(this, { initialPending: 1024 });
    // Head-only straddling GetPage frames unless something reads the page
    // (--verify-checksum, the fault oracle's identity stamp).
    this.sreader = new StreamFrameReader(arena, this, !spec.verifyChecksum && !spec.oracle);
    // One closure per connection, made once: the onread callback.
    // `buf` is always our readBuffer (a Buffer); the typing says Uint8Array.
    this.onReadCb = (n: number, buf: Uint8Array): boolean => {
      const now = performance.now();
      this.feed(buf as Buffer, n, now);
      // Time slices, worker 0: the first read past the slice's end switches it (conductor.ts).
      const c = this.conductor;
      if (c !== null && now >= c.due[0]!) c.next();
      return true;
    };
    this.writeOut = (buf, start, end) => {
      const s = this.socket;
      if (s === null) return;
      if (this.fd >= 0) {
        start = writeDirect(s, this.fd, buf, start, end);
        if (start === end) return;
      }
      // Through Node: the whole batch, or what a full send buffer did not take.
      if (start !== 0) {
        s.write(buf.subarray(start, end));
        return;
      }
      const n = (end / this.core.frameSize) | 0;
      let v = this.headViews[n];
      if (v === undefined) {
        v = buf.subarray(0, end);
        this.headViews[n] = v;
      }
      s.write(v);
    };
  }

  /** The worker's MeasureStart, shared by all its connections (all its variants' stats). */
  measuredBy(m: MeasureStart): void {
    this.measureStart = m;
  }

  /** Worker 0 of a sliced round: check the conductor's slice end after every socket read. */
  conductedBy(c: SliceConductor): void {
    this.conductor = c;
  }

  /**
   * Publish this worker's response total of this connection's variant into
   * `counters[index]` after every socket read (time slices: the conductor
   * counts each slice's responses at the switch). One store per read, not per response.
   */
  countResponsesIn(counters: Int32Array, index: number): void {
    this.responseCounters = counters;
    this.responseCounter = index;
  }

  get inStream(): boolean {
    return this.state === ST_STREAM;
  }

  connect(): void {
    if (this.state === ST_CLOSED) return;
    this.reconnectTimer = null;
    this.reader.reset(false);
    this.sreader.reset();
    this.state = ST_CONNECTING;
    this.lastProgress = performance.now();
    this.fd = -1;
    const sock = net.connect({
      host: this.target.host,
      port: this.target.port,
      onread: { buffer: this.readBuffer, callback: this.onReadCb },
    });
    this.socket = sock;
    sock.setNoDelay(true);
    sock.on('connect', () => {
      if (sock !== this.socket) return;
      const want = this.core.spec.rcvbufBytes ?? 0;
      if (want > 0) {
        const got = setReceiveBuffer(sock, want);
        const st = this.stats;
        if (got === null) st.rcvbufFailed++;
        else st.rcvbufMinBytes = st.rcvbufMinBytes === 0 ? got : Math.min(st.rcvbufMinBytes, got);
      }
      if (directWritesEnabled()) this.fd = socketFd(sock);
      this.state = ST_STARTUP;
      this.send(encodeStartupMessage({ user: this.target.user, database: this.target.database, application_name: 'pagestream-bench' }));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (sock !== this.socket || this.state === ST_CLOSED) return;
      // One lost connection, one error, classified by its first cause: drop
      // now, so the 'close' that follows (sock is no longer ours) counts nothing.
      this.stats.error(`connection: ${e.code ?? e.message}`);
      this.drop(true);
    });
    sock.on('close', () => {
      if (sock !== this.socket || this.state === ST_CLOSED) return;
      if (this.state === ST_STREAM || this.state === ST_QUERY || this.state === ST_STARTUP) this.stats.error('connection: closed by server');
      this.drop(true);
    });
  }

  /** The bytes of one socket read; `now` is the batch clock. */
  feed(buf: Buffer, n: number, now: number): void {
    this.lastProgress = now;
    const core = this.core;
    core.clock[0] = now;
    this.readControl();
    this.stats.c[C_ALL_BYTES_RECEIVED]! += n;
    if (core.measuring) {
      this.stats.c[C_READS]!++;
      this.stats.c[C_BYTES_RECEIVED]! += n;
      if (this.state === ST_STREAM) this.stats.c[C_STREAM_BYTES_RECEIVED]! += n;
    }
    // Responses before this read, and mismatches (this read's frames are all
    // this connection's, handled synchronously): a good response is a
    // response that was not a mismatch.
    const head0 = core.ring.head;
    const mis0 = this.stats.c[C_MISMATCHES]!;
    let protocolError: Error | null = null;
    try {
      if (this.state === ST_STREAM) this.sreader.push(buf, 0, n);
      else this.reader.push(buf, 0, n);
    } catch (e) {
      protocolError = e as Error;
    }
    // The frames before a malformed one were real responses: record and count them either way.
    core.endBatch();
    // ToInt32 wraps modulo 2^32; the reader takes differences modulo 2^32 too.
    Atomics.store(this.responseCounters, this.responseCounter, this.stats.c[C_ALL_RESPONSES]! | 0);
    if (this.awaitingGood) this.noteGood(head0, mis0);
    if (protocolError !== null) {
      this.stats.error(errorClass('protocol', protocolError.message));
      this.drop(true);
      return;
    }
    if (this.state === ST_STREAM && core.live) core.endRead(this.sreader.partial);
  }

  /** Reset the backoff at the first good response of a stream (cold: once per stream). */
  private noteGood(head0: number, mis0: number): void {
    if (this.core.ring.head - head0 > this.stats.c[C_MISMATCHES]! - mis0) {
      this.awaitingGood = false;
      this.backoffMs = BACKOFF_MIN_MS;
    }
  }

  onFrame(type: number, buf: Buffer, off: number, len: number): void {
    if (type === Msg.CopyData && this.state === ST_STREAM) {
      this.core.onResponse(buf, off, len);
      return;
    }
    this.coldFrame(type, buf, off, len);
  }

  private coldFrame(type: number, buf: Buffer, off: number, len: number): void {
    if (this.state === ST_IDLE || this.state === ST_CLOSED || this.state === ST_CONNECTING) return; // a dropped socket's tail
    switch (type) {
      case Msg.Authentication: {
        const kind = decodeAuthentication(buf, off, len);
        if (kind === AUTH_OK) return;
        if (kind === AUTH_CLEARTEXT_PASSWORD && this.target.password !== undefined) {
          this.send(encodePasswordMessage(this.target.password));
          return;
        }
        this.stats.error(kind === AUTH_CLEARTEXT_PASSWORD ? 'handshake: password (JWT) required' : `handshake: unsupported authentication ${kind}`);
        this.drop(true);
        return;
      }
      case Msg.ReadyForQuery:
        if (this.state === ST_STARTUP) {
          this.state = ST_QUERY;
          this.send(encodeQuery(pagestreamCommand(this.version, this.target.tenant, this.target.timeline)));
        }
        return;
      case Msg.CopyBothResponse:
        if (this.state === ST_QUERY) this.enterStream();
        return;
      case Msg.ErrorResponse: {
        const f = decodeErrorFields(buf, off, len);
        this.stats.error(errorClass(this.state === ST_STREAM ? 'stream' : 'handshake', f.message));
        this.drop(true);
        return;
      }
      case Msg.ParameterStatus:
      case Msg.BackendKeyData:
      case Msg.NoticeResponse:
        return;
      default:
        this.stats.error(`protocol: unexpected message ${String.fromCharCode(type)}`);
        this.drop(true);
    }
  }

  /**
   * In the page stream: reset the ring and fill the pipeline. While the round
   * is still connecting, wait (startIfWaiting) — otherwise the first
   * connections' page traffic would slow the handshakes of the rest, and the
   * load would start before every connection exists.
   */
  enterStream(): void {
    this.state = ST_STREAM;
    // No backoff reset here: only a good response (noteGood) shows the server serves.
    this.lastProgress = performance.now();
    if (Atomics.load(this.control, PHASE) === PHASE_CONNECT) this.waiting = true;
    else this.startStream();
    if (!this.everReady) {
      this.everReady = true;
      this.hooks.onFirstReady();
    }
  }

  /** Start the stream of a connection that connected during the connect phase. */
  startIfWaiting(): void {
    if (this.waiting && this.state === ST_STREAM) this.startStream();
  }

  private startStream(): void {
    this.waiting = false;
    const now = performance.now();
    this.lastProgress = now;
    this.readControl();
    this.awaitingGood = true;
    this.core.start(now, !this.startedOnce);
    this.startedOnce = true;
  }

  // ---- CoreOwner
  flush(buf: Buffer, start: number, end: number): boolean {
    this.writeOut(buf, start, end);
    // Nothing queued in Node or libuv: the kernel holds a copy of every byte,
    // so the arena may be overwritten from offset 0 (stream-core flushBatch).
    const s = this.socket;
    return s === null || s.writableLength === 0;
  }

  onMismatchAction(): void {
    if (this.core.spec.onMismatch === ON_MISMATCH_ABORT) {
      Atomics.store(this.control, ABORT, 1);
      this.close();
      return;
    }
    // Like a compute resetting its prefetch ring: drop the connection, start fresh at once.
    this.drop(false);
  }

  onErrorResponse(buf: Buffer, off: number, len: number): void {
    const start = off + 1 + (this.version === 3 ? 24 : 0);
    let end = buf.indexOf(0, start);
    if (end < 0 || end > off + len) end = off + len;
    this.stats.error(errorClass('pagestream', buf.toString('utf8', start, end)));
  }

  /**
   * This connection's variant took the time slice (the worker saw ACTIVE
   * change): refill the pipeline now rather than at the next timer tick. The
   * timeout clock restarts too: an idle connection had nothing in flight.
   */
  resume(now: number): void {
    // Not live: not in the stream, or waiting for the round to start (startIfWaiting).
    if (this.state !== ST_STREAM || !this.core.live) return;
    this.lastProgress = now;
    this.sendNow(now);
  }

  /**
   * The round's state from the control block into the core's batch state:
   * whether it is measuring, and whether this connection's variant holds
   * the time slice. Once per socket read, tick or slice switch.
   */
  private readControl(): void {
    const phase = Atomics.load(this.control, PHASE);
    // Leaving the warm-up, which recorded as if measuring: zero the measured figures first (measure-start.ts).
    this.measureStart.observe(phase);
    this.core.measuring = recordsIn(phase);
    this.core.issuing = mayIssue(this.control, this.variantIndex);
  }

  /** Refill the pipeline and write the batch now, at time `now` (a tick or a new slice). */
  private sendNow(now: number): void {
    this.core.clock[0] = now;
    this.readControl();
    this.core.refill();
    this.core.flushBatch();
  }

  /**
   * Open loop, from the worker's pacer: send what the schedule has made due
   * by `now`, then return the next due time (stream-core nextSendDue). No
   * timeout check: the tick does that.
   */
  pace(now: number): number {
    if (this.state !== ST_STREAM) return Infinity;
    const core = this.core;
    if (core.nextSendDue() <= now) this.sendNow(now);
    return core.nextSendDue();
  }

  /** Timer work (every few ms): open-loop sends, timeouts. */
  tick(now: number): void {
    if (this.state === ST_STREAM) {
      const core = this.core;
      if (!core.live) return; // waiting for the round to start: send nothing
      if (core.ring.inFlight > 0 && now - this.lastProgress > this.timeoutMs) {
        this.stats.error('timeout');
        this.drop(true);
        return;
      }
      this.sendNow(now);
    } else if ((this.state === ST_CONNECTING || this.state === ST_STARTUP || this.state === ST_QUERY) && now - this.lastProgress > this.timeoutMs) {
      this.stats.error('timeout: connect/handshake');
      this.drop(true);
    }
  }

  private send(b: Buffer): void {
    if (Atomics.load(this.control, PHASE) === PHASE_MEASURE) this.stats.c[C_BYTES_SENT]! += b.length;
    this.socket?.write(b);
  }

  /** Drop the socket and reconnect (after a backoff when `backoff`). */
  drop(backoff: boolean): void {
    if (this.state === ST_CLOSED) return;
    this.core.stop();
    this.waiting = false;
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.state = ST_IDLE;
    this.stats.c[C_RECONNECTS]!++;
    if (this.reconnectTimer) return;
    const delay = backoff ? backoffDelay(this.backoffMs, Math.random()) : 0;
    if (backoff) this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** End the page stream as a compute does: close the socket; no reconnect. */
  close(): void {
    if (this.state === ST_CLOSED) return;
    this.state = ST_CLOSED;
    this.core.stop();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.socket = null;
    // A compute ends a page stream by closing the socket (protocol.md §1).
    s?.destroy();
  }
}

