import type { Logger } from "pino";
import { partnersFor, routingCodeOf, type Partner } from "../config/partners.ts";
import { checkEvent } from "../contracts/validate.ts";
import type { OdooOutbox } from "../odoo/outbox.ts";
import { OdooError } from "../odoo/errors.ts";
import type { CanonicalEvent, ClaimedEvent } from "../contracts/events.ts";
import type { DeliveryPort } from "../delivery/index.ts";
import { WakeableLoop } from "../lib/wakeable.ts";
import type { ConsumerIdentity } from "./consumer.ts";

export interface DrainObserver {
  claimed?(events: readonly ClaimedEvent[]): void;
}

/**
 * Drains Odoo's outbox: claims a batch (a lease, state based), stores it durably (idempotent
 * on event id) with one delivery per subscribed partner, and wakes the dispatcher. Runs when
 * nudged, and every poll interval in case a nudge was lost.
 */
export class OutboxDrain {
  private readonly loop: WakeableLoop;
  private backoffMs = 1_000;
  lastError: string | null = null;
  lastClaimAt: number | null = null;
  /** Claiming paused because the local backlog is full. */
  holding = false;

  constructor(
    private readonly outbox: OdooOutbox,
    private readonly store: DeliveryPort,
    private readonly partners: readonly Partner[],
    private readonly options: { batch: number; leaseSeconds: number; pollMs: number; maxBacklog: number; claimer?: ConsumerIdentity },
    private readonly log: Logger,
    private readonly onStored: () => void,
    private readonly onRejected: () => void,
    private readonly observer: DrainObserver = {},
  ) {
    this.loop = new WakeableLoop(() => this.claimOnce(), options.pollMs, (err) => this.failed(err));
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One claim; true when the batch was full (more may be waiting). */
  claimOnce(): Promise<boolean> {
    return this.exclusive(() => this.claimUnlocked());
  }

  /**
   * Runs `fn` while no claim is in flight, and holds claims off until it is done: what Odoo
   * shows leased to this replica is then in the store, or its claim failed (reconciliation
   * reads Odoo's outbox this way). `claim` claims once from inside.
   */
  exclusive<T>(fn: (claim: () => Promise<boolean>) => Promise<T>): Promise<T> {
    const run = this.lock.then(() => fn(() => this.claimUnlocked()));
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private lock: Promise<void> = Promise.resolve();

  private async claimUnlocked(): Promise<boolean> {
    // Backpressure: while this many deliveries wait here, new events wait in Odoo (pending,
    // visible to staff) rather than here, and rows whose lease runs out are not claimed
    // again and again while a partner is down.
    const backlog = await this.store.pendingCount();
    if (backlog >= this.options.maxBacklog) {
      if (!this.holding) this.log.warn({ backlog, max_backlog: this.options.maxBacklog }, "backlog full: claiming paused");
      this.holding = true;
      return false;
    }
    if (this.holding) this.log.info({ backlog }, "backlog below its limit: claiming resumed");
    this.holding = false;
    const claimer = this.options.claimer;
    let answer: Awaited<ReturnType<OdooOutbox["claimBatch"]>>;
    try {
      answer = await this.outbox.claimBatch(Math.min(this.options.batch, this.options.maxBacklog - backlog), this.options.leaseSeconds, claimer && { consumer: claimer.consumer, generation: claimer.generation });
    } catch (err) {
      // Odoo may have leased rows whose answer never came back (timeout, lost connection):
      // the next claim, one generation later, takes them back instead of waiting for the lease.
      if (claimer && !(err instanceof OdooError && err.retryable === false)) claimer.next();
      throw err;
    }
    const { events, malformed } = answer;
    this.lastClaimAt = Date.now();
    this.lastError = null;
    this.backoffMs = 1_000;
    for (const m of malformed) this.log.error({ index: m.index, reason: m.reason }, "claimed outbox row has no usable envelope; left to its lease");
    if (events.length === 0) return false;
    const valid: ClaimedEvent[] = [];
    const invalid: { event: CanonicalEvent; reason: string }[] = [];
    for (const c of events) {
      const check = checkEvent(c.event);
      if (check.ok) valid.push(c);
      else invalid.push({ event: c.event, reason: check.reason });
    }
    const outcome = await this.store.ingest(valid, (e) => partnersFor(this.partners, e).map((p) => p.code), (e) => routingCodeOf(e));
    if (invalid.length > 0) {
      // A payload that breaks the contract is a bug to fix in Odoo, not something to send: it
      // is recorded as dead in Odoo with the reason, where a person sees it.
      await this.store.rejectInvalid(invalid.map((i) => ({ claimed: events.find((c) => c.event === i.event)!, reason: `payload does not match contracts/v1: ${i.reason}` })));
      for (const i of invalid) this.log.error({ event_id: i.event.id, type: i.event.type, reason: i.reason }, "claimed event breaks the contract");
      this.onRejected();
    }
    this.observer.claimed?.(valid);
    this.log.debug({ claimed: events.length, ...outcome }, "outbox batch stored");
    this.onStored();
    return events.length >= this.options.batch;
  }

  private failed(err: unknown): number {
    this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const retryable = err instanceof OdooError ? err.retryable : true;
    this.log.warn({ err: this.lastError, retryable, retry_in_ms: this.backoffMs }, "outbox claim failed");
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 60_000);
    return wait;
  }
}
