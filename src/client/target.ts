/**
 * Resolve what to measure before measuring: start the embedded emulator or
 * parse --target, discover the timeline and relations (--mgmt), choose the
 * LSNs, and run the pre-flight — Nblocks of each target relation over a real
 * page stream — so that an unknown tenant, timeline or relation is one clear
 * error (exit 2) before any load is generated.
 */
import { TargetError, UsageError } from '../protocol/errors.js';
import { formatRelTag, parseId, parseLsn, parseRelTag, formatLsn } from '../protocol/text.js';
import type { RelTag } from '../protocol/text.js';
import { LSN_MAX } from '../protocol/u64.js';
import type { PagestreamVersion } from '../protocol/pagestream.js';
import type { ConnectionTarget } from './connection.js';
import { discoverRelations, discoverTimeline, setManagementToken } from './discovery.js';
import { PagestreamSession } from './session.js';
import type { TargetRelation } from './task.js';
import type { RunOptions } from './options.js';

export interface EmulatorHandle {
  host: string;
  port: number;
  mgmtPort: number;
  pid: number;
  stop(): Promise<void>;
  cpuUsage(): Promise<{ userUs: number; systemUs: number }>;
}

export interface ResolvedTarget {
  conn: ConnectionTarget;
  /** For the result: URL without password, or 'embedded'. */
  display: string;
  mgmt?: string;
  emulator?: EmulatorHandle;
  rels: TargetRelation[];
  requestLsn: bigint;
  notModifiedSince: bigint;
  lsnSource: string;
}

/** Parse postgres://[user[:password]@]host:port; the password (a JWT) never leaves this object. */
export function parseTargetUrl(text: string): { host: string; port: number; user: string; database: string; password?: string; display: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--target: not a URL (expected postgres://[user[:password]@]host:port)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new UsageError(`--target: scheme must be postgres:// (got ${u.protocol}//)`);
  if (!u.hostname) throw new UsageError('--target: no host');
  const port = u.port ? Number(u.port) : 64000;
  const password = u.password ? decodeURIComponent(u.password) : process.env.PAGESERVER_JWT || undefined;
  const user = u.username ? decodeURIComponent(u.username) : 'postgres';
  const database = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : 'postgres';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port, user, database, password, display: `postgres://${u.username ? encodeURIComponent(user) + '@' : ''}${u.host}${u.pathname.length > 1 ? u.pathname : ''}` };
}

async function startEmbedded(args: string[]): Promise<EmulatorHandle> {
  let mod: { startEmulatorProcess?: (o: { args?: string[] }) => Promise<EmulatorHandle> };
  try {
    mod = (await import('../server/process.js' as string)) as typeof mod;
  } catch (e) {
    throw new TargetError('ERR_NO_EMULATOR', `the embedded emulator is not available in this build (${(e as Error).message.split('\n')[0]}); give --target`);
  }
  if (typeof mod.startEmulatorProcess !== 'function') throw new TargetError('ERR_NO_EMULATOR', 'the embedded emulator module has no startEmulatorProcess');
  return mod.startEmulatorProcess({ args });
}

export async function resolveTarget(o: RunOptions, version: PagestreamVersion): Promise<ResolvedTarget> {
  const timeoutMs = Math.max(1000, o.timeoutS * 1000);
  let emulator: EmulatorHandle | undefined;
  let conn: ConnectionTarget;
  let display: string;
  let mgmt = o.mgmt;
  if (o.oracle && o.target !== undefined) throw new UsageError('oracle checks need the embedded emulator (its pages carry an identity stamp); drop --target');
  if (o.target === undefined) {
    // --prefill: build every page before listening, so no variant (the first
    // one of round 1 above all) pays page generation inside its measurement.
    // --quiet: the emulator's incident log (e.g. our own closes) stays off our stderr.
    emulator = await startEmbedded(['--prefill', '--quiet', ...o.emulatorArgs]);
    mgmt ??= `http://${emulator.host}:${emulator.mgmtPort}`;
    conn = { host: emulator.host, port: emulator.port, user: 'postgres', database: 'postgres', password: process.env.PAGESERVER_JWT || undefined, tenant: '', timeline: '' };
    display = 'embedded';
  } else {
    const t = parseTargetUrl(o.target);
    conn = { host: t.host, port: t.port, user: t.user, database: t.database, password: t.password, tenant: '', timeline: '' };
    display = t.display;
  }
  try {
    let tenant = o.tenant === undefined ? undefined : parseId(o.tenant, 'tenant id');
    let timeline = o.timeline === undefined ? undefined : parseId(o.timeline, 'timeline id');
    let lastRecordLsn: bigint | undefined;
    let gcCutoff: bigint | undefined;
    let discovered: Array<RelTag & { blocks: number }> = [];
    if (mgmt !== undefined) {
      setManagementToken(conn.password);
      const tl = await discoverTimeline(mgmt, tenant, timeline, timeoutMs);
      tenant = tl.tenant;
      timeline = tl.timeline;
      if (tl.lastRecordLsn) lastRecordLsn = parseLsn(tl.lastRecordLsn);
      if (tl.gcCutoffLsn) gcCutoff = parseLsn(tl.gcCutoffLsn);
      if (o.rels.length === 0) discovered = await discoverRelations(mgmt, tl.tenantShardId, tl.timeline, timeoutMs);
    }
    if (tenant === undefined || timeline === undefined) throw new UsageError('--target needs --tenant and --timeline, or --mgmt to discover them');
    conn.tenant = tenant;
    conn.timeline = timeline;
    const rels: RelTag[] = o.rels.length > 0 ? o.rels.map((r) => parseRelTag(r)) : discovered;
    if (rels.length === 0) throw new UsageError(mgmt ? `no relations with blocks found through ${mgmt}; give --rel` : '--target needs --rel spc/db/rel (repeatable), or --mgmt to discover relations');
    const { requestLsn, notModifiedSince, lsnSource } = chooseLsns(o.lsn, lastRecordLsn, gcCutoff);
    const sized = await preflight(conn, version, rels, requestLsn, notModifiedSince, timeoutMs);
    return { conn, display, mgmt, emulator, rels: sized, requestLsn, notModifiedSince, lsnSource };
  } catch (e) {
    await emulator?.stop();
    throw e;
  }
}

/**
 * latest: request_lsn = Lsn::MAX with not_modified_since = last_record_lsn (a primary);
 * replica: request_lsn = last_record_lsn, not_modified_since older (the GC cutoff, when known), as a standby;
 * X/Y: both at that LSN.
 */
export function chooseLsns(lsn: string, last: bigint | undefined, gcCutoff: bigint | undefined): { requestLsn: bigint; notModifiedSince: bigint; lsnSource: string } {
  if (lsn === 'latest') {
    return { requestLsn: LSN_MAX, notModifiedSince: last ?? 0n, lsnSource: last === undefined ? 'latest; last_record_lsn unknown (no --mgmt): not_modified_since 0/0' : `latest; not_modified_since = last_record_lsn ${formatLsn(last)}` };
  }
  if (lsn === 'replica') {
    if (last === undefined) throw new UsageError('--lsn replica needs the timeline\'s last_record_lsn: give --mgmt');
    const nms = gcCutoff !== undefined && gcCutoff > 0n && gcCutoff <= last ? gcCutoff : last;
    return { requestLsn: last, notModifiedSince: nms, lsnSource: `replica; request_lsn = last_record_lsn ${formatLsn(last)}, not_modified_since ${formatLsn(nms)}` };
  }
  let v: bigint;
  try {
    v = parseLsn(lsn);
  } catch {
    throw new UsageError(`--lsn: ${JSON.stringify(lsn)} is not latest, replica or an LSN X/Y (e.g. 0/169AD58)`);
  }
  if (v === 0n) throw new UsageError('--lsn: 0/0 is not a valid request LSN');
  return { requestLsn: v, notModifiedSince: v, lsnSource: `fixed ${formatLsn(v)}` };
}

/** Nblocks of each relation over one page stream; any failure is a TargetError naming the relation. */
export async function preflight(
  conn: ConnectionTarget, version: PagestreamVersion, rels: RelTag[], requestLsn: bigint, nms: bigint, timeoutMs: number,
): Promise<TargetRelation[]> {
  const where = `${conn.host}:${conn.port}`;
  const session = await PagestreamSession.open(conn, version, timeoutMs);
  const out: TargetRelation[] = [];
  try {
    let reqid = 1n;
    for (const rel of rels) {
      const name = formatRelTag(rel);
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new TargetError('ERR_TIMEOUT', `${where}: no answer to Nblocks of ${name} within ${timeoutMs} ms`)), timeoutMs).unref());
      let res;
      try {
        res = await Promise.race([session.request({ kind: 'nblocks', hdr: { reqid: reqid++, requestLsn, notModifiedSince: nms }, rel }), timer]);
      } catch (e) {
        if (e instanceof TargetError && e.code === 'ERR_CLOSED') {
          throw new TargetError('ERR_NOT_FOUND', `${where} closed the page stream on Nblocks of ${name} (tenant ${conn.tenant} / timeline ${conn.timeline} unknown?)`);
        }
        throw e;
      }
      if (res.kind === 'error') throw new TargetError('ERR_NOT_FOUND', `relation ${name} in tenant ${conn.tenant} timeline ${conn.timeline}: ${res.message}`);
      if (res.kind !== 'nblocks') throw new TargetError('ERR_PROTOCOL', `${where} answered Nblocks of ${name} with a ${res.kind} response`);
      out.push({ spcnode: rel.spcnode, dbnode: rel.dbnode, relnode: rel.relnode, forknum: rel.forknum, nblocks: res.nblocks });
    }
  } finally {
    session.close();
  }
  const nonEmpty = out.filter((r) => r.nblocks > 0);
  if (nonEmpty.length === 0) throw new TargetError('ERR_EMPTY', `every target relation is empty (Nblocks 0): ${rels.map(formatRelTag).join(', ')}`);
  return nonEmpty;
}
