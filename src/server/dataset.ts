/**
 * What the emulator serves: tenants × timelines × relations, as struct-of-arrays
 * columns indexed by a global relation index, with an open-addressing lookup
 * from (timeline, RelTag) to that index (no Map, no string keys on the hot path).
 *
 * Two sources of page images:
 *  - synthetic: `buildPage` images (valid header, checksum, identity stamp),
 *    pd_lsn = min(a fixed per-block LSN at or below the timeline's initial LSN,
 *    the read LSN), so a page is never newer than the LSN it is read at;
 *  - pgdata: the bytes of a stopped PostgreSQL data directory,
 *    base/<db>/<relfilenode>[_fsm|_vm|_init][.N] (1 GiB segments).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../protocol/errors.js';
import { buildPage, BLCKSZ } from '../protocol/page.js';
import type { EmulatorOptions } from './config.js';
import { DEFAULTTABLESPACE_OID, FIRST_USER_DB_OID, GLOBALTABLESPACE_OID, tenantIdOf, timelineIdOf, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from './ids.js';

/** PostgreSQL RELSEG_SIZE: blocks per 1 GiB segment file. */
export const RELSEG_BLOCKS = 131072;
const TWO32 = 4294967296;
/** Upper bound on generated relations (each costs ~100 bytes of tables and a keyspace entry). */
const MAX_RELATIONS = 1_000_000;

export interface Timeline {
  index: number;
  tenantIndex: number;
  tenantId: string;
  timelineId: string;
  /** last_record_lsn at `startMs`, as a number (exact below 2^53). */
  initialLsn: number;
  walRate: number;
  gcCutoff: number;
  startMs: number;
  /** Relation indexes [relStart, relEnd) belong to this timeline. */
  relStart: number;
  relEnd: number;
  pgVersion: number;
}

export interface Tenant {
  index: number;
  id: string;
  timelines: Timeline[];
}

export class Dataset {
  readonly tenants: Tenant[] = [];
  readonly timelines: Timeline[] = [];
  relCount = 0;
  spc = new Uint32Array(0);
  db = new Uint32Array(0);
  rel = new Uint32Array(0);
  fork = new Uint8Array(0);
  nblocks = new Uint32Array(0);
  timelineOf = new Uint32Array(0);
  /** pgdata only: per relation, the segment file paths (index = segment number). */
  segPaths: string[][] = [];
  private segFds: number[][] = [];
  readonly pgdata: boolean;
  // Open-addressing table: slot -> relIndex + 1 (0 = empty).
  private table = new Int32Array(0);
  private tmask = 0;

  constructor(pgdata: boolean) {
    this.pgdata = pgdata;
  }

  static synthetic(o: EmulatorOptions, startMs: number): Dataset {
    const rels0 = o.tenants * o.timelinesPerTenant * o.databasesPerTimeline * o.relationBlocks.length;
    if (rels0 > MAX_RELATIONS) {
      throw new UsageError(`--tenants x --timelines x --databases x relations = ${rels0} relations, more than ${MAX_RELATIONS}`);
    }
    const ds = new Dataset(false);
    const rels: Array<[number, number, number, number, number, number]> = [];
    for (let t = 0; t < o.tenants; t++) {
      const tenant: Tenant = { index: t, id: tenantIdOf(t), timelines: [] };
      for (let l = 0; l < o.timelinesPerTenant; l++) {
        const tl: Timeline = {
          index: ds.timelines.length, tenantIndex: t, tenantId: tenant.id, timelineId: timelineIdOf(t, l),
          initialLsn: Number(o.initialLsn), walRate: o.walRate, gcCutoff: Number(o.gcCutoff), startMs,
          relStart: rels.length, relEnd: 0, pgVersion: 15,
        };
        for (let d = 0; d < o.databasesPerTimeline; d++) {
          const dbnode = FIRST_USER_DB_OID + d;
          o.relationBlocks.forEach((n, k) => {
            const relnode = 16400 + k;
            rels.push([tl.index, DEFAULTTABLESPACE_OID, dbnode, relnode, 0, n]);
            // Free-space map and visibility map forks, sized roughly as PostgreSQL sizes them.
            if (n > 0) {
              rels.push([tl.index, DEFAULTTABLESPACE_OID, dbnode, relnode, 1, 3 + Math.ceil(n / 4069)]);
              rels.push([tl.index, DEFAULTTABLESPACE_OID, dbnode, relnode, 2, Math.ceil(n / 32672)]);
            }
          });
        }
        tl.relEnd = rels.length;
        tenant.timelines.push(tl);
        ds.timelines.push(tl);
      }
      ds.tenants.push(tenant);
    }
    ds.fill(rels);
    return ds;
  }

  /** Scan a stopped PostgreSQL data directory: one tenant, one timeline. */
  static fromPgdata(dir: string, o: EmulatorOptions, startMs: number): Dataset {
    if (!existsSync(join(dir, 'PG_VERSION')) || !existsSync(join(dir, 'base'))) {
      throw new UsageError(`--pgdata: ${dir} is not a PostgreSQL data directory (no PG_VERSION or base/)`);
    }
    if (existsSync(join(dir, 'postmaster.pid'))) {
      throw new UsageError(`--pgdata: ${dir} has a postmaster.pid: stop the server first (its pages must not change under us)`);
    }
    const ds = new Dataset(true);
    const pgVersion = parseInt(readFileSync(join(dir, 'PG_VERSION'), 'utf8'), 10) || 15;
    const lsn = readCheckpointLsn(dir);
    const tl: Timeline = {
      index: 0, tenantIndex: 0, tenantId: DEFAULT_TENANT_ID, timelineId: DEFAULT_TIMELINE_ID,
      initialLsn: lsn, walRate: o.walRate, gcCutoff: Number(o.gcCutoff), startMs, relStart: 0, relEnd: 0, pgVersion,
    };
    const files = new Map<string, { spc: number; db: number; rel: number; fork: number; segs: Array<[number, string, number]> }>();
    const scan = (sub: string, spc: number, db: number): void => {
      for (const name of readdirSync(sub)) {
        const m = /^(\d+)(?:_(fsm|vm|init))?(?:\.(\d+))?$/.exec(name);
        if (!m) continue;
        const path = join(sub, name);
        const st = statSync(path);
        if (!st.isFile()) continue;
        const rel = Number(m[1]);
        const fork = m[2] === 'fsm' ? 1 : m[2] === 'vm' ? 2 : m[2] === 'init' ? 3 : 0;
        const seg = m[3] === undefined ? 0 : Number(m[3]);
        const key = `${spc}/${db}/${rel}/${fork}`;
        let e = files.get(key);
        if (!e) files.set(key, (e = { spc, db, rel, fork, segs: [] }));
        e.segs.push([seg, path, st.size]);
      }
    };
    const base = join(dir, 'base');
    for (const dbName of readdirSync(base)) if (/^\d+$/.test(dbName)) scan(join(base, dbName), DEFAULTTABLESPACE_OID, Number(dbName));
    if (existsSync(join(dir, 'global'))) scan(join(dir, 'global'), GLOBALTABLESPACE_OID, 0);
    const rels: Array<[number, number, number, number, number, number]> = [];
    const sorted = [...files.values()].sort((a, b) => a.db - b.db || a.rel - b.rel || a.fork - b.fork);
    for (const e of sorted) {
      e.segs.sort((a, b) => a[0] - b[0]);
      // Sizes from file lengths: full segments before the last, as md.c lays them out.
      let blocks = 0;
      const paths: string[] = [];
      for (let i = 0; i < e.segs.length; i++) {
        const [seg, path, size] = e.segs[i]!;
        if (seg !== i) throw new UsageError(`--pgdata: ${path}: segment ${i} of relation ${e.rel} is missing`);
        paths.push(path);
        blocks = i * RELSEG_BLOCKS + Math.floor(size / BLCKSZ);
      }
      rels.push([0, e.spc, e.db, e.rel, e.fork, blocks]);
      ds.segPaths.push(paths);
    }
    tl.relEnd = rels.length;
    ds.timelines.push(tl);
    ds.tenants.push({ index: 0, id: tl.tenantId, timelines: [tl] });
    ds.fill(rels);
    ds.segFds = ds.segPaths.map(() => []);
    return ds;
  }

  private fill(rels: Array<[number, number, number, number, number, number]>): void {
    const n = rels.length;
    this.relCount = n;
    this.timelineOf = new Uint32Array(n);
    this.spc = new Uint32Array(n);
    this.db = new Uint32Array(n);
    this.rel = new Uint32Array(n);
    this.fork = new Uint8Array(n);
    this.nblocks = new Uint32Array(n);
    let size = 16;
    while (size < n * 2) size <<= 1;
    this.table = new Int32Array(size);
    this.tmask = size - 1;
    rels.forEach(([tl, spc, db, rel, fork, nb], i) => {
      this.timelineOf[i] = tl;
      this.spc[i] = spc;
      this.db[i] = db;
      this.rel[i] = rel;
      this.fork[i] = fork;
      this.nblocks[i] = nb;
      let s = relHash(tl, spc, db, rel, fork) & this.tmask;
      while (this.table[s] !== 0) s = (s + 1) & this.tmask;
      this.table[s] = i + 1;
    });
  }

  /** Relation index of (timeline, RelTag), or -1. Hot path: no allocation. */
  find(tl: number, spc: number, db: number, rel: number, fork: number): number {
    let s = relHash(tl, spc, db, rel, fork) & this.tmask;
    for (;;) {
      const e = this.table[s]!;
      if (e === 0) return -1;
      const i = e - 1;
      if (this.rel[i] === rel && this.db[i] === db && this.spc[i] === spc && this.fork[i] === fork && this.timelineOf[i] === tl) return i;
      s = (s + 1) & this.tmask;
    }
  }

  /** Does the timeline have any relation in database `db` (DbSize of a missing db is an error)? Cold path. */
  dbSizeBlocks(tl: number, db: number): number {
    const t = this.timelines[tl]!;
    let found = false;
    let blocks = 0;
    for (let i = t.relStart; i < t.relEnd; i++) {
      if (this.db[i] === db && this.spc[i] === DEFAULTTABLESPACE_OID) {
        found = true;
        blocks += this.nblocks[i]!;
      }
    }
    return found ? blocks : -1;
  }

  /** Synthetic pd_lsn of block `blkno` of relation `r` (before clamping to the read LSN). */
  pageLsn(r: number, blkno: number): number {
    const tl = this.timelines[this.timelineOf[r]!]!;
    const span = Math.min(Math.floor(tl.initialLsn / 2), 32 * 1024 * 1024);
    let h = Math.imul(r + 1, 0x9e3779b1) ^ Math.imul(blkno + 1, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = (h ^ (h >>> 13)) >>> 0;
    // 8-byte aligned, as WAL record LSNs are.
    return span > 8 ? tl.initialLsn - ((h % span) & ~7) : tl.initialLsn;
  }

  /**
   * Write the image of block `blkno` of relation `r` as of `lsn` (synthetic:
   * its pd_lsn) into out[off, off+8192).
   */
  writePage(r: number, blkno: number, lsn: number, out: Buffer, off: number): void {
    if (!this.pgdata) {
      buildPage(out, off, {
        spcnode: this.spc[r]!, dbnode: this.db[r]!, relnode: this.rel[r]!, forknum: this.fork[r]!, blkno,
        lsnHi: Math.floor(lsn / TWO32), lsnLo: lsn >>> 0,
      });
      return;
    }
    const seg = Math.floor(blkno / RELSEG_BLOCKS);
    const fds = this.segFds[r]!;
    let fd = fds[seg];
    if (fd === undefined) fds[seg] = fd = openSync(this.segPaths[r]![seg]!, 'r');
    const n = readSync(fd, out, off, BLCKSZ, (blkno % RELSEG_BLOCKS) * BLCKSZ);
    if (n < BLCKSZ) out.fill(0, off + n, off + BLCKSZ);
  }

  close(): void {
    for (const fds of this.segFds) for (const fd of fds) if (fd !== undefined) closeSync(fd);
    this.segFds = this.segPaths.map(() => []);
  }

  timelineByIds(tenantId: string, timelineId: string): Timeline | undefined {
    for (const t of this.timelines) if (t.tenantId === tenantId && t.timelineId === timelineId) return t;
    return undefined;
  }
}

function relHash(tl: number, spc: number, db: number, rel: number, fork: number): number {
  let h = Math.imul(rel ^ 0x9e3779b1, 0x85ebca6b);
  h = Math.imul(h ^ db ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ spc ^ (fork << 24) ^ (tl << 3) ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The checkpoint LSN from global/pg_control (ControlFileData.checkPoint, a
 * little-endian u64 at offset 32): after a clean shutdown no page is newer.
 */
function readCheckpointLsn(dir: string): number {
  try {
    const b = readFileSync(join(dir, 'global', 'pg_control'));
    return b.readUInt32LE(36) * TWO32 + b.readUInt32LE(32);
  } catch {
    throw new UsageError(`--pgdata: cannot read ${join(dir, 'global', 'pg_control')}`);
  }
}
