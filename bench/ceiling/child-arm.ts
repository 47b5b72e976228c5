/**
 * Runs one arm made of child processes: a server child kept for all rounds,
 * and one fresh client child per round. The client marks its measured window
 * and the parent takes the server's mark at each edge (see ipc.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientParams, ClientToParent, Mark, ServerToParent } from './ipc.js';

export interface ArmRound {
  round: number;
  responses: number;
  durationS: number;
  throughputRps: number;
  clientCpuUs: number;
  clientCpuPerResponseUs: number;
  serverCpuUs: number;
  serverResponses: number;
  serverCpuPerResponseUs: number;
  note?: string;
}

export interface Arm {
  name: string;
  label: string;
  start(): Promise<void>;
  round(round: number): Promise<ArmRound>;
  stop(): Promise<void>;
}

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

export function cpuUs(m: Mark): number {
  return m.userUs + m.systemUs;
}

/** Figures of one round from the client's and the server's window marks. */
export function roundFigures(round: number, c0: Mark, c1: Mark, s0: { cpuUs: number; responses: number }, s1: { cpuUs: number; responses: number }, note?: string): ArmRound {
  const responses = c1.responses - c0.responses;
  const durationS = (c1.ms - c0.ms) / 1000;
  const clientCpuUs = cpuUs(c1) - cpuUs(c0);
  const serverCpuUs = s1.cpuUs - s0.cpuUs;
  const serverResponses = s1.responses - s0.responses;
  return {
    round,
    responses,
    durationS,
    throughputRps: responses / durationS,
    clientCpuUs,
    clientCpuPerResponseUs: clientCpuUs / responses,
    serverCpuUs,
    serverResponses,
    serverCpuPerResponseUs: serverCpuUs / (serverResponses > 0 ? serverResponses : responses),
    ...(note ? { note } : {}),
  };
}

export interface ChildArmOptions {
  name: string;
  label: string;
  serverScript: string; // relative to this directory, e.g. './raw-server.js'
  clientScript: string;
  params: Omit<ClientParams, 'host' | 'port'>;
  execArgv?: string[];
  /** Bound on one round (seconds); a hung child is killed and the round fails. */
  timeoutS: number;
}

export function childArm(o: ChildArmOptions): Arm {
  let server: ChildProcess | undefined;
  let port = 0;
  let markId = 0;
  const pending = new Map<number, (m: Mark) => void>();

  const serverMark = (): Promise<{ cpuUs: number; responses: number }> =>
    new Promise((resolve, reject) => {
      const id = ++markId;
      const t = setTimeout(() => reject(new Error(`${o.name}: server did not answer a mark`)), 5000);
      pending.set(id, (m) => {
        clearTimeout(t);
        resolve({ cpuUs: cpuUs(m), responses: m.responses });
      });
      server!.send({ type: 'mark', id });
    });

  return {
    name: o.name,
    label: o.label,
    async start() {
      server = fork(here(o.serverScript), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: o.execArgv ?? [] });
      port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${o.name}: server did not start within 10 s`)), 10_000);
        server!.on('message', (m: ServerToParent) => {
          if (m.type === 'ready') {
            clearTimeout(t);
            resolve(m.port);
          } else if (m.type === 'mark') {
            pending.get(m.id)?.(m);
            pending.delete(m.id);
          }
        });
        server!.once('exit', (code) => reject(new Error(`${o.name}: server exited (${code}) before it was ready`)));
      });
    },
    async round(round) {
      const params: ClientParams = { host: '127.0.0.1', port, ...o.params } as ClientParams;
      const client = fork(here(o.clientScript), [JSON.stringify(params)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: o.execArgv ?? [] });
      let s0: Promise<{ cpuUs: number; responses: number }> | undefined;
      let s1: Promise<{ cpuUs: number; responses: number }> | undefined;
      try {
        const result = await new Promise<{ start: Mark; end: Mark; note?: string }>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${o.name}: round ${round} did not finish within ${o.timeoutS} s`)), o.timeoutS * 1000);
          client.on('message', (m: ClientToParent) => {
            if (m.type === 'window') {
              if (m.phase === 'start') s0 = serverMark();
              else s1 = serverMark();
            } else if (m.type === 'result') {
              clearTimeout(t);
              resolve(m);
            } else if (m.type === 'error') {
              clearTimeout(t);
              reject(new Error(`${o.name}: ${m.message}`));
            }
          });
          client.once('exit', (code) => {
            clearTimeout(t);
            reject(new Error(`${o.name}: client exited (${code}) without a result`));
          });
        });
        if (!s0 || !s1) throw new Error(`${o.name}: client reported no window`);
        return roundFigures(round, result.start, result.end, await s0, await s1, result.note);
      } finally {
        if (client.exitCode === null && client.signalCode === null) {
          await new Promise<void>((r) => {
            const k = setTimeout(() => client.kill('SIGKILL'), 3000);
            client.once('exit', () => {
              clearTimeout(k);
              r();
            });
          });
        }
      }
    },
    async stop() {
      if (server && server.exitCode === null && server.signalCode === null) {
        const s = server;
        await new Promise<void>((r) => {
          s.once('exit', () => r());
          s.disconnect();
          setTimeout(() => s.kill('SIGKILL'), 3000).unref();
        });
      }
    },
  };
}
