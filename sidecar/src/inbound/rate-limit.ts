/**
 * A strict sliding-window limit: at most `requests` admitted in any window of `perMs`. The
 * admission times of the last `requests` requests sit in a ring; a request is admitted when
 * the oldest of them has left the window. O(1) per request, `requests` numbers of memory.
 */
export class SlidingWindowLimiter {
  private readonly ring: Float64Array;
  private next = 0;

  constructor(
    readonly requests: number,
    readonly perMs: number,
  ) {
    this.ring = new Float64Array(requests).fill(-Infinity);
  }

  /** Admits (and counts) a request, or says how many ms until one would be admitted. */
  take(now = performance.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const oldest = this.ring[this.next]!;
    if (now - oldest < this.perMs) return { ok: false, retryAfterMs: Math.ceil(oldest + this.perMs - now) };
    this.ring[this.next] = now;
    this.next = (this.next + 1) % this.requests;
    return { ok: true };
  }
}
