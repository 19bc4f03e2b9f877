/**
 * A rate limit as the partner counts it: at most `requests` arrivals in any window of
 * `perMs`. We cannot see when a request arrives, only that it arrived between its start and
 * its answer. So a request counts against the window from its start until `perMs` after its
 * answer (or for as long as it is in flight): whatever the transit time (a new connection's
 * handshake, a stalled event loop, a slow proxy), no partner-side window can then hold more
 * than `requests` arrivals. Throughput stays at limit * perMs / (perMs + latency): 99% of the
 * limit at 10 ms latency on a 1 s window.
 *
 * Proof sketch: take any limit + 1 requests whose arrivals fall within one window, and the
 * one that started last, at s. Each other one arrived after s - perMs, so answered after
 * s - perMs, so was still counted when the last one passed the gate: limit counted, so it
 * would have waited.
 */
export class RateGate {
  private inFlight = 0;
  /** Answer times still inside the window, oldest first. */
  private readonly answered: number[] = [];
  private head = 0;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly requests: number,
    private readonly perMs: number,
  ) {}

  private used(now: number): number {
    while (this.head < this.answered.length && this.answered[this.head]! <= now - this.perMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.answered.length) {
      this.answered.splice(0, this.head);
      this.head = 0;
    }
    return this.inFlight + this.answered.length - this.head;
  }

  /** Resolves when one more request may start; the caller must `release()` it once answered. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.used(Date.now()) < this.requests) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
  }

  /** The request got its answer (or failed) at `at`. */
  release(at = Date.now()): void {
    this.inFlight--;
    this.answered.push(at);
    this.drain();
  }

  private drain(): void {
    const now = Date.now();
    while (this.waiters.length > 0 && this.used(now) < this.requests) {
      this.inFlight++;
      this.waiters.shift()!();
    }
    if (this.waiters.length > 0 && this.timer === null && this.head < this.answered.length) {
      // Wake when the oldest answer leaves the window (in-flight ones wake us on release).
      const wait = Math.max(1, this.answered[this.head]! + this.perMs - now + 1);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.drain();
      }, wait);
      this.timer.unref();
    }
  }

  /** Releases every waiter (stopping); they must not send. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.waiters.splice(0)) w();
  }
}
