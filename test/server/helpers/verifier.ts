/**
 * A V3 client that classifies every response against the request it should
 * answer (verifyGetPageV3 + the page checksum), resynchronising on the reqid
 * so that each injected fault is counted exactly once:
 *  - reqid of an earlier connection before the first answer -> stale
 *  - reqid e+1 then e -> swap; reqid e+d (d >= 1) not followed by e -> d drops
 *  - echo request_lsn differs -> wrong-lsn; blkno differs -> wrong-block;
 *    relnode/dbnode differ -> wrong-rel; Error with matching echo -> error;
 *    checksum fails -> corrupt; the server closes mid-stream -> close.
 */
import {
  GetPageRequestTable, setGetPageRow, verifyGetPageV3, verifyGetPageChecksum, encodeGetPageV3,
  VERIFY_OK, RESPONSE_ERROR, MISMATCH_REQUEST_LSN, MISMATCH_BLKNO, MISMATCH_RELNODE, MISMATCH_DBNODE, VERIFY_CODE_NAMES,
} from '../../../src/protocol/getpage.js';
import { LSN_MAX } from '../../../src/protocol/u64.js';
import { openStream } from './raw-client.js';
import type { RawClient } from './raw-client.js';

export type Observed = Record<'drop' | 'swap' | 'stale' | 'wrong-block' | 'wrong-rel' | 'wrong-lsn' | 'corrupt' | 'error' | 'close' | 'ok', number>;

export function emptyObserved(): Observed {
  return { drop: 0, swap: 0, stale: 0, 'wrong-block': 0, 'wrong-rel': 0, 'wrong-lsn': 0, corrupt: 0, error: 0, close: 0, ok: 0 };
}

const REL = { spcnode: 1663, dbnode: 16384, relnode: 16400, forknum: 0 };
const NMS = 0x08f3c1a8n;

interface Resp {
  payload: Buffer;
  conn: number;
  k: number;
}

/**
 * Send `n` GetPage requests (all pipelined) over as many connections as it
 * takes, classify every response. `connOffset` keeps reqids distinct across calls.
 */
export async function verifyRun(port: number, tenant: string, timeline: string, n: number, connOffset = 0): Promise<Observed> {
  const obs = emptyObserved();
  const t = new GetPageRequestTable(n);
  let e = 0; // next request index expected to be answered
  let conn = connOffset;
  while (e < n) {
    conn++;
    const c = await openStream(port, 3, tenant, timeline);
    const frames = Buffer.alloc((n - e) * 47);
    for (let k = e; k < n; k++) {
      setGetPageRow(t, k, (BigInt(conn) << 20n) | BigInt(k), LSN_MAX, NMS, REL, (k * 7919) % 40000);
      encodeGetPageV3(frames, (k - e) * 47, t, k);
    }
    c.send(frames);
    let held: Resp | undefined;
    const next = async (): Promise<Resp | undefined> => {
      if (held) {
        const h = held;
        held = undefined;
        return h;
      }
      try {
        const m = await c.readMessage(5000);
        if (m.type !== 'd') throw new Error(`unexpected message ${m.type}`);
        const p = m.body;
        const reqid = (BigInt(p.readUInt32BE(1)) << 32n) | BigInt(p.readUInt32BE(5));
        return { payload: p, conn: Number(reqid >> 20n), k: Number(reqid & 0xfffffn) };
      } catch (err) {
        if (c.ended) return undefined;
        throw err;
      }
    };
    let first = true;
    for (;;) {
      if (e >= n) break;
      const r = await next();
      if (r === undefined) {
        obs.close++;
        break;
      }
      if (r.conn !== conn) {
        if (!first) throw new Error(`response of connection ${r.conn} in the middle of connection ${conn}`);
        obs.stale++;
        first = false;
        continue;
      }
      first = false;
      if (r.k > e) {
        const after = await next();
        if (r.k === e + 1 && after !== undefined && after.conn === conn && after.k === e) {
          obs.swap++;
          classify(after, t, obs);
          classify(r, t, obs);
          e += 2;
          continue;
        }
        if (after !== undefined) held = after;
        else if (!c.ended) throw new Error('lost a response');
        obs.drop += r.k - e;
        e = r.k;
      } else if (r.k < e) throw new Error(`response for ${r.k} after ${e}`);
      classify(r, t, obs);
      e++;
    }
    c.close();
  }
  return obs;
}

function classify(r: Resp, t: GetPageRequestTable, obs: Observed): void {
  const p = r.payload;
  const code = verifyGetPageV3(p, 0, p.length, t, r.k);
  switch (code) {
    case VERIFY_OK:
      if (verifyGetPageChecksum(3, p, 0, t, r.k) === VERIFY_OK) obs.ok++;
      else obs.corrupt++;
      return;
    case RESPONSE_ERROR:
      obs.error++;
      return;
    case MISMATCH_REQUEST_LSN:
      obs['wrong-lsn']++;
      return;
    case MISMATCH_BLKNO:
      obs['wrong-block']++;
      return;
    case MISMATCH_RELNODE:
    case MISMATCH_DBNODE:
      obs['wrong-rel']++;
      return;
    default:
      throw new Error(`unexpected verification result ${VERIFY_CODE_NAMES[code]} for request ${r.k}`);
  }
}

export type { RawClient };
