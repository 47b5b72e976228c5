/**
 * The management API (HTTP, JSON) on the real pageserver's paths (protocol.md §5),
 * plus /metrics (Prometheus text), /v1/faults (ground truth) and
 * /v1/emulator/cpu (this process's CPU time, for benchmarks).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { formatLsn } from '../protocol/text.js';
import { VERSION } from '../version.js';
import type { EmulatorCore } from './core.js';
import type { Timeline } from './dataset.js';
import { timelineKeyspace } from './keyspace.js';

const TENANT_RE = /^([0-9a-fA-F]{32})(?:-([0-9a-fA-F]{4}))?$/;

export function createMgmtServer(core: EmulatorCore): Server {
  return createServer((req, res) => {
    try {
      route(core, req, res);
    } catch (e) {
      send(res, 500, { msg: `InternalServerError: ${(e as Error).message}` });
    }
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function lsnText(n: number): string {
  return formatLsn(BigInt(n));
}

function timelineInfo(core: EmulatorCore, t: Timeline): Record<string, unknown> {
  const last = core.lastRecordLsn(t, performance.now());
  let blocks = 0;
  for (let r = t.relStart; r < t.relEnd; r++) blocks += core.ds.nblocks[r]!;
  return {
    tenant_id: t.tenantId,
    timeline_id: t.timelineId,
    ancestor_timeline_id: null,
    ancestor_lsn: null,
    last_record_lsn: lsnText(last),
    prev_record_lsn: null,
    disk_consistent_lsn: lsnText(last),
    remote_consistent_lsn: lsnText(last),
    remote_consistent_lsn_visible: lsnText(last),
    initdb_lsn: lsnText(Math.min(t.initialLsn, 0x0169_ad58)),
    latest_gc_cutoff_lsn: lsnText(t.gcCutoff),
    current_logical_size: blocks * 8192,
    current_physical_size: blocks * 8192,
    pg_version: t.pgVersion,
    state: 'Active',
    walreceiver_status: core.opts.walRate > 0 ? 'Connected' : 'Not active',
  };
}

function route(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname.replace(/\/+$/, '');
  if (req.method !== 'GET') {
    send(res, 405, { msg: `MethodNotAllowed: ${req.method} ${path}` });
    return;
  }
  if (path === '/metrics') {
    const c = core.cache;
    const text = core.metrics.render({ cacheHits: c.hits, cacheMisses: c.misses, cacheBypasses: c.bypasses, cacheSlots: c.slots });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
    return;
  }
  if (path === '/v1/status') return send(res, 200, { id: 1, emulator: 'pagestream-bench', version: VERSION });
  if (path === '/v1/emulator/cpu') {
    const u = process.cpuUsage();
    return send(res, 200, { pid: process.pid, userUs: u.user, systemUs: u.system });
  }
  const parts = path.split('/');
  // ['', 'v1', 'tenant', id, 'timeline', tl, 'keyspace']
  // With --http-auth jwt the API wants a Bearer token (as a pageserver with http_auth_type NeonJWT):
  // scope pageserverapi for everything, scope tenant for that tenant's paths.
  // /v1/status and /metrics stay open, as on the real one.
  if (core.opts.httpAuth === 'jwt' && !authorized(core, req, res, parts[2] === 'tenant' ? parts[3] : undefined)) return;
  if (path === '/v1/faults') return send(res, 200, core.groundTruth());
  if (path === '/v1/tenant') {
    return send(res, 200, core.ds.tenants.map((t) => tenantSummary(core, t.id, t.timelines)));
  }
  if (parts[1] !== 'v1' || parts[2] !== 'tenant' || parts.length < 4) return send(res, 404, { msg: `NotFound: no route ${path}` });
  const m = TENANT_RE.exec(parts[3]!);
  if (!m) return send(res, 400, { msg: `BadRequest: cannot parse tenant shard id ${JSON.stringify(parts[3])}` });
  const tenantId = m[1]!.toLowerCase();
  const tenant = core.ds.tenants.find((t) => t.id === tenantId);
  if (!tenant) return send(res, 404, { msg: `NotFound: tenant ${tenantId}` });
  if (parts.length === 4) {
    return send(res, 200, { ...tenantSummary(core, tenant.id, tenant.timelines), timelines: tenant.timelines.map((t) => t.timelineId) });
  }
  if (parts[4] !== 'timeline') return send(res, 404, { msg: `NotFound: no route ${path}` });
  if (parts.length === 5) return send(res, 200, tenant.timelines.map((t) => timelineInfo(core, t)));
  const tl = tenant.timelines.find((t) => t.timelineId === parts[5]!.toLowerCase());
  if (!tl) return send(res, 404, { msg: `NotFound: timeline ${tenantId}/${parts[5]}` });
  if (parts.length === 6) return send(res, 200, timelineInfo(core, tl));
  if (parts[6] === 'keyspace' && parts.length === 7) {
    return send(res, 200, {
      at_lsn: lsnText(core.lastRecordLsn(tl, performance.now())),
      keys: timelineKeyspace(core.ds, tl),
      sparse_keys: [],
    });
  }
  send(res, 404, { msg: `NotFound: no route ${path}` });
}

/** True when the request may go on; otherwise the 401/403 answer has been sent. */
function authorized(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, tenantPart: string | undefined): boolean {
  const h = req.headers.authorization;
  if (!h || !/^Bearer\s+/i.test(h)) {
    send(res, 401, { msg: 'Unauthorized: missing authorization header' });
    return false;
  }
  let claims;
  try {
    claims = core.jwt!.verify(h.replace(/^Bearer\s+/i, '').trim());
  } catch (e) {
    send(res, 401, { msg: `Unauthorized: malformed jwt token: ${(e as Error).message}` });
    return false;
  }
  if (claims.scope === 'pageserverapi') return true;
  const tenant = tenantPart === undefined ? undefined : TENANT_RE.exec(tenantPart)?.[1]?.toLowerCase();
  if (claims.scope === 'tenant' && tenant !== undefined && claims.tenant_id?.toLowerCase() === tenant) return true;
  send(res, 403, { msg: 'Forbidden: JWT authentication error' });
  return false;
}

function tenantSummary(core: EmulatorCore, id: string, timelines: Timeline[]): Record<string, unknown> {
  let blocks = 0;
  for (const t of timelines) for (let r = t.relStart; r < t.relEnd; r++) blocks += core.ds.nblocks[r]!;
  return {
    id,
    state: { slug: 'Active' },
    current_physical_size: blocks * 8192,
    attachment_status: { slug: 'attached', data: { generation: 1 } },
    generation: 1,
  };
}
