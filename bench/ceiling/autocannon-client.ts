/**
 * Arm (b), client side: autocannon (the Node HTTP benchmark) used as a library,
 * with the same connections and pipelining as the other arms. A first run
 * warms the JIT and is discarded; the measured run follows on fresh
 * connections, and its window runs from just before it starts to its
 * completion callback, with autocannon's own count of completed requests.
 */
import autocannon from 'autocannon';
import { clientParams, markNow, send } from './ipc.js';

const p = clientParams();

/** The fields of autocannon's aggregated result used here. */
interface AutocannonResult {
  errors: number;
  non2xx: number;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** Completed responses, whatever their status (autocannon counts each by class). */
const completed = (r: AutocannonResult): number => r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];

function once(durationS: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://${p.host}:${p.port}/`, connections: p.connections, pipelining: p.pipeline, duration: durationS },
      (err: unknown, r: AutocannonResult) => (err ? reject(err) : resolve(r)),
    );
  });
}

try {
  if (p.warmupS > 0) await once(Math.max(1, Math.round(p.warmupS)));
  const start = markNow(0);
  send({ type: 'window', phase: 'start' });
  const r = await once(Math.max(1, Math.round(p.durationS)));
  const end = markNow(completed(r));
  send({ type: 'window', phase: 'end' });
  const note = r.errors || r.non2xx ? `autocannon: ${r.errors} errors, ${r.non2xx} non-2xx` : undefined;
  send({ type: 'result', start, end, ...(note ? { note } : {}) });
} catch (e) {
  send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
process.disconnect?.();
