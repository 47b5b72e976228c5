/**
 * The page cache never changes what is served: prefilled, exact-mapped and
 * small direct-mapped (evicting) caches all serve the same bytes, each page
 * carrying its own identity and checksum, through direct output and through
 * Node's stream alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { IDENTITY_STAMP_OFFSET, verifyPageChecksum } from '../../src/protocol/page.js';
import { openStream, getPageFrame, LSN_MAX } from './helpers/raw-client.js';
import { COMPACT_SLOT_BYTES } from '../../src/server/page-cache.js';

const BLOCKS = 300;

async function pages(opts: ConstructorParameters<typeof PageserverEmulator>[0]): Promise<{ pages: Buffer[]; hits: number; misses: number }> {
  const emu = new PageserverEmulator({ relationBlocks: [BLOCKS, BLOCKS], log: () => {}, ...opts });
  const { port } = await emu.listen();
  try {
    const c = await openStream(port, 3, DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID);
    const out: Buffer[] = [];
    // Two passes over both relations, pipelined: repeats hit (or, in a tiny cache, were evicted).
    for (let pass = 0; pass < 2; pass++) {
      const frames = [];
      for (let k = 0; k < 2 * BLOCKS; k++) frames.push(getPageFrame(3, { reqid: [pass, k], lsn: LSN_MAX, nms: [0, 1] }, { spc: 1663, db: 16384, rel: 16400 + (k % 2), fork: 0 }, k >> 1));
      c.send(Buffer.concat(frames));
      for (let k = 0; k < 2 * BLOCKS; k++) {
        const f = await c.read(8239);
        const page = Buffer.from(f.subarray(47));
        assert.equal(page.readUInt32BE(IDENTITY_STAMP_OFFSET + 8), 16400 + (k % 2));
        assert.equal(page.readUInt32BE(IDENTITY_STAMP_OFFSET + 13), k >> 1);
        assert.ok(verifyPageChecksum(page, 0, k >> 1));
        if (pass === 1) out.push(page);
      }
    }
    c.close();
    return { pages: out, hits: emu.core.cache.hits, misses: emu.core.cache.misses };
  } finally {
    await emu.close();
  }
}

test('prefilled, exact and evicting caches serve identical, correct pages', async () => {
  const exact = await pages({});
  const pre = await pages({ prefill: true });
  const tiny = await pages({ cacheBytes: 64 * COMPACT_SLOT_BYTES }); // 64 slots for 600+ pages: constant eviction
  const viaNode = await pages({ writes: 'node' });
  const tinyViaNode = await pages({ writes: 'node', cacheBytes: 64 * COMPACT_SLOT_BYTES });
  assert.equal(pre.misses, 0, 'a prefilled cache never builds');
  assert.ok(exact.hits >= 2 * BLOCKS, 'the second pass hits');
  assert.ok(tiny.misses > 2 * BLOCKS, 'the tiny cache evicts');
  for (let i = 0; i < exact.pages.length; i++) {
    assert.ok(pre.pages[i]!.equals(exact.pages[i]!), `page ${i}: prefilled differs`);
    assert.ok(tiny.pages[i]!.equals(exact.pages[i]!), `page ${i}: evicting cache differs`);
    assert.ok(viaNode.pages[i]!.equals(exact.pages[i]!), `page ${i}: through Node differs`);
    assert.ok(tinyViaNode.pages[i]!.equals(exact.pages[i]!), `page ${i}: evicting cache through Node differs`);
  }
});
