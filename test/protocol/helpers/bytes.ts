/**
 * Hand-written byte vectors for golden tests. `hex('64 00 00 00 2e')` reads
 * space-separated hex; `ascii('user\0')` the bytes of an ASCII literal. Neither
 * touches the code under test, so a golden vector cannot agree with a bug.
 */
export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex literal ${text}`);
  return Buffer.from(clean, 'hex');
}

export function ascii(text: string): Buffer {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) throw new Error('ascii() takes ASCII only');
  return Buffer.from(text, 'latin1');
}

/** Concatenate parts: strings are hex (spaces allowed), Buffers as they are. */
export function bytes(...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? hex(p) : p)));
}

/** A Buffer holding `payload` at a non-zero, odd offset inside a larger buffer, to catch offset bugs. */
export function embed(payload: Buffer, before = 3, after = 5): { buf: Buffer; off: number } {
  const buf = Buffer.alloc(before + payload.length + after, 0xee);
  payload.copy(buf, before);
  return { buf, off: before };
}

/**
 * A libpq message built by hand (protocol.md §1): type byte | i32 length
 * (4 + body, big-endian) | body. Shared by the tests and test peers that feed
 * frames to the code under test.
 */
export function message(type: number, body: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + body.length);
  b[0] = type;
  b.writeInt32BE(4 + body.length, 1);
  b.set(body, 5);
  return b;
}
