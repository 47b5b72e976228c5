/**
 * Counts garbage collections with a PerformanceObserver on 'gc'. Entries are
 * delivered asynchronously, so `settle()` waits a turn of the event loop
 * before the count is read.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export class GcCounter {
  private n = 0;
  private readonly obs: PerformanceObserver;
  constructor() {
    this.obs = new PerformanceObserver((list) => {
      this.n += list.getEntries().length;
    });
    this.obs.observe({ entryTypes: ['gc'] });
  }
  /** Collect now (if --expose-gc), let pending entries arrive, and zero the count. */
  async reset(): Promise<void> {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) g();
    await this.settle();
    this.n = 0;
  }
  async settle(): Promise<number> {
    await sleep(20);
    await new Promise((r) => setImmediate(r));
    return this.n;
  }
  get count(): number {
    return this.n;
  }
  close(): void {
    this.obs.disconnect();
  }
}
