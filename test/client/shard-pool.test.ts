/**
 * Closing the shard pool never terminates a worker that is still loading its
 * modules (src/client/shard-pool.ts): on Node ≥ 20.19 a termination inside
 * piscina's require(esm) of workers/shard.js aborts the whole process
 * (SIGABRT, no exit code). That race is rare (about 1 in 200 fast-failing
 * runs on a loaded machine), so this asserts the mechanism instead: close()
 * called the moment the pool exists returns only after every worker has
 * counted itself loaded, which happens on the turn after its module
 * evaluated. Without the wait, close() returns with 0 counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardPool } from '../../src/client/shard-pool.js';

test('ShardPool.close() right after construction waits for every worker to finish loading, then terminates them', async () => {
  for (const threads of [1, 2]) {
    const p = new ShardPool(threads);
    assert.equal(p.loadedThreads, 0, 'no worker can have loaded synchronously');
    const exited: number[] = [];
    for (const w of p.pool.threads) w.once('exit', (code) => exited.push(code));
    await p.close();
    assert.equal(p.loadedThreads, threads, `close() returned with ${p.loadedThreads} of ${threads} workers loaded`);
    // And the workers really are gone (destroy() resolves after their exit events).
    await new Promise((r) => setImmediate(r));
    assert.equal(exited.length, threads, 'every worker exited');
  }
});

test('ShardPool.close() after a task ran: the workers are loaded, close() does not wait', async () => {
  const p = new ShardPool(1);
  const deadline = Date.now() + 10_000;
  while (p.loadedThreads < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(p.loadedThreads, 1);
  const t = performance.now();
  await p.close();
  // Not a speed assertion: LOAD_WAIT_MS is 5 s; a close that waited for a count
  // already reached would have to wait that long.
  assert.ok(performance.now() - t < 4000, 'close() waited although every worker had loaded');
});
