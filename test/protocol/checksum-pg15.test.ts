/**
 * The data checksum against REAL PostgreSQL 15 pages: a throwaway cluster
 * with --data-checksums writes a table, an index and their FSM/VM forks; we
 * verify every page PostgreSQL wrote, and pg_checksums verifies pages we built.
 * No PostgreSQL 15 here is a failure, not a skip: CI installs postgresql-15.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pg15Cluster } from './helpers/pg15.js';
import { verifyPageChecksum, pageChecksum, buildPage, isZeroPage, PageHeader, IDENTITY_STAMP_OFFSET } from '../../src/protocol/page.js';

const BLCKSZ = 8192;
let cluster: Pg15Cluster | undefined;
after(() => cluster?.destroy());

test('checksums of real PostgreSQL 15 pages, and pg_checksums on pages we build', async (t) => {
  cluster = new Pg15Cluster(); // throws a clear error if PG15 is missing
  const pg = cluster;
  pg.initdb();
  pg.start();
  const out = pg.psql(
    'CREATE TABLE psb_t (id int PRIMARY KEY, v text)',
    "INSERT INTO psb_t SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 5000) g",
    'DELETE FROM psb_t WHERE id % 7 = 0',
    'VACUUM psb_t',
    'CHECKPOINT',
    "SELECT pg_relation_filepath('psb_t') || ' ' || pg_relation_filepath('psb_t_pkey')",
  ).trim().split('\n').pop()!;
  const [heapPath, indexPath] = out.split(' ');
  assert.match(heapPath!, /^base\/\d+\/\d+$/);
  pg.stop(); // a clean shutdown: everything is on disk, pg_checksums needs it stopped

  const files = [heapPath!, `${heapPath}_fsm`, `${heapPath}_vm`, indexPath!].map((p) => join(pg.data, p)).filter(existsSync);
  assert.ok(files.length >= 3, `expected heap, index and at least one of FSM/VM, got ${files.join(', ')}`);
  const heap = readFileSync(files[0]!);
  assert.ok(heap.length / BLCKSZ >= 40, `heap has ${heap.length / BLCKSZ} pages: a few thousand rows`);

  await t.test('every page PostgreSQL wrote verifies, and fails under another block number', () => {
    let pages = 0;
    for (const f of files) {
      const buf = readFileSync(f);
      assert.equal(buf.length % BLCKSZ, 0);
      for (let b = 0; b * BLCKSZ < buf.length; b++) {
        const off = b * BLCKSZ;
        if (isZeroPage(buf, off)) continue;
        const stored = buf.readUInt16LE(off + PageHeader.pd_checksum);
        assert.equal(pageChecksum(buf, off, b), stored, `${f} block ${b}`);
        assert.equal(verifyPageChecksum(buf, off, b), true, `${f} block ${b}`);
        assert.equal(verifyPageChecksum(buf, off, b + 1), false, `${f} block ${b} as block ${b + 1}`);
        assert.equal(buf.readUInt16LE(off + PageHeader.pd_pagesize_version), 8196);
        pages++;
      }
    }
    assert.ok(pages >= 45, `checked ${pages} pages`);
  });

  await t.test('a flipped byte anywhere in a real page fails verification', () => {
    const page = Buffer.from(heap.subarray(BLCKSZ, 2 * BLCKSZ)); // block 1
    assert.equal(verifyPageChecksum(page, 0, 1), true);
    for (const at of [0, 7, 9, 12, 100, 4096, 8191]) {
      const p = Buffer.from(page);
      p[at] ^= 0x10;
      assert.equal(verifyPageChecksum(p, 0, 1), false, `byte ${at}`);
    }
    // In place at an unaligned offset inside a larger buffer: same answer.
    const big = Buffer.alloc(BLCKSZ + 13);
    page.copy(big, 13);
    assert.equal(verifyPageChecksum(big, 13, 1), true);
  });

  await t.test('pg_checksums --check agrees: exit 0 on the cluster', () => {
    const r = pg.run('pg_checksums', ['--check', '-D', pg.data]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Bad checksums:\s+0/);
  });

  await t.test('buildPage pages verify with our code and with pg_checksums; a flipped byte fails both', () => {
    const n = 16;
    const seg = Buffer.alloc(n * BLCKSZ);
    for (let b = 0; b < n; b++) {
      buildPage(seg, b * BLCKSZ, { spcnode: 1663, dbnode: 5, relnode: 999_999, forknum: 0, blkno: b, lsnHi: 0, lsnLo: 0x169AD58 + b });
      assert.equal(verifyPageChecksum(seg, b * BLCKSZ, b), true);
      assert.equal(verifyPageChecksum(seg, b * BLCKSZ, b + 1), false);
      assert.equal(seg.readUInt32BE(b * BLCKSZ + IDENTITY_STAMP_OFFSET + 13), b, 'identity stamp carries blkno');
    }
    // pg_checksums scans every relation file in base/<db>/ by name, catalogued or not.
    const fake = join(pg.data, heapPath!.replace(/\d+$/, '999999'));
    writeFileSync(fake, seg);
    pg.own(fake);
    const ok = pg.run('pg_checksums', ['--check', '-D', pg.data]);
    assert.equal(ok.status, 0, ok.stderr);
    seg[5 * BLCKSZ + 4000] ^= 1;
    assert.equal(verifyPageChecksum(seg, 5 * BLCKSZ, 5), false);
    writeFileSync(fake, seg);
    const bad = pg.run('pg_checksums', ['--check', '-D', pg.data]);
    assert.notEqual(bad.status, 0, 'pg_checksums must reject the corrupted page');
    assert.match(bad.stderr, /999999.*block 5|block 5.*999999/);
  });
});
