/**
 * 64-bit wire integers.
 *
 * The page stream carries u64 LSNs and reqids. A BigInt read or write allocates,
 * so the hot path keeps every u64 as two u32 halves (hi, lo) in typed arrays;
 * the cold path (general codecs, text forms, configuration) uses bigint.
 */

export const LSN_MAX = 0xFFFF_FFFF_FFFF_FFFFn;
export const U64_MAX = LSN_MAX;

export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xFFFF_FFFFn);
}
export function lo32(v: bigint): number {
  return Number(v & 0xFFFF_FFFFn);
}
export function fromHiLo(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Write a big-endian u64 given as bigint. Cold path. */
export function writeU64(buf: Buffer, off: number, v: bigint): void {
  buf.writeUInt32BE(hi32(v), off);
  buf.writeUInt32BE(lo32(v), off + 4);
}

/** Read a big-endian u64 as bigint. Cold path. */
export function readU64(buf: Buffer, off: number): bigint {
  return fromHiLo(buf.readUInt32BE(off), buf.readUInt32BE(off + 4));
}

/** A u64 as a JS number when exact (<= 2^53-1), else Infinity. For display and arithmetic only. */
export function u64ToNumber(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Infinity;
}
