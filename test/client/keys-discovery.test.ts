import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockChooser, makeKeySpace, parsePattern, shardRange } from '../../src/client/keys.js';
import { relationsFromKeyspace } from '../../src/client/discovery.js';
import { spreadOf } from '../../src/client/aggregate.js';
import { chooseLsns, parseTargetUrl } from '../../src/client/target.js';

function draw(ch: BlockChooser, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    ch.next();
    out.push([ch.out[0]!, ch.out[1]!]);
  }
  return out;
}

test('uniform: every block of every relation, nothing outside, reproducible by seed', () => {
  const ks = makeKeySpace([5, 3]);
  const a = draw(new BlockChooser(ks, parsePattern('uniform'), 1, 9, 0, 1), 4000);
  const seen = new Set(a.map(([r, b]) => `${r}/${b}`));
  assert.equal(seen.size, 8);
  for (const [r, b] of a) assert.ok(b < (r === 0 ? 5 : 3));
  assert.deepEqual(draw(new BlockChooser(ks, parsePattern('uniform'), 1, 9, 0, 1), 4000), a);
  assert.notDeepEqual(draw(new BlockChooser(ks, parsePattern('uniform'), 1, 10, 0, 1), 50), a.slice(0, 50));
});

test('sequential stripes per connection; --batch gives contiguous bursts in one relation', () => {
  const ks = makeKeySpace([10, 10]);
  assert.deepEqual(draw(new BlockChooser(ks, parsePattern('sequential'), 1, 1, 1, 2), 4), [[1, 0], [1, 1], [1, 2], [1, 3]]);
  const burst = draw(new BlockChooser(ks, parsePattern('uniform'), 4, 3, 0, 1), 40);
  for (let i = 0; i < 40; i += 4) {
    for (let k = 1; k < 4; k++) {
      assert.equal(burst[i + k]![0], burst[i]![0]);
      assert.equal(burst[i + k]![1], (burst[i]![1] + k) % 10);
    }
  }
});

test('zipf: rank 1 (first key of the span) is the most frequent; within the shard range', () => {
  const ks = makeKeySpace([1000], 200, 700);
  const d = draw(new BlockChooser(ks, parsePattern('zipf:1.2'), 1, 5, 0, 1), 20000);
  const counts = new Map<number, number>();
  for (const [, b] of d) {
    assert.ok(b >= 200 && b < 700, `block ${b} outside the shard`);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]!;
  assert.equal(top[0], 200);
  assert.ok((counts.get(200) ?? 0) > 3 * (counts.get(201) ?? 0) / 2);
  assert.throws(() => parsePattern('zipf:1'), /zipf/);
  assert.throws(() => parsePattern('gauss'), /--pattern/);
});

test('shardRange splits contiguously and covers everything', () => {
  const parts = [0, 1, 2].map((i) => shardRange(10, i, 3));
  assert.deepEqual(parts, [[0, 3], [3, 6], [6, 10]]);
});

test('keyspace: relation block ranges, size keys and ranges running into the next fork (protocol.md §5)', () => {
  // Hand-written keys: field1 00 | spc 0000067F | db 00004000 | rel 00004010 | fork | blkno.
  const k = (rel: string, fork: string, blk: string): string => `00` + `0000067F` + `00004000` + rel + fork + blk;
  const rels = relationsFromKeyspace([
    [k('00004010', '00', '00000000'), k('00004010', '00', '00009C40')], // rel 16400 main: 40000 blocks
    [k('00004010', '00', 'FFFFFFFF'), k('00004010', '01', '0000000D')], // size key, then fsm 0..12
    ['010000000000000000000000000000000000', '010000000000000000000000000000000010'], // not relation data
  ]);
  assert.deepEqual(rels, [
    { spcnode: 1663, dbnode: 16384, relnode: 16400, forknum: 0, blocks: 40000 },
    { spcnode: 1663, dbnode: 16384, relnode: 16400, forknum: 1, blocks: 13 },
  ]);
});

test('median and min–max over rounds', () => {
  assert.deepEqual(spreadOf([1.1, 0.9, 1.0]), { median: 1, min: 0.9, max: 1.1 });
  assert.deepEqual(spreadOf([2, 4]), { median: 3, min: 2, max: 4 });
  assert.equal(spreadOf([NaN]), undefined);
});

test('LSN choice: latest = Lsn::MAX with nms = last_record_lsn; replica; fixed', () => {
  const last = 0x08f3c1a8n;
  assert.deepEqual(chooseLsns('latest', last, undefined).requestLsn, 0xffff_ffff_ffff_ffffn);
  assert.equal(chooseLsns('latest', last, undefined).notModifiedSince, last);
  assert.equal(chooseLsns('replica', last, 0x100n).requestLsn, last);
  assert.equal(chooseLsns('replica', last, 0x100n).notModifiedSince, 0x100n);
  assert.equal(chooseLsns('0/169AD58', undefined, undefined).requestLsn, 0x169ad58n);
  assert.throws(() => chooseLsns('replica', undefined, undefined), /--mgmt/);
  assert.throws(() => chooseLsns('yesterday', last, undefined), /--lsn/);
});

test('target URL: the password (a JWT) is kept for auth but not in the display form', () => {
  const t = parseTargetUrl('postgres://cloud_admin:ey.secret.sig@127.0.0.1:64000');
  assert.equal(t.password, 'ey.secret.sig');
  assert.equal(t.user, 'cloud_admin');
  assert.equal(t.port, 64000);
  assert.ok(!t.display.includes('secret'));
  assert.throws(() => parseTargetUrl('http://x:1'), /postgres:\/\//);
});
