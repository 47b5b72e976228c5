/**
 * Runs one arm made of child processes: a server child kept for all rounds,
 * and one fresh client child per round. The client marks its measured window
 * and the parent takes the server's mark at each edge (see ipc.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientParams, ClientToParent, Mark, ServerToParent } from './ipc.js';
import { CLIENT_CPU, SERVER_CPU, pin } from './pin.js';

export interface ArmRound {
  round: number;
  responses: number;
  durationS: number;
  throughputRps: number;
  clientCpuUs: number;
  clientCpuPerResponseUs: number;
  /** The user / system split of the client's CPU per response (system: the kernel's socket work). */
  clientUserPerResponseUs?: number;
  clientSystemPerResponseUs?: number;
  /** Read / write syscalls per response (procio.ts). */
  clientReadsPerResponse?: number;
  clientWritesPerResponse?: number;
  serverReadsPerResponse?: number;
  serverWritesPerResponse?: number;
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
export interface ServerMark {
  cpuUs: number;
  responses: number;
  syscr?: number;
  syscw?: number;
}

export function roundFigures(round: number, c0: Mark, c1: Mark, s0: ServerMark, s1: ServerMark, note?: string): ArmRound {
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
    clientUserPerResponseUs: (c1.userUs - c0.userUs) / responses,
    clientSystemPerResponseUs: (c1.systemUs - c0.systemUs) / responses,
    clientReadsPerResponse: (c1.syscr - c0.syscr) / responses,
    clientWritesPerResponse: (c1.syscw - c0.syscw) / responses,
    ...(s0.syscr !== undefined && s1.syscr !== undefined
      ? { serverReadsPerResponse: (s1.syscr - s0.syscr) / (serverResponses || responses), serverWritesPerResponse: (s1.syscw! - s0.syscw!) / (serverResponses || responses) }
      : {}),
    serverCpuUs,
    serverResponses,
    serverCpuPerResponseUs: serverCpuUs / (serverResponses > 0 ? serverResponses : responses),
    ...(note ? { note } : {}),
  };
}

/** The server side of an arm: started once, marked at each window edge. */
export interface ServerSide {
  /** Resolves with the port and any parameters the client needs (e.g. tenant/timeline). */
  start(): Promise<{ port: number; params?: Record<string, unknown> }>;
  mark(): Promise<ServerMark>;
  stop(): Promise<void>;
}

/** A server child script of this directory that answers IPC marks (ipc.ts serveMarks). */
export function forkedServer(name: string, script: string, execArgv: string[] = [], args: string[] = []): ServerSide {
  let server: ChildProcess | undefined;
  let markId = 0;
  const pending = new Map<number, (m: Mark) => void>();
  return {
    async start() {
      server = fork(here(script), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
      pin(server.pid, SERVER_CPU);
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${name}: server did not start within 10 s`)), 10_000);
        server!.on('message', (m: ServerToParent) => {
          if (m.type === 'ready') {
            clearTimeout(t);
            resolve(m.port);
          } else if (m.type === 'mark') {
            pending.get(m.id)?.(m);
            pending.delete(m.id);
          }
        });
        server!.once('exit', (code) => reject(new Error(`${name}: server exited (${code}) before it was ready`)));
      });
      return { port };
    },
    mark() {
      return new Promise<ServerMark>((resolve, reject) => {
        const id = ++markId;
        const t = setTimeout(() => reject(new Error(`${name}: server did not answer a mark`)), 5000);
        pending.set(id, (m) => {
          clearTimeout(t);
          resolve({ cpuUs: cpuUs(m), responses: m.responses, syscr: m.syscr, syscw: m.syscw });
        });
        server!.send({ type: 'mark', id });
      });
    },
    async stop() {
      const s = server;
      if (s && s.exitCode === null && s.signalCode === null) {
        await new Promise<void>((r) => {
          s.once('exit', () => r());
          s.disconnect();
          setTimeout(() => s.kill('SIGKILL'), 3000).unref();
        });
      }
    },
  };
}

export interface ChildArmOptions {
  name: string;
  label: string;
  server: ServerSide;
  clientScript: string; // relative to this directory, e.g. './raw-client.js'
  params: Omit<ClientParams, 'host' | 'port'>;
  execArgv?: string[];
  /** Bound on one round (seconds); a hung child is killed and the round fails. */
  timeoutS: number;
}

export function childArm(o: ChildArmOptions): Arm {
  let port = 0;
  let extra: Record<string, unknown> = {};
  return {
    name: o.name,
    label: o.label,
    async start() {
      const s = await o.server.start();
      port = s.port;
      extra = s.params ?? {};
    },
    async round(round) {
      const params: ClientParams = { host: '127.0.0.1', port, ...extra, ...o.params } as ClientParams;
      const client = fork(here(o.clientScript), [JSON.stringify(params)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: o.execArgv ?? [] });
      pin(client.pid, CLIENT_CPU);
      let s0: Promise<ServerMark> | undefined;
      let s1: Promise<ServerMark> | undefined;
      try {
        const result = await new Promise<{ start: Mark; end: Mark; note?: string }>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${o.name}: round ${round} did not finish within ${o.timeoutS} s`)), o.timeoutS * 1000);
          client.on('message', (m: ClientToParent) => {
            if (m.type === 'window') {
              if (m.phase === 'start') s0 = o.server.mark();
              else s1 = o.server.mark();
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
    stop() {
      return o.server.stop();
    },
  };
}
