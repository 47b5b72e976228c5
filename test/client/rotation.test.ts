/**
 * Nothing holds a fixed place in a sliced run (control.ts): the slice order
 * rotates cycle by cycle, and the variant whose connections are created first
 * rotates round by round. Counted over the sequences the functions give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { creationVariant, sliceVariant } from '../../src/client/control.js';

test('slices: each cycle holds every variant once; over n cycles every variant holds every place and follows more than one other; never twice in a row', () => {
  for (let n = 1; n <= 6; n++) {
    const seq = Array.from({ length: 4 * n * n }, (_, k) => sliceVariant(k, n));
    for (let c = 0; c < seq.length / n; c++) {
      assert.deepEqual([...seq.slice(c * n, (c + 1) * n)].sort(), Array.from({ length: n }, (_, v) => v), `n=${n} cycle ${c}: each variant once`);
    }
    if (n >= 2) for (let k = 1; k < seq.length; k++) assert.notEqual(seq[k], seq[k - 1], `n=${n}: slices ${k - 1} and ${k} of one variant`);
    if (n >= 3) {
      // Places: over any n consecutive cycles, variant v holds place p exactly once.
      for (let v = 0; v < n; v++) {
        for (let p = 0; p < n; p++) {
          let times = 0;
          for (let c = 0; c < n; c++) if (seq[c * n + p] === v) times++;
          assert.equal(times, 1, `n=${n}: variant ${v} at place ${p}`);
        }
      }
      // Predecessors: no variant always follows the same one; with three (the default) each follows both others.
      const before = Array.from({ length: n }, () => new Set<number>());
      for (let k = 1; k < seq.length; k++) before[seq[k]!]!.add(seq[k - 1]!);
      for (let v = 0; v < n; v++) assert.ok(before[v]!.size >= 2, `n=${n}: variant ${v} preceded by ${[...before[v]!]}`);
      if (n === 3) for (let v = 0; v < n; v++) assert.equal(before[v]!.size, 2, `variant ${v} follows both others`);
    }
  }
});

test('connections: each round creates every variant\'s once, and over n rounds each variant first once', () => {
  for (let n = 1; n <= 6; n++) {
    const firsts = new Set<number>();
    for (let round = 1; round <= n; round++) {
      const order = Array.from({ length: n }, (_, j) => creationVariant(j, round, n));
      assert.deepEqual([...order].sort(), Array.from({ length: n }, (_, v) => v), `n=${n} round ${round}: a permutation`);
      firsts.add(order[0]!);
    }
    assert.equal(firsts.size, n, `n=${n}: every variant created first in one of ${n} rounds`);
  }
});
