/**
 * Target discovery through the pageserver's HTTP management API (protocol.md
 * §5), as Neon's pagebench does: tenants -> timelines (with last_record_lsn) ->
 * keyspace -> relations that have blocks. Cold path; every request is bounded
 * by a timeout, and every failure is a TargetError saying which URL and why.
 */
import { TargetError } from '../protocol/errors.js';
import type { RelTag } from '../protocol/text.js';

export interface TimelineInfo {
  tenant: string;
  timeline: string;
  lastRecordLsn?: string;
  gcCutoffLsn?: string;
}

/** Bearer token for the management API: a pageserver with auth wants the same JWT there. Never logged. */
let bearer: string | undefined;
export function setManagementToken(jwt: string | undefined): void {
  bearer = jwt;
}

async function getJson(base: string, path: string, timeoutMs: number): Promise<unknown> {
  const url = base.replace(/\/+$/, '') + path;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new TargetError('ERR_MGMT_UNREACHABLE', `management API ${url}: ${err.cause?.code ?? err.name === 'TimeoutError' ? 'no answer within ' + timeoutMs + ' ms' : err.message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.slice(0, 200);
    try {
      msg = (JSON.parse(text) as { msg?: string }).msg ?? msg;
    } catch { /* not JSON */ }
    throw new TargetError(res.status === 404 ? 'ERR_NOT_FOUND' : 'ERR_MGMT', `management API ${url}: HTTP ${res.status}${msg ? ' ' + msg.trim() : ''}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TargetError('ERR_MGMT', `management API ${url}: answer is not JSON`);
  }
}

/** Strip a shard suffix (`<tenant>-<shard:02x><count:02x>`) for the page-stream command. */
function plainTenant(id: string): string {
  return id.split('-')[0]!.toLowerCase();
}

/** Choose the tenant and timeline: the given ones, else the first the API lists. */
export async function discoverTimeline(mgmt: string, tenant: string | undefined, timeline: string | undefined, timeoutMs: number): Promise<TimelineInfo & { tenantShardId: string }> {
  let tenantShardId = tenant;
  if (tenantShardId === undefined) {
    const list = (await getJson(mgmt, '/v1/tenant', timeoutMs)) as Array<{ id: string }>;
    if (!Array.isArray(list) || list.length === 0) throw new TargetError('ERR_NOT_FOUND', `management API ${mgmt}: no tenants`);
    tenantShardId = list[0]!.id;
  }
  const tls = (await getJson(mgmt, `/v1/tenant/${tenantShardId}/timeline`, timeoutMs)) as Array<{ timeline_id: string; last_record_lsn?: string; latest_gc_cutoff_lsn?: string }>;
  if (!Array.isArray(tls) || tls.length === 0) throw new TargetError('ERR_NOT_FOUND', `management API ${mgmt}: tenant ${tenantShardId} has no timelines`);
  const tl = timeline === undefined ? tls[0]! : tls.find((t) => t.timeline_id === timeline);
  if (!tl) throw new TargetError('ERR_NOT_FOUND', `timeline ${timeline} not found in tenant ${tenantShardId} (management API ${mgmt})`);
  return {
    tenant: plainTenant(tenantShardId), tenantShardId, timeline: tl.timeline_id,
    lastRecordLsn: tl.last_record_lsn, gcCutoffLsn: tl.latest_gc_cutoff_lsn,
  };
}

interface Key { f1: number; f2: number; f3: number; f4: number; f5: number; f6: number }

function parseKey(hex: string): Key {
  if (!/^[0-9A-Fa-f]{36}$/.test(hex)) throw new TargetError('ERR_MGMT', `keyspace key ${JSON.stringify(hex)} is not 36 hex characters`);
  const n = (a: number, b: number): number => parseInt(hex.slice(a, b), 16);
  return { f1: n(0, 2), f2: n(2, 10), f3: n(10, 18), f4: n(18, 26), f5: n(26, 28), f6: n(28, 36) };
}

const sameRel = (a: Key, b: Key): boolean => a.f1 === b.f1 && a.f2 === b.f2 && a.f3 === b.f3 && a.f4 === b.f4 && a.f5 === b.f5;
/** Strictly-before in the key ordering, compared field by field. */
function before(a: Key, b: Key): boolean {
  const fa = [a.f1 & 0x7f, a.f2, a.f3, a.f4, a.f5, a.f6];
  const fb = [b.f1 & 0x7f, b.f2, b.f3, b.f4, b.f5, b.f6];
  for (let i = 0; i < 6; i++) if (fa[i] !== fb[i]) return fa[i]! < fb[i]!;
  return false;
}
/** The key after a relation-size key: block 0 of the next fork / relation in key order. */
function afterRel(k: Key): Key {
  if (k.f5 < 0xff) return { ...k, f5: k.f5 + 1, f6: 0 };
  return { ...k, f4: k.f4 + 1, f5: 0, f6: 0 };
}

/** Relations with blocks, from the keyspace: RelTag and the highest block seen + 1. */
export function relationsFromKeyspace(keys: Array<[string, string]>): Array<RelTag & { blocks: number }> {
  const out = new Map<string, RelTag & { blocks: number }>();
  for (const [s, e] of keys) {
    let cur = parseKey(s);
    const end = parseKey(e);
    for (let guard = 0; guard < 100000 && before(cur, end); guard++) {
      if (cur.f1 !== 0x00) break; // not relation data; nothing after it is either
      if (cur.f4 === 0) { cur = { ...cur, f4: 1, f5: 0, f6: 0 }; continue; }
      if (cur.f6 === 0xffffffff) { cur = afterRel(cur); continue; }
      const stop = sameRel(cur, end) ? end.f6 : 0xffffffff;
      if (stop > cur.f6) {
        const id = `${cur.f2}/${cur.f3}/${cur.f4}.${cur.f5}`;
        const prev = out.get(id);
        const blocks = Math.max(prev?.blocks ?? 0, stop === 0xffffffff ? cur.f6 + 1 : stop);
        out.set(id, { spcnode: cur.f2, dbnode: cur.f3, relnode: cur.f4, forknum: cur.f5, blocks });
      }
      if (stop !== 0xffffffff) break;
      cur = afterRel(cur);
    }
  }
  return [...out.values()];
}

export async function discoverRelations(mgmt: string, tenantShardId: string, timeline: string, timeoutMs: number): Promise<Array<RelTag & { blocks: number }>> {
  const ks = (await getJson(mgmt, `/v1/tenant/${tenantShardId}/timeline/${timeline}/keyspace`, timeoutMs)) as { keys?: Array<[string, string]> };
  if (!ks || !Array.isArray(ks.keys)) throw new TargetError('ERR_MGMT', `management API ${mgmt}: keyspace answer has no "keys"`);
  return relationsFromKeyspace(ks.keys);
}
