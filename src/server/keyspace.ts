/**
 * Pageserver keys (protocol.md §5): 18 bytes printed as 36 uppercase hex
 * characters, field1 u8 | field2 u32 | field3 u32 | field4 u32 | field5 u8 | field6 u32,
 * ordered as the 128-bit integer (field1&0x7F)<<120 | (field2&0xFFFF)<<104 |
 * field3<<72 | field4<<40 | field5<<32 | field6. A relation block key is
 * (0, spc, db, rel, fork, blkno); the relation size key has field6 = 0xFFFFFFFF.
 * Cold path (management API), so bigint is fine here.
 */
import type { Dataset, Timeline } from './dataset.js';

export function relKey(spc: number, db: number, rel: number, fork: number, blk: number): bigint {
  return (BigInt(spc & 0xffff) << 104n) | (BigInt(db >>> 0) << 72n) | (BigInt(rel >>> 0) << 40n) | (BigInt(fork & 0xff) << 32n) | BigInt(blk >>> 0);
}

export function formatKey(k: bigint): string {
  const f = (shift: bigint, mask: bigint, width: number): string => ((k >> shift) & mask).toString(16).toUpperCase().padStart(width, '0');
  return f(120n, 0x7fn, 2) + f(104n, 0xffffn, 8) + f(72n, 0xffffffffn, 8) + f(40n, 0xffffffffn, 8) + f(32n, 0xffn, 2) + f(0n, 0xffffffffn, 8);
}

/** Half-open, sorted, merged key ranges of the timeline's relations (blocks and size keys). */
export function timelineKeyspace(ds: Dataset, t: Timeline): Array<[string, string]> {
  const ranges: Array<[bigint, bigint]> = [];
  for (let r = t.relStart; r < t.relEnd; r++) {
    const spc = ds.spc[r]!, db = ds.db[r]!, rel = ds.rel[r]!, fork = ds.fork[r]!, n = ds.nblocks[r]!;
    if (n > 0) ranges.push([relKey(spc, db, rel, fork, 0), relKey(spc, db, rel, fork, n)]);
    const size = relKey(spc, db, rel, fork, 0xffffffff);
    ranges.push([size, size + 1n]);
  }
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) {
      if (r[1] > last[1]) last[1] = r[1];
    } else merged.push([r[0], r[1]]);
  }
  return merged.map(([a, b]) => [formatKey(a), formatKey(b)]);
}
