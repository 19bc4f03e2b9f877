import PQueue from "p-queue";
import pRetry, { AbortError } from "p-retry";
import { Agent } from "undici";
import type { Logger } from "pino";
import type { Partner } from "../config/partners.ts";
import type { AttemptRecord, DueDelivery } from "./store.ts";
import type { Breaker, DeliveryPort, PartnerStateFactory, RateGate } from "./port.ts";
import { httpTransport, type AttemptOutcome, type Prepared, type PartnerAnswer, type Transport } from "./attempt.ts";
import { CircuitBreaker } from "./breaker.ts";
import { describeRefusal } from "../partners/registry.ts";
import { scrub, secretValuesOf } from "../lib/secrets.ts";
import { SlidingWindow } from "../lib/sliding-window.ts";
import { nextAttemptAt } from "./schedule.ts";
import { msUntilOpen } from "./window.ts";
import { NatsPublisher } from "./nats.ts";
import { interpretAnswer, prepare, type WireTarget } from "./wire.ts";

/** Whether an operator paused a partner (PauseStore): a paused lane sends nothing. */
export interface PauseState {
  isPaused(partner: string): boolean;
}

/** A transient failure worth one more quick try. */
class QuickRetry extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super(outcome.ok ? "ok" : outcome.message);
  }
}

export interface DeliveryObserver {
  /** Called after every attempt is recorded, for logs, metrics and the demo's narration. */
  attempted?(partner: string, delivery: DueDelivery, outcome: AttemptOutcome, final: "delivered" | "dead" | null): void;
  /** Deliveries reached a final state: their events may be ready to report to Odoo. */
  finalized?(): void;
}

/**
 * Where an answer that is news for Odoo goes (EasyPost's bought Shipment): stored durably,
 * before the delivery is recorded, to be applied in Odoo like the partner's webhooks. Throws
 * (the SQLite store) or rejects (the shared store, which answers later) when it cannot store
 * it; the attempt then counts as failed and is retried (the request's idempotency key makes
 * the partner answer the same).
 */
export interface AnswerSink {
  booked(partner: Partner, answer: PartnerAnswer, eventId: string): void | Promise<void>;
}

/**
 * The outcomes of attempts that finish close together go into one transaction (a group
 * commit), so a busy lane costs one commit per tick, not one per delivery; outcomes that
 * arrive while a commit is under way go in the next. A failed commit is logged once; its
 * deliveries stay pending in the store and are attempted again.
 */
function outcomeWriter(store: DeliveryPort, log: Logger, onFinalized: () => void) {
  let pending: { record: AttemptRecord; done: () => void }[] = [];
  let scheduled = false;
  let committing = false;
  const flush = async (): Promise<void> => {
    scheduled = false;
    if (committing || pending.length === 0) return;
    committing = true;
    const batch = pending;
    pending = [];
    try {
      if ((await store.recordOutcomes(batch.map((b) => b.record))) > 0) onFinalized();
    } catch (err) {
      log.error({ err, outcomes: batch.length }, "recording attempt outcomes failed");
    } finally {
      committing = false;
      for (const b of batch) b.done();
      if (pending.length > 0) schedule();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };
  return {
    write: (record: AttemptRecord) =>
      new Promise<void>((done) => {
        pending.push({ record, done });
        schedule();
      }),
  };
}
type OutcomeWriter = ReturnType<typeof outcomeWriter>;

/**
 * One partner's lane: its own queue (concurrency cap and a strict sliding-window rate
 * limit), its own circuit breaker, its own timer. A slow or failing partner holds up
 * nobody else.
 */
class PartnerLane {
  private readonly queue: PQueue;
  /** Deliveries taken from the store and not yet recorded: queued or on the wire. */
  private readonly taken = new Set<number>();
  private readonly breaker: Breaker;
  private readonly rateGate: RateGate;
  /** A pump is reading the store; another wake pumps again once it is done. */
  private pumping = false;
  private pumpAgain = false;
  /** When the last due() found less than it asked for (the store's dueIntervalMs counts from there). */
  private shortAt = -Infinity;
  /** How attempts leave: this partner's keep-alive HTTP pool (or the fetch tests inject), or a NATS JetStream publisher (format nats). */
  private readonly transport: Transport;
  /** The transport got ready (NATS: connected, stream checked) before the first delivery is taken. */
  private opening: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;
  private scheduled = false;
  disabled: string | null = null;
  /** Where and how this partner's requests go (its format's encoding and authentication). */
  private readonly target: WireTarget;
  /** This partner's secret values and their encodings, scrubbed from every answer kept. */
  private readonly secrets: readonly string[];

  constructor(
    readonly partner: Partner,
    private readonly store: DeliveryPort,
    private readonly writer: OutcomeWriter,
    private readonly log: Logger,
    private readonly observer: DeliveryObserver,
    doFetch: typeof fetch | undefined,
    private readonly gapHoldMs: number,
    private readonly answers: AnswerSink | undefined,
    private readonly pauses: PauseState | undefined,
    shared: PartnerStateFactory | undefined,
  ) {
    if (!partner.wire) throw new Error(`partner ${partner.code} has no outbound settings`);
    this.target = { endpoint: partner.endpoint, wire: partner.wire };
    this.secrets = secretValuesOf(partner.wire, { secrets: partner.signingSecrets });
    const { concurrency, rate, breaker_threshold, breaker_cooldown_ms } = partner.limits;
    this.transport =
      partner.wire.format === "nats"
        ? new NatsPublisher(partner.endpoint, partner.wire, partner.code, partner.limits.timeout_ms, log)
        : httpTransport(doFetch ?? new Agent({ connections: concurrency, keepAliveTimeout: 30_000, connect: { timeout: partner.limits.timeout_ms } }));
    // p-queue caps concurrency; the sliding window limits the rate as the partner counts it.
    this.queue = new PQueue({ concurrency });
    // With several replicas on one store, the window, the concurrency and the breaker are the store's (shared).
    this.rateGate = shared ? shared.gate(partner.code, partner.limits) : new SlidingWindow(rate.requests, rate.per_ms);
    this.breaker = shared ? shared.breaker(partner.code, breaker_threshold, breaker_cooldown_ms, partner.limits.timeout_ms + 5_000) : new CircuitBreaker(breaker_threshold, breaker_cooldown_ms);
  }

  get circuit() {
    return this.breaker.state;
  }

  get busy(): number {
    return this.taken.size;
  }

  /** Paused by an operator: its deliveries wait in the store, none is taken or sent. */
  get paused(): boolean {
    return this.pauses?.isPaused(this.partner.code) ?? false;
  }

  /** Requests counted in the rate window now, and its limit. */
  get rate(): { in_use: number; requests: number; per_ms: number } {
    return { in_use: this.rateGate.inUse(), requests: this.rateGate.requests, per_ms: this.rateGate.perMs };
  }

  wake(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** How many deliveries to keep taken: enough that the limiter never idles, no more. */
  private get depth(): number {
    const { concurrency, rate } = this.partner.limits;
    return Math.min(Math.max(concurrency * 2, Math.min(rate.requests, 256)), 1024);
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpOnce()
      .catch((err: unknown) => {
        this.log.error({ err, partner: this.partner.code }, "reading due deliveries failed");
        this.sleepUntil(Date.now() + 1_000);
      })
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pumpOnce(): Promise<void> {
    // A paused lane sleeps without a timer: resume wakes it.
    if (this.stopped || this.paused || this.refusedByTransport()) return;
    if (!this.opening) {
      this.opening = this.transport.open().then(() => this.wake());
      return;
    }
    const now = Date.now();
    if (this.partner.window) {
      const wait = msUntilOpen(this.partner.window, now);
      if (wait > 0) return this.sleepUntil(now + wait);
    }
    const circuit = this.breaker.state;
    if (circuit === "open") return this.sleepUntil(this.breaker.reopensAt);
    const perRequest = this.partner.delivery.mode === "batched" ? this.partner.delivery.max_events : 1;
    const depth = this.depth * perRequest;
    const want = circuit === "half_open" ? (this.taken.size === 0 ? perRequest : 0) : depth - this.taken.size;
    // Refill in chunks, not one query per finished attempt.
    if (want <= 0 || (circuit === "closed" && this.taken.size > 0 && want < depth / 2)) return;
    const interval = this.store.dueIntervalMs ?? 0;
    if (interval > 0 && this.taken.size > 0 && now - this.shortAt < interval) return this.sleepUntil(this.shortAt + interval);
    const rows = await this.store.due(this.partner.code, now, want, this.taken, this.gapHoldMs);
    if (rows.length < want) this.shortAt = Date.now();
    if (this.stopped) return this.store.release?.(rows.map((r) => r.id));
    for (let i = 0; i < rows.length; i += perRequest) {
      const chunk = rows.slice(i, i + perRequest);
      if (this.partner.delivery.mode === "batched" && chunk.length < perRequest) {
        // A partial batch waits until its oldest event has waited max_wait_ms.
        const sendAt = Math.min(...chunk.map((r) => r.createdAt)) + this.partner.delivery.max_wait_ms;
        if (sendAt > now) {
          this.sleepUntil(sendAt);
          break;
        }
      }
      for (const row of chunk) this.taken.add(row.id);
      void this.queue.add(() => this.attempt(chunk));
    }
    // Rows of a partial batch left to wait: their leases may lapse meanwhile.
    const left = rows.filter((r) => !this.taken.has(r.id));
    if (left.length > 0) this.store.release?.(left.map((r) => r.id));
    if (rows.length === 0 && this.taken.size === 0) {
      // Something may be due yet held (a sequence gap): look again shortly, never spin.
      const next = await this.store.nextDueAt(this.partner.code);
      if (next !== null) this.sleepUntil(Math.max(next, now + 250));
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

  /** One request: a single event, or a batch in batched mode. */
  /** Outcomes being recorded after their queue slot was let go (stop waits for them). */
  private readonly recording = new Set<Promise<unknown>>();

  private async attempt(rows: DueDelivery[]): Promise<void> {
    // Once answered, the queue slot goes to the next request while the outcome is recorded:
    // the deliveries stay taken (and leased) until their outcome is committed.
    let recorded: Promise<unknown> | null = null;
    try {
      // Queued before a pause: released unsent, still pending in the store.
      if (this.stopped || this.paused) return;
      const wire = this.target;
      const previousEventId = wire.wire.format === "cxml" && rows.length === 1 ? await this.store.previousDelivered(rows[0]!.id) : undefined;
      const request = prepare(wire, rows, { now: Date.now(), previousEventId, batch: this.partner.delivery.mode === "batched" });
      if ("ok" in request) {
        // This partner's format cannot carry the event: no attempt can succeed.
        const message = `not encodable as ${wire.wire.format}: ${describeRefusal(request)}`;
        this.log.warn({ partner: this.partner.code, events: rows.map((r) => r.eventId), reason: message }, "event refused by the partner's format");
        await Promise.all(rows.map((row) => this.writer.write({ id: row.id, ok: false, errorClass: "encode", message, nextAttemptAt: null })));
        return;
      }
      // Released without an attempt when the circuit opened meanwhile; the deliveries stay pending in the store.
      if (!(await this.breaker.tryAcquire())) return;
      const sent = await this.sendWithQuickRetries(request, rows);
      if (!sent) return;
      const { tries } = sent;
      const settled = this.settle(sent.outcome, rows);
      // Awaited only when the booking's store answers later: the SQLite path stays synchronous.
      const outcome = settled instanceof Promise ? await settled : settled;
      recorded = Promise.all(
        rows.map(async (row) => {
          const record = { ...this.toRecord({ ...row, attempts: row.attempts + tries - 1 }, outcome), tries };
          await this.writer.write(record);
          const final = record.ok ? "delivered" : record.nextAttemptAt === null ? "dead" : null;
          this.observer.attempted?.(this.partner.code, row, outcome, final);
        }),
      ).catch((err: unknown) => this.log.error({ err, partner: this.partner.code, deliveries: rows.map((r) => r.id) }, "recording a delivery attempt failed unexpectedly"));
    } catch (err) {
      this.log.error({ err, partner: this.partner.code, deliveries: rows.map((r) => r.id) }, "delivery attempt failed unexpectedly");
    } finally {
      const done = () => {
        for (const row of rows) this.taken.delete(row.id);
        this.store.release?.(rows.map((r) => r.id));
        this.wake();
      };
      if (recorded) {
        const r = recorded.finally(() => {
          this.recording.delete(r);
          done();
        });
        this.recording.add(r);
      } else done();
    }
  }

  /**
   * A transport that cannot work as configured (a NATS stream of other subjects) stops the
   * lane, with the reason as its `disabled` status; its deliveries stay pending in the store.
   */
  private refusedByTransport(): boolean {
    const reason = this.transport.refused();
    if (!reason) return false;
    if (!this.disabled) {
      this.disabled = reason;
      this.stopped = true;
      this.queue.clear();
    }
    return true;
  }

  /** One request (or publish) through the rate gate; null when the lane stopped meanwhile. */
  private async sendOnce(request: Prepared): Promise<AttemptOutcome | null> {
    await this.rateGate.acquire();
    if (this.stopped) {
      this.rateGate.release();
      return null;
    }
    try {
      const outcome = this.withoutSecrets(await this.transport.send(request, this.partner.limits.timeout_ms));
      // Refused by the transport's configuration: released unsent, not recorded as an attempt.
      return this.refusedByTransport() ? null : outcome;
    } finally {
      this.rateGate.release();
    }
  }

  /**
   * Sends, retrying a transient failure a few times in-process (p-retry: short exponential
   * waits with jitter), each try through the rate gate; what still fails goes to the durable
   * schedule. A Retry-After, an open circuit or a permanent answer ends the quick retries.
   */
  private async sendWithQuickRetries(request: Prepared, rows: readonly DueDelivery[]): Promise<{ outcome: AttemptOutcome; tries: number } | null> {
    let tries = 0;
    let last: AttemptOutcome | null = null;
    const quick = this.partner.retry.quick_retries;
    if (quick === 0) {
      const o = await this.sendOnce(request);
      if (!o) return null;
      this.updateBreaker(o);
      return { outcome: o, tries: 1 };
    }
    try {
      const outcome = await pRetry(
        async () => {
          const o = await this.sendOnce(request);
          if (!o) throw new AbortError("lane stopped");
          tries++;
          last = o;
          this.updateBreaker(o);
          if (!o.ok && o.retryable && o.retryAfterMs === undefined && tries <= quick && this.breaker.state === "closed" && !this.stopped) {
            for (const row of rows) this.observer.attempted?.(this.partner.code, row, o, null);
            throw new QuickRetry(o);
          }
          return o;
        },
        { retries: quick, minTimeout: 200, maxTimeout: 2_000, factor: 3, randomize: true, shouldRetry: ({ error }) => error instanceof QuickRetry && !this.stopped },
      );
      return { outcome, tries };
    } catch (err) {
      if (err instanceof QuickRetry) return { outcome: err.outcome, tries };
      if (last && this.stopped) return { outcome: last, tries };
      if (err instanceof AbortError || (err as Error).name === "AbortError") return null;
      throw err;
    }
  }

  /**
   * The answer read as the format means it; a booking stored for Odoo before the delivery is
   * recorded. A promise only when the booking's store answers later (the shared store).
   */
  private settle(raw: AttemptOutcome, rows: readonly DueDelivery[]): AttemptOutcome | Promise<AttemptOutcome> {
    const interpreted = interpretAnswer(this.target.wire, raw);
    const outcome = this.withoutSecrets(interpreted.outcome);
    const booking = interpreted.booking;
    if (!booking) return outcome;
    const notStored = (err: unknown): AttemptOutcome => {
      this.log.error({ err, partner: this.partner.code, event: rows[0]!.eventId }, "storing the partner's booking answer failed; the delivery will be retried");
      return { ok: false, errorClass: "bad_answer", message: "the answer could not be stored; retried", retryable: true };
    };
    try {
      if (!this.answers) throw new Error("no store for answers");
      const stored = this.answers.booked(this.partner, booking, rows[0]!.eventId);
      return stored instanceof Promise ? stored.then(() => outcome, notStored) : outcome;
    } catch (err) {
      return notStored(err);
    }
  }

  /**
   * A partner (or a proxy before it) may echo our credentials in an error page: the message
   * kept with the delivery, logged and recorded in Odoo's outbox (which staff read) never
   * holds this partner's secrets, in any form they travel in.
   */
  private withoutSecrets(outcome: AttemptOutcome): AttemptOutcome {
    if (outcome.ok) return outcome;
    const message = scrub(outcome.message, this.secrets);
    return message === outcome.message ? outcome : { ...outcome, message };
  }

  private updateBreaker(outcome: AttemptOutcome): void {
    if (outcome.ok) return this.breaker.success();
    if (outcome.retryable) this.breaker.failure();
    else this.breaker.neutral();
    if (outcome.errorClass === "gone") {
      // Its pending deliveries stay in the store, visible, until the endpoint is fixed and the sidecar restarted.
      this.log.warn({ partner: this.partner.code }, "partner endpoint answered 410 Gone: lane disabled until restart");
      this.disabled = "endpoint answered 410 Gone";
      this.stopped = true;
      this.queue.clear();
    }
  }

  private toRecord(row: DueDelivery, outcome: AttemptOutcome): AttemptRecord {
    const now = Date.now();
    if (outcome.ok) return { id: row.id, ok: true, status: outcome.status, at: now };
    const next = outcome.retryable ? nextAttemptAt(this.partner.retry, row.attempts + 1, row.createdAt, now, outcome.retryAfterMs) : null;
    const exhausted = next === null && outcome.retryable;
    return {
      id: row.id,
      ok: false,
      errorClass: exhausted ? "max_age" : outcome.errorClass,
      message: exhausted ? `retries exhausted; last: ${outcome.message}` : outcome.message,
      status: outcome.status,
      nextAttemptAt: next,
    };
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.clear();
    this.rateGate.close();
    await Promise.race([this.queue.onIdle().then(() => Promise.all(this.recording)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.transport.close();
  }
}

export interface LaneStatus {
  circuit: string;
  in_flight: number;
  disabled: string | null;
  paused: boolean;
  rate: { in_use: number; requests: number; per_ms: number };
}

/** Routes due deliveries into per-partner lanes. */
export class Dispatcher {
  private readonly lanes = new Map<string, PartnerLane>();

  /**
   * @param gapHoldMs how long a delivery waits for the previous sequence of its subject to
   * show up (the outbox lease plus a margin: a claim lost with a killed process comes back then).
   */
  constructor(partners: readonly Partner[], store: DeliveryPort, log: Logger, observer: DeliveryObserver = {}, doFetch?: typeof fetch, gapHoldMs = 0, answers?: AnswerSink, pauses?: PauseState, shared?: PartnerStateFactory) {
    const writer = outcomeWriter(store, log, () => observer.finalized?.());
    for (const p of partners) {
      this.lanes.set(p.code, new PartnerLane(p, store, writer, log, observer, doFetch, gapHoldMs, answers, pauses, shared));
    }
  }

  wakeAll(): void {
    for (const lane of this.lanes.values()) lane.wake();
  }

  /** Wakes one partner's lane (after a resume); false when no lane has that code. */
  wake(partner: string): boolean {
    const lane = this.lanes.get(partner);
    lane?.wake();
    return lane !== undefined;
  }

  has(partner: string): boolean {
    return this.lanes.has(partner);
  }

  status(): Record<string, LaneStatus> {
    const out: Record<string, LaneStatus> = {};
    for (const [code, lane] of this.lanes) out[code] = { circuit: lane.circuit, in_flight: lane.busy, disabled: lane.disabled, paused: lane.paused, rate: lane.rate };
    return out;
  }

  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all([...this.lanes.values()].map((l) => l.stop(graceMs)));
  }
}
