/**
 * The small IPC vocabulary between bench/ceiling.ts and its child processes.
 * Each arm runs its client and its server in separate processes so each one's
 * CPU time (process.cpuUsage: user + system, all threads of that process) is
 * attributed to it alone; the parent only relays window marks.
 *
 * Timing: a client marks the start and end of its measured window itself and
 * tells the parent, which asks the server for a mark right away. IPC on one
 * host takes well under a millisecond, so the server's window is the client's
 * shifted by that much — negligible against windows of seconds.
 */

import { syscalls } from './procio.js';

/** A snapshot of one process's counters. */
export interface Mark {
  /** Responses completed (client) or sent (server) so far. */
  responses: number;
  userUs: number;
  systemUs: number;
  /** Monotonic clock, milliseconds. */
  ms: number;
  /** Read and write syscalls so far (procio.ts). */
  syscr: number;
  syscw: number;
}

export type ParentToServer = { type: 'mark'; id: number };
export type ServerToParent = { type: 'ready'; port: number } | ({ type: 'mark'; id: number } & Mark);
export type ClientToParent =
  | { type: 'window'; phase: 'start' | 'end' }
  | { type: 'result'; start: Mark; end: Mark; note?: string }
  | { type: 'error'; message: string };

export function markNow(responses: number): Mark {
  const c = process.cpuUsage();
  return { responses, userUs: c.user, systemUs: c.system, ms: performance.now(), ...syscalls() };
}

export function send(msg: ServerToParent | ClientToParent): void {
  process.send?.(msg);
}

/** Server children: answer marks, exit when the parent goes away. */
export function serveMarks(responses: () => number): void {
  process.on('message', (m: ParentToServer) => {
    if (m && m.type === 'mark') send({ type: 'mark', id: m.id, ...markNow(responses()) });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Client children read their parameters from argv[2] as JSON. */
export interface ClientParams {
  host: string;
  port: number;
  connections: number;
  pipeline: number;
  warmupS: number;
  durationS: number;
  /** Extra, arm-specific. */
  [k: string]: unknown;
}

export function clientParams(): ClientParams {
  const raw = process.argv[2];
  if (!raw) throw new Error('client child needs its parameters as JSON in argv[2]');
  return JSON.parse(raw) as ClientParams;
}

/** Run a client body: warm up, mark, measure, mark, report, exit. */
export async function runClient(
  responses: () => number,
  body: (p: ClientParams) => Promise<{ stop: () => void }>,
): Promise<void> {
  const p = clientParams();
  try {
    const h = await body(p);
    await sleep(p.warmupS * 1000);
    const start = markNow(responses());
    send({ type: 'window', phase: 'start' });
    await sleep(p.durationS * 1000);
    const end = markNow(responses());
    send({ type: 'window', phase: 'end' });
    h.stop();
    send({ type: 'result', start, end });
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
  process.disconnect?.();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
