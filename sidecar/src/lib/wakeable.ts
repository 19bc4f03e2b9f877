/**
 * A loop that runs `step` until it reports no more work, then sleeps until woken or until
 * the poll interval passes. Wakes during a run are remembered, never lost, and never start a
 * second concurrent run.
 */
export class WakeableLoop {
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    /** Does one unit of work; resolves true when there may be more right away. */
    private readonly step: () => Promise<boolean>,
    private readonly pollMs: number,
    /** Called when a step throws; returns how long to back off. */
    private readonly onError: (err: unknown) => number,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    let delay = this.pollMs;
    try {
      do {
        this.again = false;
        while (!this.stopped && (await this.step()));
      } while (this.again && !this.stopped);
    } catch (err) {
      delay = this.onError(err);
    } finally {
      this.running = false;
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => this.wake(), delay);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}
