/**
 * The management API over a configured dataset: tenants × timelines ×
 * databases × relations, each discoverable and served; keys in the real
 * 36-hex format with half-open ranges; Prometheus metrics by kind and version.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID } from '../../src/server/ids.js';
import { openStream, getPageFrame, copyData, requestPayload, relBody, LSN_MAX } from './helpers/raw-client.js';

let emu: PageserverEmulator;
let port: number;
let mgmt: number;
before(async () => {
  emu = new PageserverEmulator({ tenants: 2, timelinesPerTenant: 2, databasesPerTimeline: 2, relationBlocks: [100, 7], log: () => {} });
  ({ port, mgmtPort: mgmt } = await emu.listen());
});
after(() => emu.close());

const get = async (p: string): Promise<any> => {
  const r = await fetch(`http://127.0.0.1:${mgmt}${p}`);
  return { status: r.status, body: await r.json() };
};

/** Parse a 36-hex key into its six fields. */
function fields(k: string): number[] {
  return [k.slice(0, 2), k.slice(2, 10), k.slice(10, 18), k.slice(18, 26), k.slice(26, 28), k.slice(28, 36)].map((x) => parseInt(x, 16));
}

test('every tenant and timeline is listed, and every relation of every database is in its keyspace and served', async () => {
  const tenants = (await get('/v1/tenant')).body as Array<{ id: string }>;
  assert.equal(tenants.length, 2);
  assert.equal(tenants[0]!.id, DEFAULT_TENANT_ID);
  for (const t of tenants) {
    assert.match(t.id, /^[0-9a-f]{32}$/);
    const detail = (await get(`/v1/tenant/${t.id}`)).body as { timelines: string[] };
    assert.equal(detail.timelines.length, 2);
    // A shard-suffixed tenant shard id is accepted in paths.
    const tls = (await get(`/v1/tenant/${t.id}-0001/timeline`)).body as Array<{ timeline_id: string; last_record_lsn: string }>;
    assert.deepEqual(tls.map((x) => x.timeline_id), detail.timelines);
    for (const tl of tls) {
      assert.match(tl.last_record_lsn, /^[0-9A-F]+\/[0-9A-F]{8}$/);
      const ks = (await get(`/v1/tenant/${t.id}/timeline/${tl.timeline_id}/keyspace`)).body as { keys: [string, string][] };
      // Relation block ranges: field1 0, field4 != 0, field6 != 0xFFFFFFFF, half-open [start, end).
      const rels: Array<{ db: number; rel: number; fork: number; n: number }> = [];
      for (const [a, b] of ks.keys) {
        const fa = fields(a);
        const fb = fields(b);
        assert.equal(fa[0], 0);
        if (fa[5] !== 0xffffffff && fa[4] === 0 && fb[3] === fa[3] && fb[4] === 0) rels.push({ db: fa[2]!, rel: fa[3]!, fork: 0, n: fb[5]! - fa[5]! });
      }
      assert.deepEqual(rels.map((r) => `${r.db}/${r.rel}:${r.n}`).sort(), ['16384/16400:100', '16384/16401:7', '16385/16400:100', '16385/16401:7']);
      const c = await openStream(port, 3, t.id, tl.timeline_id);
      for (const r of rels) {
        c.send(getPageFrame(3, { reqid: [0, r.n], lsn: LSN_MAX, nms: [0, 1] }, { spc: 1663, db: r.db, rel: r.rel, fork: 0 }, r.n - 1));
        const f = await c.read(8239);
        assert.deepEqual([f[5], f.readUInt32BE(34), f.readUInt32BE(38), f.readUInt32BE(43)], [102, r.db, r.rel, r.n - 1]);
      }
      c.close();
    }
  }
});

test('a relation size key merges with the next fork\'s blocks into one half-open range, as in the real keyspace', async () => {
  const tl = ((await get(`/v1/tenant/${DEFAULT_TENANT_ID}/timeline`)).body as Array<{ timeline_id: string }>)[0]!.timeline_id;
  const ks = (await get(`/v1/tenant/${DEFAULT_TENANT_ID}/timeline/${tl}/keyspace`)).body as { keys: [string, string][] };
  // Relation 16384/16400: main [0,100) then its size key FFFFFFFF, whose successor is fsm block 0: one range.
  const sizeStart = '00' + '0000067F' + '00004000' + '00004010' + '00' + 'FFFFFFFF';
  const r = ks.keys.find(([a]) => a === sizeStart);
  assert.ok(r, 'a range starts at the main fork size key');
  // Its successor is fsm block 0: the range runs on through the fsm blocks [0, 4).
  const rel = '00' + '0000067F' + '00004000' + '00004010';
  assert.equal(r[1], rel + '01' + '00000004');
  // The fsm size key runs into the vm blocks [0, 1); the vm size key ends at fork 3 block 0.
  assert.deepEqual(ks.keys.find(([a]) => a === rel + '01' + 'FFFFFFFF'), [rel + '01FFFFFFFF', rel + '0200000001']);
  assert.deepEqual(ks.keys.find(([a]) => a === rel + '02' + 'FFFFFFFF'), [rel + '02FFFFFFFF', rel + '0300000000']);
  for (let i = 1; i < ks.keys.length; i++) assert.ok(ks.keys[i - 1]![1] < ks.keys[i]![0], 'sorted, disjoint, not adjacent');
});

test('unknown tenant/timeline and bad ids: 404 / 400 with a message', async () => {
  assert.equal((await get(`/v1/tenant/${'0'.repeat(32)}`)).status, 404);
  assert.equal((await get('/v1/tenant/xyz')).status, 400);
  assert.equal((await get(`/v1/tenant/${DEFAULT_TENANT_ID}/timeline/${'0'.repeat(32)}`)).status, 404);
  assert.match((await get('/v1/nothing')).body.msg, /^NotFound/);
});

test('/metrics: requests by kind and protocol version, bytes in/out, responses by kind', async () => {
  const c = await openStream(port, 2, DEFAULT_TENANT_ID, ((await get(`/v1/tenant/${DEFAULT_TENANT_ID}/timeline`)).body as Array<{ timeline_id: string }>)[0]!.timeline_id);
  const rel = { spc: 1663, db: 16384, rel: 16400, fork: 0 };
  const before = await (await fetch(`http://127.0.0.1:${mgmt}/metrics`)).text();
  const num = (text: string, re: RegExp): number => Number(re.exec(text)![1]);
  c.send(copyData(requestPayload(2, 1, { lsn: LSN_MAX, nms: [0, 1] }, relBody(rel))));
  await c.read(10);
  c.send(getPageFrame(2, { lsn: LSN_MAX, nms: [0, 1] }, rel, 1));
  await c.read(8198);
  const after = await (await fetch(`http://127.0.0.1:${mgmt}/metrics`)).text();
  const d = (re: RegExp): number => num(after, re) - num(before, re);
  assert.equal(d(/pagestream_requests_total\{kind="nblocks",protocol="v2"\} (\d+)/), 1);
  assert.equal(d(/pagestream_requests_total\{kind="getpage",protocol="v2"\} (\d+)/), 1);
  assert.equal(d(/pagestream_requests_total\{kind="getpage",protocol="v3"\} (\d+)/), 0);
  assert.equal(d(/pagestream_responses_total\{kind="getpage"\} (\d+)/), 1);
  assert.equal(d(/pagestream_responses_total\{kind="nblocks"\} (\d+)/), 1);
  assert.equal(d(/pagestream_bytes_received_total (\d+)/), 35 + 39);
  assert.equal(d(/pagestream_bytes_sent_total (\d+)/), 10 + 8198);
  assert.match(after, /# TYPE pagestream_faults_injected_total counter\npagestream_faults_injected_total\{kind="drop"\} 0/);
  c.close();
});
