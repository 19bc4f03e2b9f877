/**
 * A strict sliding-window rate limit, the one both directions use: at most `requests` counted
 * in any window of `perMs`. A request counts from when it is let through until `perMs` after
 * it ends. The inbound door admits instantaneous requests (`take`: counted for `perMs` from
 * admission). The outbound lanes count a request as the partner sees it (`acquire` ...
 * `release`): we cannot see when a request arrives, only that it arrived between its start and
 * its answer, so it counts from its start until `perMs` after its answer, and whatever the
 * transit time no partner-side window can hold more than `requests` arrivals. Throughput stays
 * at requests * perMs / (perMs + latency).
 *
 * Proof sketch: take any requests + 1 arrivals within one window, and the one that started
 * last, at s. Each other one arrived after s - perMs, so answered after s - perMs, so was
 * still counted when the last one was let through: `requests` counted, so it would have waited.
 *
 * End times sit in a ring of `requests` slots (never more are counted at once): O(1) per request.
 */
export class SlidingWindow {
  private readonly ends: Float64Array;
  private head = 0;
  private size = 0;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly requests: number,
    readonly perMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.ends = new Float64Array(requests);
  }

  private used(now: number): number {
    while (this.size > 0 && this.ends[this.head]! <= now - this.perMs) {
      this.head = (this.head + 1) % this.requests;
      this.size--;
    }
    return this.inFlight + this.size;
  }

  /** Requests counted in the window now (in flight, or ended less than `perMs` ago): the rate in use. */
  inUse(now = this.clock()): number {
    return this.used(now);
  }

  private ended(at: number): void {
    // Full only after close() let waiters go uncounted: the oldest end makes room.
    if (this.size === this.requests) {
      this.head = (this.head + 1) % this.requests;
      this.size--;
    }
    this.ends[(this.head + this.size) % this.requests] = at;
    this.size++;
  }

  /** Admits (and counts) an instantaneous request, or says how many ms until one would be admitted. */
  take(now = this.clock()): { ok: true } | { ok: false; retryAfterMs: number } {
    if (this.waiters.length === 0 && this.used(now) < this.requests) {
      this.ended(now);
      return { ok: true };
    }
    const oldest = this.size > 0 ? this.ends[this.head]! : now;
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(oldest + this.perMs - now)) };
  }

  /** Resolves when one more request may start; the caller must `release()` it once answered. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.used(this.clock()) < this.requests) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
  }

  /** The request got its answer (or failed) at `at`. */
  release(at = this.clock()): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.ended(at);
    this.drain();
  }

  private drain(): void {
    const now = this.clock();
    while (this.waiters.length > 0 && this.used(now) < this.requests) {
      this.inFlight++;
      this.waiters.shift()!();
    }
    if (this.waiters.length > 0 && this.timer === null && this.size > 0) {
      // Wake when the oldest end leaves the window (in-flight ones wake us on release).
      const wait = Math.max(1, this.ends[this.head]! + this.perMs - now + 1);
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
