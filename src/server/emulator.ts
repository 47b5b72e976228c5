/**
 * PageserverEmulator: the in-process emulator (libpq listener + management
 * API). Tests use it directly; `serve` wraps it; `startEmulatorProcess` runs
 * `serve` in its own process for benchmarks.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { defaultEmulatorOptions } from './config.js';
import type { EmulatorOptions, GroundTruth } from './config.js';
import { Connection } from './connection.js';
import { EmulatorCore } from './core.js';
import { createMgmtServer } from './mgmt.js';

export interface EmulatorAddress {
  host: string;
  port: number;
  /** -1 when the management API is disabled. */
  mgmtPort: number;
}

export class PageserverEmulator {
  readonly options: EmulatorOptions;
  private core_: EmulatorCore | undefined;
  private server: Server | undefined;
  private http: HttpServer | undefined;
  private readonly conns = new Set<Connection>();
  private nextId = 1;
  private address_: EmulatorAddress | undefined;

  constructor(opts: Partial<EmulatorOptions> = {}) {
    const d = defaultEmulatorOptions();
    // In-process use (tests, embedding) picks free ports unless told otherwise.
    this.options = { ...d, port: 0, mgmtPort: 0, ...opts };
  }

  get core(): EmulatorCore {
    if (!this.core_) throw new Error('emulator not listening');
    return this.core_;
  }

  get address(): EmulatorAddress | undefined {
    return this.address_;
  }

  async listen(): Promise<EmulatorAddress> {
    const o = this.options;
    const core = (this.core_ = new EmulatorCore(o, performance.now()));
    if (o.prefill) core.prefill();
    const server = (this.server = createServer({ noDelay: true }, (s: Socket) => this.accept(s)));
    server.maxConnections = 100_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    let mgmtPort = -1;
    if (o.mgmtPort >= 0) {
      const http = (this.http = createMgmtServer(core));
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(o.mgmtPort, o.mgmtHost, () => {
          http.off('error', reject);
          resolve();
        });
      });
      mgmtPort = (http.address() as { port: number }).port;
    }
    this.address_ = { host: o.host, port, mgmtPort };
    return this.address_;
  }

  private accept(s: Socket): void {
    const c = new Connection(this.core, s, this.nextId++, (x) => this.conns.delete(x));
    this.conns.add(c);
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.conns.size;
  }

  groundTruth(): GroundTruth {
    return this.core.groundTruth();
  }

  async close(): Promise<void> {
    const closing: Array<Promise<void>> = [];
    if (this.server) {
      const s = this.server;
      closing.push(new Promise((r) => s.close(() => r())));
    }
    if (this.http) {
      const h = this.http;
      h.closeAllConnections();
      closing.push(new Promise((r) => h.close(() => r())));
    }
    for (const c of this.conns) c.destroy();
    await Promise.all(closing);
    this.core_?.ds.close();
    this.server = undefined;
    this.http = undefined;
  }
}
