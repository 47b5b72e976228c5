/**
 * Fuzzing the emulator's request parser: arbitrary client byte streams under
 * arbitrary chunking into the real `Connection` class (src/server/connection.ts:
 * FrameReader, startup/auth/query handling, page-stream request decode, the
 * service loop), two ways:
 *  - in process, 8k cases (each builds a page-stream connection: ~0.5 ms CPU; the long run does more): a fresh Connection per case on an in-memory
 *    socket (EventEmitter with the few socket methods Connection calls; every
 *    byte it writes is counted and dropped) over the emulator's real core and
 *    dataset. Sync or async, any exception other than the connection's own
 *    handling fails the property; output per case is bounded.
 *  - over real sockets, a few hundred cases against a listening emulator, after
 *    which a well-behaved V3 client is still served a correct page and every
 *    fuzz connection has been closed.
 * Many streams start with a valid StartupMessage and pagestream_v2|v3 query
 * for the real tenant/timeline, so the fuzzer reaches the page-stream parser.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { caseArb, chunks, feedCase, query, startup, DB, REL0 } from './helpers/emulator-cases.js';
import { silentSink } from '../../src/server/log.js';
import { message } from '../protocol/helpers/bytes.js';
import { buildPage } from '../../src/protocol/page.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

const emu = new PageserverEmulator({ mgmtPort: -1, relationBlocks: [64, 32], log: silentSink, maxFrameLength: 16 * 1024 });
const addr = await emu.listen();
after(async () => { await emu.close(); });

test('emulator Connection: 8k arbitrary client streams under arbitrary chunking, in process', { timeout: 120_000 }, async () => {
  const async: unknown[] = [];
  const onUncaught = (e: unknown): void => { async.push(e); };
  process.on('uncaughtException', onUncaught);
  let answered = 0;
  const runs = Number(process.env.EMU_FUZZ_RUNS ?? 8_000);
  try {
    fc.assert(fc.property(caseArb, (c) => {
      if (feedCase(emu, c)) answered++;
    }), { numRuns: runs, seed: SEED + 10 });
    // Let deferred work (service timers, microtasks) run and surface any async failure.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(async.map(String), [], 'asynchronous exceptions from Connection');
    assert.ok(answered > runs / 2, `only ${answered} of ${runs} cases got an answer: the fuzzer is not reaching the parser`);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

/** Minimal real V3 client: startup, pagestream_v3, one GetPage; returns the response payload. */
async function getPageV3(port: number, blkno: number): Promise<Buffer> {
  const sock = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  const frames: Array<[number, Buffer]> = [];
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
      const len = buf.readInt32BE(1);
      frames.push([buf[0]!, buf.subarray(5, 1 + len)]);
      buf = buf.subarray(1 + len);
    }
    wake?.();
  });
  const next = async (type: number): Promise<Buffer> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const i = frames.findIndex(([t]) => t === type);
      if (i >= 0) return frames.splice(0, i + 1)[i]![1];
      if (Date.now() > deadline) throw new Error(`no message ${String.fromCharCode(type)}; got ${frames.map(([t]) => String.fromCharCode(t)).join('')}`);
      await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
    }
  };
  try {
    sock.write(startup());
    await next(0x5a);
    sock.write(query(3));
    await next(0x57);
    const p = Buffer.alloc(42);
    p[0] = 2;
    p.writeUInt32BE(7, 5); // reqid 7
    p.fill(0xff, 9, 17); // Lsn::MAX
    p.writeUInt32BE(1663, 25);
    p.writeUInt32BE(DB, 29);
    p.writeUInt32BE(REL0, 33);
    p[37] = 0;
    p.writeUInt32BE(blkno, 38);
    sock.write(message(0x64, p));
    return await next(0x64);
  } finally {
    sock.destroy();
  }
}

test('emulator over real sockets: 300 fuzz connections, then a well-behaved client is served and no fuzz connection lingers', { timeout: 60_000 }, async () => {
  const cases = fc.sample(caseArb, { numRuns: 300, seed: SEED + 11 });
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (i < cases.length) {
      const c = cases[i++]!;
      await new Promise<void>((resolve) => {
        const s = net.connect(addr.port, '127.0.0.1');
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('data', () => {});
        s.on('connect', () => {
          for (const ch of chunks(c)) s.write(ch);
          s.end();
          // A peer that keeps its side open after our end (e.g. waiting for a request): do not wait forever.
          setTimeout(() => s.destroy(), 200);
        });
      });
    }
  }));
  const resp = await getPageV3(addr.port, 3);
  assert.equal(resp[0], 102, `expected a GetPage response, got tag ${resp[0]}`);
  assert.equal(resp.length, 8234);
  assert.equal(resp.readUInt32BE(5), 7, 'reqid echo');
  assert.equal(resp.readUInt32BE(38), 3, 'blkno echo');
  // The page is the dataset's page for 1663/16384/16400 block 3: its identity stamp says so.
  const expected = Buffer.alloc(8192);
  buildPage(expected, 0, { spcnode: 1663, dbnode: DB, relnode: REL0, forknum: 0, blkno: 3, lsnHi: 0, lsnLo: 0 });
  const stampOff = 42 + 8192 - 232 + 24;
  assert.deepEqual(resp.subarray(stampOff, stampOff + 17), expected.subarray(8192 - 232 + 24, 8192 - 232 + 24 + 17));
  const closed = await (async () => {
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      if (emu.connectionCount === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return emu.connectionCount === 0;
  })();
  assert.ok(closed, `${emu.connectionCount} fuzz connections still open on the emulator`);
});
