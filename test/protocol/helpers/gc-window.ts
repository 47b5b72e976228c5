/**
 * Counts GC events that START inside a synchronous window [t0, t1] measured
 * with performance.now(). Entries arrive asynchronously, so `settle()` must be
 * awaited before counting; events caused by the test runner or timers outside
 * the window do not count, which keeps a zero honest and the test stable.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export class GcWindow {
  private readonly starts: number[] = [];
  private readonly obs: PerformanceObserver;
  constructor() {
    this.obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.starts.push(e.startTime);
    });
    this.obs.observe({ entryTypes: ['gc'] });
  }
  /** Collect garbage left by setup (when --expose-gc) so the window starts clean. */
  async clean(): Promise<void> {
    (globalThis as { gc?: () => void }).gc?.();
    await this.settle();
  }
  async settle(): Promise<void> {
    await sleep(30);
    await new Promise((r) => setImmediate(r));
  }
  /** Run `fn` synchronously and return the number of GC events that began while it ran. */
  async count(fn: () => void): Promise<number> {
    await this.clean();
    const t0 = performance.now();
    fn();
    const t1 = performance.now();
    await this.settle();
    return this.starts.filter((s) => s >= t0 && s <= t1).length;
  }
  close(): void {
    this.obs.disconnect();
  }
}
