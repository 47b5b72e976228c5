/**
 * Sleeps for a loop that wakes a hundred times a second (run.ts's time-slice
 * switches) and must stop at once on an abort (Ctrl-C). One abort listener
 * for the whole loop, not one added and removed per sleep: in the eighth
 * session's profile of a default run, the per-sleep listener churn was a
 * fifth of the main thread's work at the switches, and the main thread's
 * CPU is charged to the client's CPU per response like the worker's.
 */
export class AbortableSleeper {
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private readonly signal: AbortSignal | undefined;
  private readonly fire = (): void => {
    this.timer = null;
    const w = this.wake;
    this.wake = null;
    w?.();
  };
  private readonly onAbort = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    this.fire();
  };

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
    signal?.addEventListener('abort', this.onAbort);
  }

  /** Resolves after `ms`, or at once when the signal aborts (or has aborted). One sleep at a time. */
  sleep(ms: number): Promise<void> {
    if (this.signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(this.fire, ms);
    });
  }

  /** Stop listening; a pending sleep resolves now. */
  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.timer !== null) clearTimeout(this.timer);
    this.fire();
  }
}
