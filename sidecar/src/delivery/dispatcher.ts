import PQueue from "p-queue";
import type { Logger } from "pino";
import type { Partner } from "../config/partners.ts";
import type { DeliveryStore } from "../store/deliveries.ts";
import type { DeliveryRow } from "../store/schema.ts";
import { sendAttempt, type AttemptOutcome } from "./attempt.ts";
import { CircuitBreaker } from "./breaker.ts";
import { encodeCanonical } from "./encode.ts";
import { nextAttemptAt } from "./schedule.ts";

export interface DeliveryObserver {
  /** Called after every attempt, for logs, metrics and the demo's narration. */
  attempted?(partner: string, row: DeliveryRow, outcome: AttemptOutcome, final: "delivered" | "dead" | null): void;
  /** A delivery reached a final state: the event may be ready to report to Odoo. */
  finalized?(): void;
}

/**
 * One partner's lane: its own queue (concurrency cap and a strict sliding-window rate
 * limit), its own circuit breaker, its own timer. A slow or failing partner holds up
 * nobody else.
 */
class PartnerLane {
  private readonly queue: PQueue;
  private readonly inFlight = new Set<number>();
  private readonly breaker: CircuitBreaker;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;
  private scheduled = false;
  disabled: string | null = null;

  constructor(
    readonly partner: Partner,
    private readonly store: DeliveryStore,
    private readonly log: Logger,
    private readonly observer: DeliveryObserver,
    private readonly doFetch: typeof fetch,
  ) {
    const { concurrency, rate, breaker_threshold, breaker_cooldown_ms } = partner.limits;
    this.queue = new PQueue({ concurrency, intervalCap: rate.requests, interval: rate.per_ms, strict: true });
    this.breaker = new CircuitBreaker(breaker_threshold, breaker_cooldown_ms);
  }

  get circuit() {
    return this.breaker.state;
  }

  get busy(): number {
    return this.inFlight.size;
  }

  wake(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    const circuit = this.breaker.state;
    if (circuit === "open") return this.sleepUntil(this.breaker.reopensAt);
    // Keep a little more than the concurrency queued so the limiter never idles.
    const want = circuit === "half_open" ? (this.inFlight.size === 0 ? 1 : 0) : this.partner.limits.concurrency * 2 - this.inFlight.size;
    if (want <= 0) return;
    const rows = this.store.due(this.partner.code, now, want, this.inFlight);
    for (const row of rows) {
      this.inFlight.add(row.id);
      void this.queue.add(() => this.attempt(row));
    }
    if (rows.length === 0 && this.inFlight.size === 0) {
      const next = this.store.nextDueAt(this.partner.code);
      if (next !== null) this.sleepUntil(next);
    }
  }

  private sleepUntil(at: number): void {
    if (this.stopped) return;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()) + 5);
    this.timer.unref();
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    try {
      if (this.stopped) return;
      if (!this.breaker.tryAcquire()) return;
      const event = this.store.event(row.eventId);
      if (!event) return;
      const request = encodeCanonical(this.partner, event.id, event.payload);
      const outcome = await sendAttempt(request, this.partner.limits.timeout_ms, this.doFetch);
      const final = this.record(row, outcome);
      this.observer.attempted?.(this.partner.code, row, outcome, final);
      if (final) this.observer.finalized?.();
    } catch (err) {
      // A store failure must not kill the lane; the delivery stays pending and is retried.
      this.log.error({ err, partner: this.partner.code, delivery: row.id }, "delivery attempt failed unexpectedly");
    } finally {
      this.inFlight.delete(row.id);
      this.wake();
    }
  }

  private record(row: DeliveryRow, outcome: AttemptOutcome): "delivered" | "dead" | null {
    if (outcome.ok) {
      this.breaker.success();
      this.store.markDelivered(row.id, outcome.status);
      return "delivered";
    }
    if (outcome.retryable) this.breaker.failure();
    else this.breaker.neutral();
    const now = Date.now();
    const next = outcome.retryable ? nextAttemptAt(this.partner.retry, row.attempts + 1, row.createdAt, now, outcome.retryAfterMs) : null;
    this.store.markFailed(row.id, {
      errorClass: next === null && outcome.retryable ? "max_age" : outcome.errorClass,
      message: next === null && outcome.retryable ? `retries exhausted; last: ${outcome.message}` : outcome.message,
      status: outcome.status,
      nextAttemptAt: next,
    });
    if (outcome.errorClass === "gone") {
      // Its pending deliveries stay in the store, visible, until the endpoint is fixed and the sidecar restarted.
      this.log.warn({ partner: this.partner.code }, "partner endpoint answered 410 Gone: lane disabled until restart");
      this.disabled = "endpoint answered 410 Gone";
      this.stopped = true;
    }
    return next === null ? "dead" : null;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.clear();
    await Promise.race([this.queue.onIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }
}

/** Routes due deliveries into per-partner lanes. */
export class Dispatcher {
  private readonly lanes = new Map<string, PartnerLane>();

  constructor(
    partners: readonly Partner[],
    store: DeliveryStore,
    log: Logger,
    observer: DeliveryObserver = {},
    doFetch: typeof fetch = fetch,
  ) {
    for (const p of partners) this.lanes.set(p.code, new PartnerLane(p, store, log, observer, doFetch));
  }

  wakeAll(): void {
    for (const lane of this.lanes.values()) lane.wake();
  }

  status(): Record<string, { circuit: string; in_flight: number; disabled: string | null }> {
    const out: Record<string, { circuit: string; in_flight: number; disabled: string | null }> = {};
    for (const [code, lane] of this.lanes) out[code] = { circuit: lane.circuit, in_flight: lane.busy, disabled: lane.disabled };
    return out;
  }

  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all([...this.lanes.values()].map((l) => l.stop(graceMs)));
  }
}
