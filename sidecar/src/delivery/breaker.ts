/**
 * Per-partner circuit breaker. Closed: everything goes. After `threshold` consecutive
 * retryable failures it opens: nothing is sent (deliveries wait, none is lost) until the
 * cooldown ends; then exactly one probe goes out. A probe that succeeds closes it; one that
 * fails opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
  ) {}

  get state(): "closed" | "open" | "half_open" {
    if (this.failures < this.threshold) return "closed";
    return this.probing || Date.now() >= this.openUntil ? "half_open" : "open";
  }

  /** Whether a request may start now; in half-open state only one (the probe) may. */
  tryAcquire(now = Date.now()): boolean {
    if (this.failures < this.threshold) return true;
    if (now < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** When the next probe may go (for sleeping). */
  get reopensAt(): number {
    return this.openUntil;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
  }

  failure(now = Date.now()): void {
    this.failures++;
    this.probing = false;
    if (this.failures >= this.threshold) this.openUntil = now + this.cooldownMs;
  }

  /** A non-retryable answer proves the partner is up: it does not count as a failure. */
  neutral(): void {
    this.failures = 0;
    this.probing = false;
  }
}
