/**
 * One libpq connection of the emulator: the handshake (startup, SSL/GSSENC
 * refusal, trust or JWT auth, the pagestream command) and then the page
 * stream, served by a per-connection queue of requests in typed-array rings.
 *
 * Service model. Requests that arrive in one socket read are taken together
 * and cut into batches of up to `maxBatch` (the real pageserver batches
 * consecutive GetPages the same way); each batch costs one service-time draw
 * and occupies one of `concurrencyPerConnection` servers. A request's due time
 * is the later of its batch's completion and the time its LSN is ingested.
 * Responses leave strictly in request order: a request that waits holds back
 * everything behind it, as on a real connection. One clock reading per socket
 * read and per timer wake, none per request.
 *
 * Output. A GetPage response is a 47-byte (V3) or 6-byte (V2) header from a
 * preallocated per-connection arena, then the page without a copy in user
 * space: a generated page as its 24-byte head (copied next to the header),
 * the shared template, its 25-byte identity stamp and the template again
 * (page-cache.ts, compact); a page of a data directory whole from the cache.
 * With the native helper (`writes: 'direct'`, the default) a pump gathers
 * these as slices and writes them with one writev (direct-output.ts);
 * otherwise each piece is a Writable chunk inside cork/uncork (a whole cached
 * page with its header written in place in front of it is one chunk).
 */
import type { Socket } from 'node:net';
import { FrameReader } from '../protocol/frame-reader.js';
import type { FrameHandler } from '../protocol/frame-reader.js';
import {
  Msg, decodeCstrBody, decodeStartupPacket, encodeAuthenticationCleartextPassword, encodeAuthenticationOk,
  encodeCopyBothResponse, encodeErrorResponse, encodeParameterStatus, encodeReadyForQuery,
} from '../protocol/libpq.js';
import { encodeResponse } from '../protocol/pagestream.js';
import type { PagestreamResponse, PagestreamVersion, RequestHeader } from '../protocol/pagestream.js';
import { ProtocolError } from '../protocol/errors.js';
import { fromHiLo } from '../protocol/u64.js';
import { BLCKSZ, IDENTITY_STAMP_BYTES } from '../protocol/page.js';
import {
  EmulatorCore, FIXED_TEMPLATE, F_CLOSE, F_CORRUPT, F_DROP, F_ERROR, F_NONE, F_STALE, F_SWAP, F_WRONG_BLOCK, F_WRONG_LSN, F_WRONG_REL, lsnNum,
} from './core.js';
import type { Timeline } from './dataset.js';
import { checkTenantPermission } from './jwt.js';
import {
  BAD_ZERO_LSN_MESSAGE, READ_ERROR_MESSAGE, badNmsMessage, gcMessage, lsnTimeoutMessage, messageName, notFoundMessage, parsePagestreamCommand,
} from './messages.js';
import { NATURAL, PAGE_HEAD_BYTES, SLOT_STRIDE, TEMPLATE_END, TEMPLATE_MID, V2_HDR_IN_SLOT, V3_HDR_IN_SLOT } from './page-cache.js';
import { PAUSE_AT, RING, RING_MASK, RequestRing } from './request-ring.js';
import type { Claims } from './jwt.js';
import { BASE_CACHE, BASE_FIXED, BASE_HEADERS, DirectOutput } from './direct-output.js';
import { nativeAddon, socketFd } from '../native/addon.js';
import {
  M_BACKPRESSURE, M_BATCHES, M_BYTES_IN, M_FLUSHES, M_BYTES_OUT, M_CONN_ACTIVE, M_CONN_TOTAL, M_INCIDENTS, M_LSN_TIMEOUTS, M_LSN_WAITS, M_REQUESTS, M_RESPONSES,
} from './metrics.js';

const ST_STARTUP = 0;
const ST_PASSWORD = 1;
const ST_QUERY = 2;
const ST_STREAM = 3;
const ST_CLOSED = 4;

// Ring entry status, decided when the request is parsed.
const S_OK = 0;
const S_BAD_NMS = 1; // request_lsn < not_modified_since
const S_BAD_ZERO = 2; // request_lsn == 0
const S_GC = 3; // below the GC cutoff
const S_TIMEOUT = 4; // WAL did not arrive within wait-lsn-timeout
const S_NOT_FOUND = 5; // tenant/timeline of the stream does not exist
// Control entries (tag values no request uses), queued so they happen in order.
const T_TERMINATE = 250; // end the stream after what precedes it
const T_COPY_ERROR = 251; // ErrorResponse (message in ctlMessage) then close
const T_BAD_REQUEST = 252; // malformed page-stream request: ErrorResponse then close

const REQUEST_PAYLOAD = { 2: [30, 30, 34, 21, 22], 3: [38, 38, 42, 29, 30] } as const;

/** Responses written per pump before yielding to other connections. */
const PUMP_MAX = 256;
/**
 * Header arena slots. A slot is reused after HDR_SLOTS responses, i.e. after
 * >= 8 MiB of output, while the socket never holds more than sendHighWater +
 * one pump (~3 MiB), so a header still queued in the socket is never rewritten.
 * A slot: the frame header ending at HEAD_AT (V3 from byte 1, V2 from 42),
 * then, for a compact cache, the page's first 24 bytes (word-aligned), so
 * header and page head leave as one piece.
 */
const HDR_SLOTS = 1024;
const HDR_STRIDE = 80;
const HEAD_AT = 48;
const PIN_CAP = 8192;
const TWO32 = 4294967296;
const EMPTY = Buffer.alloc(0);

const QUERY_ERROR_CODE = 'XX000'; // postgres_backend maps QueryError::Other to internal_error

export class Connection implements FrameHandler {
  readonly id: number;
  private readonly core: EmulatorCore;
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly remote: string;
  private state = ST_STARTUP;
  private claims: Claims | undefined;
  private version: PagestreamVersion = 3;
  private timeline: Timeline | undefined;
  private tl = -1;
  private streamTenant = '';
  private streamTimeline = '';
  private tenantKnown = false;

  // ---- request queue (allocated when the stream starts; idle connections cost little)
  private q!: RequestRing;
  private ctlMessage = '';

  // ---- service model
  private nowMs = 0;
  private batchLeft = 0;
  private batchDue = 0;
  private readonly serverFree: Float64Array;

  // ---- output
  private hdrArena!: Buffer;
  private hdrView!: DataView;
  private hdrWords!: Int32Array;
  /** Per arena slot, made on first use: the header, with the page head after it for a compact cache. */
  private hdrViews!: Array<Buffer | undefined>;
  /** Where the frame header starts in an arena slot (it ends at HEAD_AT). */
  private hdrAt = 0;
  private hdrNext = 0;
  private pinned!: Int32Array;
  private pinnedN = 0;
  private freshPage: Buffer = EMPTY;
  /** Direct output (null: through Node), and whether the current pump writes through it. */
  private out: DirectOutput | null = null;
  private direct = false;
  private waitDrain = false;
  private paused = false;
  private timerArmed = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private pumping = false;
  private staleChecked = false;
  private memoSpc = -1;
  private memoDb = -1;
  private memoRel = -1;
  private memoFork = -1;
  private memoR = -1;
  private closing = false;
  private readonly onTimerBound: () => void;
  private readonly onDrainBound: () => void;

  constructor(core: EmulatorCore, socket: Socket, id: number, private readonly onClosed: (c: Connection) => void) {
    this.core = core;
    this.socket = socket;
    this.id = id;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.reader = new FrameReader(this, { untyped: true, maxFrameLength: core.opts.maxFrameLength, initialPending: 256 });
    this.serverFree = new Float64Array(Math.max(1, core.opts.concurrencyPerConnection));
    this.onTimerBound = () => {
      this.timerArmed = false;
      this.timer = undefined;
      this.pump();
    };
    this.onDrainBound = () => this.onDrain();
    const m = core.metrics.c;
    m[M_CONN_TOTAL]++;
    m[M_CONN_ACTIVE]++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', this.onDrainBound);
    socket.on('error', (e: NodeJS.ErrnoException) => this.incident('socket_error', `${e.code ?? ''} ${e.message}`.trim()));
    socket.on('end', () => {
      // The client closed its side: the stream is over (computes end page streams this way).
      if (this.state !== ST_CLOSED) this.finish();
    });
    socket.on('close', () => this.cleanup());
  }

  // ------------------------------------------------------------------ input

  private onData(chunk: Buffer): void {
    if (this.state === ST_CLOSED) return;
    this.core.metrics.c[M_BYTES_IN] += chunk.length;
    // One clock reading per socket read, shared by every request in it.
    if (this.core.needClock) this.nowMs = performance.now();
    this.batchLeft = 0;
    try {
      this.reader.push(chunk, 0, chunk.length);
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.incident('protocol_error', e.message);
        return;
      }
      throw e;
    }
    if (this.q !== undefined) {
      if (this.q.tail - this.q.head >= PAUSE_AT && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      this.pump();
    }
  }

  onFrame(type: number, buf: Buffer, off: number, len: number): void {
    switch (this.state) {
      case ST_STREAM:
        if (type === Msg.CopyData) this.enqueueRequest(buf, off, len);
        else if (type === Msg.Terminate) this.enqueueControl(T_TERMINATE, '');
        else this.enqueueControl(T_COPY_ERROR, `unexpected message: ${messageName(type)} during COPY`);
        return;
      case ST_STARTUP:
        this.onStartup(buf, off, len);
        return;
      case ST_PASSWORD:
        this.onPassword(type, buf, off, len);
        return;
      case ST_QUERY:
        this.onQuery(type, buf, off, len);
        return;
      default:
        return; // closed: ignore whatever still arrives
    }
  }

  private onStartup(buf: Buffer, off: number, len: number): void {
    const p = decodeStartupPacket(buf, off, len); // throws ProtocolError -> incident
    if (p.kind === 'ssl' || p.kind === 'gssenc') {
      // No TLS, no GSS encryption: answer 'N'; the client goes on with another untyped packet.
      this.write(Buffer.from('N'));
      this.reader.untyped = true;
      return;
    }
    if (p.kind === 'cancel') {
      this.finish();
      return;
    }
    if (this.core.opts.auth === 'jwt') {
      this.write(encodeAuthenticationCleartextPassword());
      this.state = ST_PASSWORD;
      return;
    }
    this.socket.cork();
    this.write(encodeAuthenticationOk());
    this.write(encodeParameterStatus('client_encoding', 'UTF8'));
    this.write(encodeParameterStatus('integer_datetimes', 'on'));
    this.write(encodeParameterStatus('server_version', '14.1'));
    this.write(encodeReadyForQuery('I'));
    this.socket.uncork();
    this.state = ST_QUERY;
  }

  private onPassword(type: number, buf: Buffer, off: number, len: number): void {
    if (type !== Msg.Password) {
      this.fatal('08P01', `expected a password message, got ${messageName(type)}`, 'auth_failed');
      return;
    }
    const token = decodeCstrBody(buf, off, len, 'PasswordMessage');
    try {
      this.claims = this.core.jwt!.verify(token);
    } catch (e) {
      this.fatal('28000', `Authentication error: ${(e as Error).message}`, 'auth_failed');
      return;
    }
    this.socket.cork();
    this.write(encodeAuthenticationOk());
    this.write(encodeParameterStatus('client_encoding', 'UTF8'));
    this.write(encodeReadyForQuery('I'));
    this.socket.uncork();
    this.state = ST_QUERY;
  }

  private onQuery(type: number, buf: Buffer, off: number, len: number): void {
    if (type === Msg.Terminate) {
      this.finish();
      return;
    }
    if (type !== Msg.Query) {
      this.queryError(`unsupported message ${messageName(type)} outside of a page stream`);
      return;
    }
    const cmd = parsePagestreamCommand(decodeCstrBody(buf, off, len, 'Query'));
    if (!cmd.ok) {
      this.queryError(cmd.message);
      return;
    }
    const { tenantId, timelineId } = cmd;
    if (this.claims) {
      const denied = checkTenantPermission(this.claims, tenantId);
      if (denied !== null) {
        this.queryError(denied);
        return;
      }
    }
    this.version = cmd.version;
    this.streamTenant = tenantId;
    this.streamTimeline = timelineId;
    this.timeline = this.core.ds.timelineByIds(tenantId, timelineId);
    this.tl = this.timeline ? this.timeline.index : -1;
    this.tenantKnown = this.core.ds.tenants.some((t) => t.id === tenantId);
    this.startStream();
    // CopyBothResponse comes before the timeline lookup, as in page_service.rs:
    // an unknown timeline shows up only per request.
    this.write(encodeCopyBothResponse());
    this.state = ST_STREAM;
  }

  private startStream(): void {
    this.q = new RequestRing();
    this.pinned = new Int32Array(PIN_CAP);
    // GetPage response headers, constant parts written once: 'd' | len | tag 102.
    this.hdrArena = Buffer.alloc(HDR_SLOTS * HDR_STRIDE);
    this.hdrView = new DataView(this.hdrArena.buffer, this.hdrArena.byteOffset, this.hdrArena.length);
    this.hdrWords = new Int32Array(this.hdrArena.buffer, this.hdrArena.byteOffset, this.hdrArena.length >>> 2);
    this.hdrViews = new Array<Buffer | undefined>(HDR_SLOTS);
    this.hdrAt = this.version === 3 ? HEAD_AT - 47 : HEAD_AT - 6;
    const frameLen = this.version === 3 ? 4 + 8234 : 4 + 8193;
    for (let i = 0; i < HDR_SLOTS; i++) {
      const o = i * HDR_STRIDE + this.hdrAt;
      this.hdrArena[o] = Msg.CopyData;
      this.hdrArena.writeInt32BE(frameLen, o + 1);
      this.hdrArena[o + 5] = 102;
    }
    const addon = this.core.opts.writes === 'direct' ? nativeAddon() : null;
    const fd = socketFd(this.socket);
    if (addon !== null && fd >= 0) {
      this.out = new DirectOutput(addon, fd, this.socket, this.core.metrics.c, this.core.cache.buf, this.hdrArena, this.core.fixed);
    }
  }

  /** Parse one page-stream request straight into the ring (no objects). */
  private enqueueRequest(buf: Buffer, off: number, len: number): void {
    const q = this.q;
    const v = this.version;
    const tag = len > 0 ? buf[off]! : 255;
    if (tag > 4 || len !== REQUEST_PAYLOAD[v][tag]) {
      const what = tag > 4 ? `unknown page-stream request tag ${tag}` : `V${v} request with tag ${tag} must be ${REQUEST_PAYLOAD[v][tag]} bytes, got ${len}`;
      this.enqueueControl(T_BAD_REQUEST, `invalid page-stream request: ${what}`);
      return;
    }
    if (q.tail - q.head >= RING) {
      this.incident('queue_overflow', `more than ${RING} requests queued`);
      return;
    }
    const i = q.tail & RING_MASK;
    const m = this.core.metrics.c;
    m[M_REQUESTS + tag * 2 + v - 2]++;
    let p = off + 1;
    if (v === 3) {
      q.reqidHi[i] = get32(buf, p);
      q.reqidLo[i] = get32(buf, p + 4);
      p += 8;
    } else {
      q.reqidHi[i] = 0;
      q.reqidLo[i] = 0;
    }
    const lHi = get32(buf, p);
    const lLo = get32(buf, p + 4);
    const nHi = get32(buf, p + 8);
    const nLo = get32(buf, p + 12);
    p += 16;
    q.tag[i] = tag;
    q.lsnHi[i] = lHi;
    q.lsnLo[i] = lLo;
    q.nmsHi[i] = nHi;
    q.nmsLo[i] = nLo;
    if (tag <= 2) {
      q.spc[i] = get32(buf, p);
      q.db[i] = get32(buf, p + 4);
      q.rel[i] = get32(buf, p + 8);
      q.fork[i] = buf[p + 12]!;
      q.blk[i] = tag === 2 ? get32(buf, p + 13) : 0;
    } else if (tag === 3) {
      q.db[i] = get32(buf, p);
    } else {
      q.fork[i] = buf[p]!; // SLRU kind
      q.blk[i] = get32(buf, p + 1); // segno
    }
    // Service batch: one draw per batch of up to maxBatch requests from this read.
    if (this.batchLeft === 0) this.startBatch();
    this.batchLeft--;
    let due = this.batchDue;
    let st = S_OK;
    const t = this.timeline;
    if (t === undefined) st = S_NOT_FOUND;
    else if (lHi < nHi || (lHi === nHi && lLo < nLo)) st = S_BAD_NMS;
    else if (lHi === 0 && lLo === 0) st = S_BAD_ZERO;
    else {
      const isMax = lHi === 0xffffffff && lLo === 0xffffffff;
      const req = lsnNum(lHi, lLo);
      if (!isMax && req < t.gcCutoff) st = S_GC;
      else {
        // Lsn::MAX waits for not_modified_since; a specific request_lsn waits for itself.
        const needed = isMax ? lsnNum(nHi, nLo) : req;
        if (needed > t.initialLsn) {
          const core = this.core;
          // A static timeline needs no clock on the fast path; a wait (rare there) reads it now.
          const now = core.needClock ? this.nowMs : performance.now();
          if (needed > core.lastRecordLsn(t, now)) {
            m[M_LSN_WAITS]++;
            const ready = core.lsnReadyMs(t, needed);
            const limit = now + core.opts.waitLsnTimeoutS * 1000;
            if (ready > limit) {
              st = S_TIMEOUT;
              if (limit > due) due = limit;
            } else if (ready > due) due = ready;
          }
        }
      }
    }
    q.status[i] = st;
    q.due[i] = due;
    q.tail++;
  }

  private startBatch(): void {
    this.batchLeft = this.core.opts.maxBatch;
    this.core.metrics.c[M_BATCHES]++;
    if (this.core.latencyZero) {
      this.batchDue = this.nowMs;
      return;
    }
    // The earliest-free server takes the batch; responses still leave in order.
    const free = this.serverFree;
    let w = 0;
    for (let k = 1; k < free.length; k++) if (free[k]! < free[w]!) w = k;
    const start = free[w]! > this.nowMs ? free[w]! : this.nowMs;
    this.batchDue = start + this.core.sampleServiceMs();
    free[w] = this.batchDue;
  }

  private enqueueControl(tag: number, message: string): void {
    const i = this.q.tail & RING_MASK;
    this.q.tag[i] = tag;
    this.q.status[i] = S_OK;
    this.q.due[i] = this.q.tail > this.q.head ? this.q.due[(this.q.tail - 1) & RING_MASK]! : 0;
    if (message !== '') this.ctlMessage = message;
    this.q.tail++;
    // Nothing after a stream-ending message is read.
    if (this.state === ST_STREAM) this.state = ST_CLOSED;
  }

  // ------------------------------------------------------------------ output

  /** Write every response that is due, in order; arm a timer for the next one. */
  pump(): void {
    const q = this.q;
    if (q === undefined) return;
    if (this.pumping || this.closing || this.socket.destroyed) return;
    const sock = this.socket;
    if (this.pinnedN > 0 && sock.writableLength === 0) this.unpinAll();
    if (this.waitDrain) return;
    this.pumping = true;
    let now = this.core.needClock ? (this.nowMs = performance.now()) : 0;
    const highWater = this.core.opts.sendHighWater;
    let emitted = 0;
    sock.cork();
    // Direct writes only while Node holds nothing of ours: they would overtake it.
    this.direct = this.out !== null && sock.writableLength === 0;
    while (q.head !== q.tail) {
      if (sock.writableLength > highWater || this.pinnedN > PIN_CAP - 4) {
        this.waitDrain = true;
        this.core.metrics.c[M_BACKPRESSURE]++;
        break;
      }
      if (emitted >= PUMP_MAX) {
        this.armTimer(0);
        break;
      }
      const i = q.head & RING_MASK;
      const due = q.due[i]!;
      if (due > now) {
        now = performance.now(); // the clock may be stale (or never read, on the no-clock fast path)
        if (due > now) {
          this.armTimer(due - now);
          break;
        }
      }
      q.head++;
      emitted++;
      const tag = q.tag[i]!;
      if (tag === 2 && q.status[i] === S_OK) this.emitGetPage(i, true, now);
      else if (tag >= T_TERMINATE) {
        this.endStream(tag);
        break;
      } else this.emitOther(i, now);
      if (this.closing) break;
    }
    this.toNode();
    sock.uncork();
    if (emitted > 0) this.core.metrics.c[M_FLUSHES]++;
    this.pumping = false;
    // A page view still queued in the socket keeps its cache slot pinned until 'drain'.
    if (this.pinnedN > 0 && sock.writableLength === 0) this.unpinAll();
    if (this.paused && !this.waitDrain && q.tail - q.head < PAUSE_AT && !this.closing) {
      this.paused = false;
      sock.resume();
    }
    if (this.waitDrain && !this.paused) {
      // Stop reading a client that does not read: bounded buffering both ways.
      this.paused = true;
      sock.pause();
    }
  }

  private armTimer(delayMs: number): void {
    if (this.timerArmed) return;
    this.timerArmed = true;
    // setTimeout has 1 ms granularity; shorter waits poll with setImmediate.
    this.timer = delayMs >= 1 ? setTimeout(this.onTimerBound, Math.floor(delayMs)) : setImmediate(this.onTimerBound);
  }

  private onDrain(): void {
    this.unpinAll();
    if (this.waitDrain) {
      this.waitDrain = false;
      this.pump();
    }
  }

  /**
   * Before anything goes through Node: write what direct output has gathered,
   * and go through Node for the rest of this pump (order on the wire).
   */
  private toNode(): void {
    if (!this.direct) return;
    this.direct = false;
    this.out!.flush();
  }

  private unpinAll(): void {
    const pins = this.core.cache.pins;
    for (let k = 0; k < this.pinnedN; k++) pins[this.pinned[k]!]--;
    this.pinnedN = 0;
  }

  /**
   * The page image for (relation r, block blk) read at `readLsn`: a cache slot
   * (>= 0) or -1 with the image in `freshPage`.
   */
  private pageSlot(r: number, blk: number, readLsn: number): number {
    const core = this.core;
    const ds = core.ds;
    const cache = core.cache;
    // Key of the page version. At or after the timeline's initial LSN every
    // synthetic page is its "natural" version (pd_lsn = its fixed LSN), keyed
    // NATURAL without computing anything; only reads further back key by LSN.
    let hi = NATURAL;
    let lo = NATURAL;
    let lsn = -1;
    if (ds.pgdata) hi = lo = 0;
    else if (readLsn < this.timeline!.initialLsn) {
      lsn = ds.pageLsn(r, blk);
      if (readLsn < lsn) lsn = readLsn;
      hi = Math.floor(lsn / TWO32) | 0;
      lo = lsn | 0;
    }
    const slot = cache.slotOf(r, blk);
    if (cache.isHit(slot, r, blk, hi, lo)) {
      cache.hits++;
      return slot;
    }
    if (lsn < 0) lsn = ds.pgdata ? 0 : ds.pageLsn(r, blk);
    if (cache.pins[slot]! > 0) {
      // Still queued in some socket: leave it, build this one aside (rare; may allocate).
      cache.bypasses++;
      this.freshPage = Buffer.allocUnsafe(BLCKSZ);
      ds.writePage(r, blk, lsn, this.freshPage, 0);
      return -1;
    }
    // The slot is about to be rewritten, and direct output may have gathered
    // it (an evicting cache): what is gathered goes out first.
    if (this.direct && !this.out!.flush()) this.direct = false;
    cache.misses++;
    ds.writePage(r, blk, lsn, cache.buildTarget(), cache.buildOffset(slot));
    cache.built(slot);
    cache.setTag(slot, r, blk, hi, lo);
    return slot;
  }

  /**
   * Write a GetPage response header (V3: 47 bytes, V2: 6) for ring entry i at
   * offset o of the buffer `dv` views (DataView stores: big-endian u32 in one
   * call each, cheaper than byte arithmetic or the bounds-checked Buffer helpers).
   */
  private putHeader(dv: DataView, o: number, i: number, spc: number, db: number, reln: number, fork: number, blk: number, lsnXor: number): void {
    const q = this.q;
    if (this.version === 3) {
      dv.setUint8(o, 0x64); // 'd'
      dv.setUint32(o + 1, 4 + 8234);
      dv.setUint8(o + 5, 102);
      dv.setUint32(o + 6, q.reqidHi[i]!);
      dv.setUint32(o + 10, q.reqidLo[i]!);
      dv.setUint32(o + 14, q.lsnHi[i]!);
      dv.setUint32(o + 18, (q.lsnLo[i]! ^ lsnXor) >>> 0);
      dv.setUint32(o + 22, q.nmsHi[i]!);
      dv.setUint32(o + 26, q.nmsLo[i]!);
      dv.setUint32(o + 30, spc);
      dv.setUint32(o + 34, db);
      dv.setUint32(o + 38, reln);
      dv.setUint8(o + 42, fork);
      dv.setUint32(o + 43, blk);
    } else {
      dv.setUint8(o, 0x64);
      dv.setUint32(o + 1, 4 + 8193);
      dv.setUint8(o + 5, 102);
    }
  }

  /** Read LSN of ring entry i (Lsn::MAX reads at last_record_lsn). */
  private readLsn(i: number, now: number): number {
    const hi = this.q.lsnHi[i]!;
    const lo = this.q.lsnLo[i]!;
    const last = this.core.lastRecordLsn(this.timeline!, now);
    if (hi === 0xffffffff && lo === 0xffffffff) {
      const nms = lsnNum(this.q.nmsHi[i]!, this.q.nmsLo[i]!);
      return nms > last ? nms : last;
    }
    return lsnNum(hi, lo);
  }

  private emitGetPage(i: number, mayFault: boolean, now: number): void {
    const q = this.q;
    const core = this.core;
    const ds = core.ds;
    let fault = F_NONE;
    if (mayFault) {
      if (core.staleRate > 0 && !this.staleChecked) {
        this.staleChecked = true;
        if (core.lastConn >= 0 && core.lastConn !== this.id && core.drawUnit() < core.staleRate) {
          core.countFault(F_STALE);
          this.emitStale();
        }
      }
      if (core.faultAny) fault = core.drawFault();
    }
    let spc = q.spc[i]!;
    let db = q.db[i]!;
    let reln = q.rel[i]!;
    const fork = q.fork[i]!;
    let blk = q.blk[i]!;
    // One-entry memo: consecutive requests usually read the same relation.
    let r: number;
    if (reln === this.memoRel && db === this.memoDb && spc === this.memoSpc && fork === this.memoFork) r = this.memoR;
    else {
      r = ds.find(this.tl, spc, db, reln, fork);
      this.memoSpc = spc;
      this.memoDb = db;
      this.memoRel = reln;
      this.memoFork = fork;
      this.memoR = r;
    }
    if (r < 0 && fork === 0) {
      // Missing main fork: get_rel_size fails (a missing fsm/vm fork has size 0).
      this.emitError(i, READ_ERROR_MESSAGE);
      return;
    }
    let lsnXor = 0;
    switch (fault) {
      case F_NONE:
        break;
      case F_DROP:
        core.countFault(F_DROP);
        return;
      case F_CLOSE:
        // Responses before this one still reach the client (end() flushes them), then FIN.
        core.countFault(F_CLOSE);
        this.finish();
        return;
      case F_ERROR:
        core.countFault(F_ERROR);
        this.emitError(i, READ_ERROR_MESSAGE);
        return;
      case F_SWAP: {
        // Only when the next response can go out right now, so no client ever waits on it.
        const j = q.head & RING_MASK;
        if (q.head !== q.tail && q.tag[j] === 2 && q.status[j] === S_OK && q.due[j]! <= now &&
            ds.find(this.tl, q.spc[j]!, q.db[j]!, q.rel[j]!, q.fork[j]!) >= 0) {
          core.countFault(F_SWAP);
          q.head++;
          this.emitGetPage(j, false, now);
        }
        break;
      }
      case F_WRONG_BLOCK:
        core.countFault(F_WRONG_BLOCK);
        blk = (blk + 1) >>> 0;
        break;
      case F_WRONG_REL: {
        const other = this.otherRelation(r, spc, db, reln, fork);
        if (other >= 0) {
          core.countFault(F_WRONG_REL);
          r = other;
          spc = ds.spc[r]!;
          db = ds.db[r]!;
          reln = ds.rel[r]!;
        }
        break;
      }
      case F_WRONG_LSN:
        core.countFault(F_WRONG_LSN);
        lsnXor = 0x100;
        break;
      case F_CORRUPT:
        break; // applied to the page below
    }
    let slot = -1;
    let page: Buffer = core.zeroPage; // at or past the end: an all-zero page, as the real one
    if (r >= 0 && blk < ds.nblocks[r]!) {
      slot = this.pageSlot(r, blk, this.readLsn(i, now));
      if (slot < 0) page = this.freshPage;
    }
    if (fault === F_CORRUPT) {
      core.countFault(F_CORRUPT);
      const copy = Buffer.allocUnsafe(BLCKSZ);
      if (slot >= 0) core.cache.copyPage(slot, copy, 0);
      else page.copy(copy);
      copy[(24 + core.drawUnit() * (BLCKSZ - 24)) | 0] ^= 0xff;
      page = copy;
      slot = -1;
    }
    const sock = this.socket;
    const cache = core.cache;
    const v3 = this.version === 3;
    let direct = this.direct && (slot >= 0 || page === core.zeroPage);
    if (direct && this.out!.room < 4 && !this.out!.flush()) direct = this.direct = false;
    if (!direct) this.toNode();
    if (!direct && slot >= 0 && !cache.compact && cache.pins[slot] === 0) {
      // Through Node, full page: header written in place in front of the cached page; one chunk, no copy.
      this.putHeader(cache.view, slot * SLOT_STRIDE + (v3 ? V3_HDR_IN_SLOT : V2_HDR_IN_SLOT), i, spc, db, reln, fork, blk, lsnXor);
      cache.pins[slot]++;
      this.pinned[this.pinnedN++] = slot;
      sock.write(cache.frameView(slot, v3));
    } else {
      // Header from our arena; for a compact page, the page's head right after it.
      const h = this.hdrNext;
      this.hdrNext = (h + 1) & (HDR_SLOTS - 1);
      const at = h * HDR_STRIDE;
      this.putHeader(this.hdrView, at + this.hdrAt, i, spc, db, reln, fork, blk, lsnXor);
      const withHead = slot >= 0 && cache.compact;
      if (withHead) {
        const hw = this.hdrWords;
        const cw = cache.words;
        const d = (at + HEAD_AT) >>> 2;
        const c = cache.headOffset(slot) >>> 2;
        hw[d] = cw[c]!;
        hw[d + 1] = cw[c + 1]!;
        hw[d + 2] = cw[c + 2]!;
        hw[d + 3] = cw[c + 3]!;
        hw[d + 4] = cw[c + 4]!;
        hw[d + 5] = cw[c + 5]!;
      }
      const hdrLen = HEAD_AT - this.hdrAt + (withHead ? PAGE_HEAD_BYTES : 0);
      if (direct) {
        const out = this.out!;
        out.add(BASE_HEADERS, at + this.hdrAt, hdrLen);
        if (slot < 0) out.add(BASE_FIXED, 0, BLCKSZ);
        else if (withHead) {
          // The rest of the page: template, this page's stamp, template (the pieces core.templateMid/End view).
          out.add(BASE_FIXED, FIXED_TEMPLATE + TEMPLATE_MID, core.templateMid.length);
          out.add(BASE_CACHE, cache.stampOffset(slot), IDENTITY_STAMP_BYTES);
          out.add(BASE_FIXED, FIXED_TEMPLATE + TEMPLATE_END, core.templateEnd.length);
        } else out.add(BASE_CACHE, cache.pageOffset(slot), BLCKSZ);
      } else {
        let v = this.hdrViews[h];
        if (v === undefined || v.length !== hdrLen) this.hdrViews[h] = v = this.hdrArena.subarray(at + this.hdrAt, at + this.hdrAt + hdrLen);
        sock.write(v);
        if (slot >= 0) {
          // A page view queued in the socket keeps its slot from being rebuilt until 'drain'.
          cache.pins[slot]++;
          this.pinned[this.pinnedN++] = slot;
          if (withHead) {
            sock.write(core.templateMid);
            sock.write(cache.stampView(slot));
            sock.write(core.templateEnd);
          } else sock.write(cache.pageView(slot));
        } else sock.write(page);
      }
    }
    const m = core.metrics.c;
    m[M_RESPONSES + 2]++;
    m[M_BYTES_OUT] += this.version === 3 ? 8239 : 8198;
    if (core.staleRate > 0 && fault === F_NONE) this.remember(i);
  }

  /** Another relation of the same timeline and fork for a 'wrong-rel' fault (-1 if none). */
  private otherRelation(r: number, spc: number, db: number, reln: number, fork: number): number {
    const ds = this.core.ds;
    const t = this.timeline!;
    const n = t.relEnd - t.relStart;
    const start = r >= 0 ? r - t.relStart : 0;
    for (let k = 1; k <= n; k++) {
      const c = t.relStart + ((start + k) % n);
      if (ds.fork[c] === fork && (ds.rel[c] !== reln || ds.db[c] !== db || ds.spc[c] !== spc)) return c;
    }
    return -1;
  }

  private remember(i: number): void {
    const l = this.core.last;
    l[0] = this.q.reqidHi[i]!;
    l[1] = this.q.reqidLo[i]!;
    l[2] = this.q.lsnHi[i]!;
    l[3] = this.q.lsnLo[i]!;
    l[4] = this.q.nmsHi[i]!;
    l[5] = this.q.nmsLo[i]!;
    l[6] = this.q.spc[i]!;
    l[7] = this.q.db[i]!;
    l[8] = this.q.rel[i]!;
    l[9] = this.q.blk[i]!;
    l[10] = this.q.fork[i]!;
    this.core.lastConn = this.id;
  }

  /** 'stale': the response to a GetPage of an earlier connection, sent first on this one. Cold path. */
  private emitStale(): void {
    const core = this.core;
    const l = core.last;
    const r = core.ds.find(this.tl, l[6]!, l[7]!, l[8]!, l[10]!);
    let page = core.zeroPage;
    if (r >= 0 && l[9]! < core.ds.nblocks[r]!) {
      page = Buffer.allocUnsafe(BLCKSZ);
      core.ds.writePage(r, l[9]!, Math.min(core.ds.pageLsn(r, l[9]!), lsnNum(l[2]!, l[3]!)), page, 0);
    }
    const resp: PagestreamResponse = this.version === 3
      ? { kind: 'getpage', hdr: { reqid: fromHiLo(l[0]!, l[1]!), requestLsn: fromHiLo(l[2]!, l[3]!), notModifiedSince: fromHiLo(l[4]!, l[5]!) },
          rel: { spcnode: l[6]!, dbnode: l[7]!, relnode: l[8]!, forknum: l[10]! }, blkno: l[9]!, page }
      : { kind: 'getpage', page };
    this.writeResponse(resp);
  }

  private header(i: number): RequestHeader {
    return {
      reqid: fromHiLo(this.q.reqidHi[i]!, this.q.reqidLo[i]!),
      requestLsn: fromHiLo(this.q.lsnHi[i]!, this.q.lsnLo[i]!),
      notModifiedSince: fromHiLo(this.q.nmsHi[i]!, this.q.nmsLo[i]!),
    };
  }

  private emitError(i: number, message: string): void {
    this.writeResponse({ kind: 'error', hdr: this.header(i), message });
  }

  /** Everything but a successful GetPage: errors, Exists, Nblocks, DbSize, SLRU. Cold path. */
  private emitOther(i: number, now: number): void {
    const st = this.q.status[i]!;
    if (st !== S_OK) {
      this.emitError(i, this.statusMessage(i, st, now));
      return;
    }
    const core = this.core;
    const ds = core.ds;
    const tag = this.q.tag[i]!;
    const hdr = this.header(i);
    const rel = { spcnode: this.q.spc[i]!, dbnode: this.q.db[i]!, relnode: this.q.rel[i]!, forknum: this.q.fork[i]! };
    switch (tag) {
      case 0: {
        const r = ds.find(this.tl, rel.spcnode, rel.dbnode, rel.relnode, rel.forknum);
        this.writeResponse({ kind: 'exists', hdr, rel, exists: r >= 0 });
        return;
      }
      case 1: {
        const r = ds.find(this.tl, rel.spcnode, rel.dbnode, rel.relnode, rel.forknum);
        if (r < 0 && rel.forknum !== 1 && rel.forknum !== 2) {
          this.emitError(i, READ_ERROR_MESSAGE);
          return;
        }
        this.writeResponse({ kind: 'nblocks', hdr, rel, nblocks: r < 0 ? 0 : ds.nblocks[r]! });
        return;
      }
      case 2:
        this.emitGetPage(i, true, now);
        return;
      case 3: {
        const blocks = ds.dbSizeBlocks(this.tl, this.q.db[i]!);
        if (blocks < 0) {
          this.emitError(i, READ_ERROR_MESSAGE);
          return;
        }
        this.writeResponse({ kind: 'dbsize', hdr, dbnode: this.q.db[i]!, dbSize: BigInt(blocks) * BigInt(BLCKSZ) });
        return;
      }
      default:
        // SLRU segments (CLOG, multixact) are not emulated: the pageserver answers an error too when it has none.
        this.emitError(i, this.q.fork[i]! > 2 ? 'Bad request: invalid SLRU kind' : 'Read error');
    }
  }

  private statusMessage(i: number, st: number, now: number): string {
    const req = fromHiLo(this.q.lsnHi[i]!, this.q.lsnLo[i]!);
    const nms = fromHiLo(this.q.nmsHi[i]!, this.q.nmsLo[i]!);
    switch (st) {
      case S_NOT_FOUND:
        return notFoundMessage(this.tenantKnown, this.streamTenant, this.streamTimeline);
      case S_BAD_NMS:
        return badNmsMessage(req, nms);
      case S_BAD_ZERO:
        return BAD_ZERO_LSN_MESSAGE;
      case S_GC:
        return gcMessage(req, BigInt(this.timeline!.gcCutoff));
      case S_TIMEOUT: {
        this.core.metrics.c[M_LSN_TIMEOUTS]++;
        const isMax = this.q.lsnHi[i] === 0xffffffff && this.q.lsnLo[i] === 0xffffffff;
        return lsnTimeoutMessage(isMax ? nms : req, BigInt(this.core.lastRecordLsn(this.timeline!, now)), this.timeline!.walRate > 0);
      }
      default:
        return READ_ERROR_MESSAGE;
    }
  }

  private writeResponse(r: PagestreamResponse): void {
    this.toNode();
    const v = this.version;
    if (v === 2) delete r.hdr;
    const payload = encodeResponse(v, r);
    const env = Buffer.allocUnsafe(5);
    env[0] = Msg.CopyData;
    env.writeInt32BE(4 + payload.length, 1);
    this.socket.write(env);
    this.socket.write(payload);
    const m = this.core.metrics.c;
    m[M_RESPONSES + payload[0]! - 100]++;
    m[M_BYTES_OUT] += 5 + payload.length;
  }

  private endStream(tag: number): void {
    if (tag === T_TERMINATE) {
      this.finish();
      return;
    }
    const msg = this.ctlMessage;
    this.incident(tag === T_COPY_ERROR ? 'unexpected_message' : 'bad_request', msg, false);
    this.fatal(QUERY_ERROR_CODE, msg, null);
  }

  // ------------------------------------------------------------------ endings

  private write(b: Buffer): void {
    this.toNode();
    this.core.metrics.c[M_BYTES_OUT] += b.length;
    this.socket.write(b);
  }

  /** ErrorResponse + ReadyForQuery: the connection stays usable. */
  private queryError(message: string): void {
    this.socket.cork();
    this.write(encodeErrorResponse({ severity: 'ERROR', code: QUERY_ERROR_CODE, message }));
    this.write(encodeReadyForQuery('I'));
    this.socket.uncork();
  }

  /** ErrorResponse, then close after it is flushed. */
  private fatal(code: string, message: string, incidentKind: string | null): void {
    if (incidentKind !== null) this.incident(incidentKind, message, false);
    this.write(encodeErrorResponse({ severity: 'ERROR', code, message }));
    this.finish();
  }

  /** Flush what is queued and close (FIN). */
  private finish(): void {
    if (this.closing) return;
    this.toNode();
    this.closing = true;
    this.state = ST_CLOSED;
    this.socket.end();
  }

  /** One log line per incident; the connection ends, nobody else notices. */
  private incident(kind: string, message: string, destroy = true): void {
    this.core.metrics.c[M_INCIDENTS]++;
    this.core.log.event('warn', kind, { conn: this.id, remote: this.remote, msg: message });
    if (destroy) {
      this.closing = true;
      this.state = ST_CLOSED;
      this.socket.destroy();
    }
  }

  /** Close from the server side (shutdown). */
  destroy(): void {
    this.closing = true;
    this.state = ST_CLOSED;
    this.socket.destroy();
  }

  private cleanup(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    this.unpinAll();
    this.state = ST_CLOSED;
    this.core.metrics.c[M_CONN_ACTIVE]--;
    this.onClosed(this);
  }
}

function get32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
