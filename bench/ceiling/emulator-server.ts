/**
 * The emulator as the server side of an arm: its own process, started once.
 * Marks: its CPU time (/v1/emulator/cpu) and its GetPage responses (/metrics).
 */
import { get } from 'node:http';
import { startEmulatorProcess, type EmulatorProcess } from '../../src/server/process.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import type { ServerMark, ServerSide } from './child-arm.js';
import { syscalls } from './procio.js';
import { SERVER_CPU, pin } from './pin.js';

function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (s += d));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`${url}: no answer within 5 s`)));
  });
}

export interface EmulatorServer extends ServerSide {
  readonly mgmt: string;
  readonly host: string;
}

export function emulatorServer(args: string[], nodeArgs: string[] = []): EmulatorServer {
  let emu: EmulatorProcess | undefined;
  let mgmt = '';
  return {
    get mgmt() {
      return mgmt;
    },
    get host() {
      return emu?.host ?? '127.0.0.1';
    },
    async start() {
      // --prefill: every page built before listening, so no arm pays page generation.
      emu = await startEmulatorProcess({ args: ['--quiet', '--prefill', ...args], nodeArgs, stderr: 'forward', readyTimeoutMs: 120_000 });
      pin(emu.pid, SERVER_CPU);
      mgmt = `http://${emu.host}:${emu.mgmtPort}`;
      return { port: emu.port, params: { tenant: DEFAULT_TENANT_ID, timeline: DEFAULT_TIMELINE_ID, mgmt } };
    },
    async mark(): Promise<ServerMark> {
      const io = syscalls(emu!.pid);
      const [c, text] = await Promise.all([emu!.cpuUsage(), httpText(`${mgmt}/metrics`)]);
      const m = /^pagestream_responses_total\{kind="getpage"\} (\d+)/m.exec(text);
      if (!m) throw new Error('emulator /metrics has no pagestream_responses_total{kind="getpage"}');
      return { cpuUs: c.userUs + c.systemUs, responses: Number(m[1]), ...io };
    },
    async stop() {
      await emu?.stop();
    },
  };
}
