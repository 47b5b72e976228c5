/**
 * --pgdata: pages served from a stopped PostgreSQL 15 data directory equal
 * the file's pages byte for byte, and their data checksums verify.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { verifyPageChecksum } from '../../src/protocol/page.js';
import { PgCluster } from './helpers/pg-cluster.js';
import { openStream, getPageFrame, copyData, requestPayload, relBody, u32, u8, u64, LSN_MAX } from './helpers/raw-client.js';

const T = DEFAULT_TENANT_ID;
const TL = DEFAULT_TIMELINE_ID;
let pg: PgCluster;
let dbOid: number;
let relfile: string;
let relnode: number;

before(() => {
  pg = new PgCluster();
  pg.initdb();
  pg.start();
  pg.sql('CREATE TABLE t (id int primary key, v text); INSERT INTO t SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 4000) g');
  pg.sql('VACUUM t'); // creates the fsm and vm forks
  pg.sql('CHECKPOINT');
  dbOid = Number(pg.sql("SELECT oid FROM pg_database WHERE datname = 'postgres'"));
  relfile = pg.sql("SELECT pg_relation_filepath('t')");
  relnode = Number(pg.sql("SELECT pg_relation_filenode('t')"));
  pg.stop();
});
after(() => pg?.remove());

test('every page of a real table (main, fsm, vm forks) is served byte for byte, checksums verify', async () => {
  assert.match(pg.checksums(), /Bad checksums:\s+0/);
  const emu = new PageserverEmulator({ pgdata: pg.pgdata, log: () => {} });
  const { port, mgmtPort } = await emu.listen();
  try {
    const c = await openStream(port, 3, T, TL);
    let pages = 0;
    for (const [fork, suffix] of [[0, ''], [1, '_fsm'], [2, '_vm']] as const) {
      const file = readFileSync(join(pg.pgdata, relfile + suffix));
      const nblocks = file.length / 8192;
      assert.ok(fork !== 0 || nblocks >= 10, `main fork has ${nblocks} blocks`);
      const rel = { spc: 1663, db: dbOid, rel: relnode, fork };
      const echo = Buffer.concat([u64(0, 1), u64(0xffffffff, 0xffffffff), u64(0, 1)]);
      c.send(copyData(requestPayload(3, 1, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, 1] }, relBody(rel))));
      assert.deepEqual(await c.read(47), copyData(Buffer.concat([u8(101), echo, relBody(rel), u32(nblocks)])));
      for (let b = 0; b < nblocks; b++) {
        c.send(getPageFrame(3, { reqid: [0, b], lsn: LSN_MAX, nms: [0, 1] }, rel, b));
        const page = (await c.read(8239)).subarray(47);
        assert.ok(page.equals(file.subarray(b * 8192, (b + 1) * 8192)), `fork ${fork} block ${b} differs from the file`);
        assert.ok(verifyPageChecksum(page, 0, b), `fork ${fork} block ${b} checksum`);
        pages++;
      }
    }
    assert.ok(pages > 10);
    // The relation is discoverable: its block range is in the keyspace.
    const ks = await (await fetch(`http://127.0.0.1:${mgmtPort}/v1/tenant/${T}/timeline/${TL}/keyspace`)).json() as { keys: [string, string][] };
    const start = '00' + '0000067F' + dbOid.toString(16).toUpperCase().padStart(8, '0') + relnode.toString(16).toUpperCase().padStart(8, '0') + '00' + '00000000';
    assert.ok(ks.keys.some(([a, b]) => a <= start && start < b), `no key range covers ${start}`);
    c.close();
  } finally {
    await emu.close();
  }
});

test('1 GiB segments: block 131072 comes from <relfilenode>.1; sizes from file lengths', async () => {
  // A fabricated data directory: a sparse 1 GiB first segment and a 2-block second one.
  const dir = mkdtempSync(join(tmpdir(), 'psb-seg-'));
  try {
    mkdirSync(join(dir, 'base', '5'), { recursive: true });
    mkdirSync(join(dir, 'global'));
    writeFileSync(join(dir, 'PG_VERSION'), '15\n');
    const control = Buffer.alloc(8192);
    control.writeUInt32LE(0x0300_0028, 32); // checkPoint LSN 0/3000028
    writeFileSync(join(dir, 'global', 'pg_control'), control);
    let fd = openSync(join(dir, 'base', '5', '16384'), 'w');
    ftruncateSync(fd, 1024 * 1024 * 1024);
    closeSync(fd);
    const seg1 = Buffer.alloc(2 * 8192);
    seg1.write('segment one, block zero', 100);
    seg1.write('segment one, block one', 8192 + 100);
    fd = openSync(join(dir, 'base', '5', '16384.1'), 'w');
    writeSync(fd, seg1);
    closeSync(fd);
    assert.equal(statSync(join(dir, 'base', '5', '16384')).size, 1 << 30);
    const emu = new PageserverEmulator({ pgdata: dir, log: () => {} });
    const { port, mgmtPort } = await emu.listen();
    try {
      const tls = await (await fetch(`http://127.0.0.1:${mgmtPort}/v1/tenant/${T}/timeline`)).json() as Array<{ last_record_lsn: string }>;
      assert.equal(tls[0]!.last_record_lsn, '0/03000028');
      const c = await openStream(port, 2, T, TL);
      const rel = { spc: 1663, db: 5, rel: 16384, fork: 0 };
      c.send(copyData(requestPayload(2, 1, { lsn: LSN_MAX, nms: [0, 1] }, relBody(rel))));
      assert.deepEqual(await c.read(10), copyData(Buffer.concat([u8(101), u32(131072 + 2)])));
      c.send(getPageFrame(2, { lsn: LSN_MAX, nms: [0, 1] }, rel, 131073));
      assert.ok((await c.read(8198)).subarray(6).equals(seg1.subarray(8192)));
      c.send(getPageFrame(2, { lsn: LSN_MAX, nms: [0, 1] }, rel, 131072));
      assert.ok((await c.read(8198)).subarray(6).equals(seg1.subarray(0, 8192)));
      c.send(getPageFrame(2, { lsn: LSN_MAX, nms: [0, 1] }, rel, 131074)); // past the end
      assert.ok((await c.read(8198)).subarray(6).equals(Buffer.alloc(8192)));
      c.close();
    } finally {
      await emu.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--pgdata refuses a running cluster and a directory that is not one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psb-bad-'));
  try {
    await assert.rejects(new PageserverEmulator({ pgdata: dir, log: () => {} }).listen(), /--pgdata: .* is not a PostgreSQL data directory/);
    writeFileSync(join(dir, 'PG_VERSION'), '15\n');
    mkdirSync(join(dir, 'base'));
    writeFileSync(join(dir, 'postmaster.pid'), '1\n');
    await assert.rejects(new PageserverEmulator({ pgdata: dir, log: () => {} }).listen(), /--pgdata: .* has a postmaster.pid: stop the server first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
