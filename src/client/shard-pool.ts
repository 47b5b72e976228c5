/**
 * The piscina pool of shard workers, and closing it without killing the
 * process.
 *
 * Why closing needs care: piscina's worker loads the task file with
 * `require()`, which on Node ≥ 20.19 loads an ES module synchronously
 * (require(esm)). `Worker.terminate()` landing while that load is still
 * instantiating the module graph aborts the whole process: "FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module", SIGABRT,
 * no exit code. A run whose pre-flight fails fast (a refused JWT, an unknown
 * tenant) destroys the pool ~50 ms after creating it, while the workers are
 * still loading. With 6 such CLIs at once against a JWT-protected
 * emulator, no token given, 6 of 960 runs aborted (Node 20.20.2); CI
 * once failed on it (run-e2e.test.ts, the JWT test's exit code null).
 *
 * Counting at the end of evaluation is not enough: require(esm) then still
 * instantiates a facade module, and a termination there aborts as well
 * (module_wrap.cc, CreateRequiredModuleFacade): 14 of 960 runs. So each worker counts itself
 * in a shared Int32Array in a microtask queued as its module's last
 * statement, which runs once require() has returned (workers/shard.ts), and
 * close() waits for every live worker to be counted, bounded, before
 * terminating any. With that, 0 of 960 such runs aborted.
 */
import { Piscina } from 'piscina';

/** workerData of every shard worker. */
export interface ShardWorkerData {
  /** Int32Array(1) over this buffer: workers whose module has been evaluated. */
  loaded: SharedArrayBuffer;
}

/** How long close() waits for workers still loading, at most. */
export const LOAD_WAIT_MS = 5000;
const LOAD_POLL_MS = 5;

export class ShardPool {
  readonly pool: Piscina;
  private readonly loaded: Int32Array;

  constructor(threads: number) {
    const data: ShardWorkerData = { loaded: new SharedArrayBuffer(4) };
    this.loaded = new Int32Array(data.loaded);
    this.pool = new Piscina({
      filename: new URL('../../workers/shard.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      workerData: data,
    });
  }

  /** Workers whose module has finished evaluating. */
  get loadedThreads(): number {
    return Atomics.load(this.loaded, 0);
  }

  /**
   * Terminate the workers once none is mid-load (or LOAD_WAIT_MS have passed,
   * or a worker has exited on its own: it will never count itself).
   */
  async close(): Promise<void> {
    const end = Date.now() + LOAD_WAIT_MS;
    while (Date.now() < end) {
      const threads = this.pool.threads;
      // threadId is -1 once a worker has exited.
      if (this.loadedThreads >= threads.length || threads.some((w) => w.threadId === -1)) break;
      await new Promise((r) => setTimeout(r, LOAD_POLL_MS));
    }
    await this.pool.destroy().catch(() => undefined);
  }
}
