import type { Logger } from "pino";
import { OdooUnavailableError } from "../odoo/errors.ts";
import type { ApplyItem, ApplyOutcome, OdooInbound } from "../odoo/inbound.ts";
import type { FinalInboundStatus, PendingInbound } from "./store.ts";
import type { InboundPort } from "./port.ts";
import { coalesceSubject, type CoalesceCandidate } from "./coalesce.ts";

export interface ApplyWorkerOptions {
  /** Events per apply_events call (the addon takes at most 200). */
  batch: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Longest wait between two attempts while Odoo is unreachable. */
  retryMaxMs: number;
  /** First wait after a failed call; doubles per attempt. Default 1000. */
  retryBaseMs?: number;
  /** Decodes received carrier webhooks before each look for due work (see DecodeStage). */
  decodeStage?: { run(limit: number): Promise<number> };
}

/** Received documents decoded per turn of the worker: a batch short enough to keep the apply calls flowing (bench/README.md, "Inbound"). */
const DECODE_BATCH = 500;

export interface ApplyDecision {
  partner: string;
  type: string;
  status: FinalInboundStatus | "coalesced";
  duplicate: boolean;
}

export interface ApplyObserver {
  /** Outcomes recorded (after the store transaction). */
  decided?(decisions: readonly ApplyDecision[]): void;
  /** A call failed; its events stay pending. */
  failed?(error: Error, events: number): void;
}

interface Candidate extends CoalesceCandidate {
  doc: PendingInbound;
  item: ApplyItem;
}

interface Batch {
  send: Candidate[];
  superseded: { item: Candidate; into: Candidate }[];
  subjects: Set<string>;
  /** One event that once broke a whole call, sent on its own. */
  alone: boolean;
}

const TRACKING = "carrier.tracking_updated";

/**
 * Applies stored partner documents in Odoo through `connector.inbound.apply_events`:
 * bounded concurrency, in order per subject (a subject is in at most one call at a time, its
 * events in arrival order), tracking bursts coalesced, every outcome recorded. While Odoo is
 * unreachable the events stay pending and are tried again with a growing wait; the addon is
 * idempotent on event id, so a call whose answer was lost is simply sent again.
 */
export class ApplyWorker {
  private running = 0;
  private readonly inFlight = new Set<string>();
  /** Documents that broke a whole call once (not a transport failure): sent alone from then on. */
  private readonly isolate = new Set<number>();
  private readonly calls = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private scheduled = false;
  /** A turn is reading the store (a wake meanwhile asks for one more turn after it). */
  private ticking = false;
  private again = false;
  private stopped = true;
  lastError: string | null = null;
  lastAppliedAt: number | null = null;

  constructor(
    private readonly store: InboundPort,
    private readonly gateway: OdooInbound,
    private readonly log: Logger,
    private readonly options: ApplyWorkerOptions,
    private readonly observer: ApplyObserver = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Asks for a look at the store soon (after new documents were stored, or a call ended). */
  wake(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.tick();
    });
  }

  /** Stops taking work and waits for the calls in flight (their outcomes are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.calls]);
    // The calls were the store's last users that hold leases: what is still held goes back.
    await this.store.close?.();
  }

  get busy(): boolean {
    return this.running > 0;
  }

  /** One turn at a time: the store's answers may come later (a shared store), and two turns must not plan the same free slots. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        await this.turn();
      } while (this.again && !this.stopped);
    } finally {
      this.ticking = false;
    }
  }

  private async turn(): Promise<void> {
    try {
      // More than a batch waiting: the next turn takes the rest (calls go out meanwhile).
      if (this.options.decodeStage && (await this.options.decodeStage.run(DECODE_BATCH)) === DECODE_BATCH) this.wake();
      const now = Date.now();
      const free = this.options.concurrency - this.running;
      if (free > 0 && !this.stopped) for (const batch of await this.plan(now, free)) this.launch(batch);
      await this.armTimer();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.error({ err }, "inbound apply: reading the store failed");
      // A store that failed is asked again after a while, not in a loop.
      this.armRetry(1_000);
    }
  }

  private armRetry(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.wake();
    }, ms);
    this.timer.unref();
  }

  /** Sleeps until the earliest pending document is due (a new document or a finished call wakes it sooner). */
  private async armTimer(): Promise<void> {
    const next = await this.store.nextDueAt();
    if (this.stopped) return;
    // Nothing waits: a shared store is still looked at now and then (another replica may
    // store documents and die before it applies them); a private one is woken by its door.
    if (next === null) return this.store.pollFloorMs ? this.armRetry(this.store.pollFloorMs * 4) : undefined;
    // Due work whose subjects are in a call: that call's end wakes the worker.
    if (next <= Date.now() && this.running > 0) return;
    const at = Math.max(next, Date.now() + (this.store.pollFloorMs ?? 5));
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.wake();
    }, at - Date.now());
    this.timer.unref();
  }

  /** Up to `free` batches of due documents, subjects not already in a call, each subject whole and in order. */
  private async plan(now: number, free: number): Promise<Batch[]> {
    const { batch: size } = this.options;
    const rows = await this.store.due(now, size * free * 2, [...this.inFlight]);
    // On a shared store everything `due` and `pendingOfSubject` returned is leased to this
    // replica: what is not sent now is given back at the end.
    const taken = this.store.release ? new Set(rows.map((r) => r.id)) : null;
    const unreadable: number[] = [];
    const bySubject = new Map<string, PendingInbound[]>();
    for (const row of rows) {
      let list = bySubject.get(row.subjectKey);
      if (!list) bySubject.set(row.subjectKey, (list = []));
      list.push(row);
    }
    const batches: Batch[] = [];
    let current: Batch | null = null;
    for (const [subject, dueRows] of bySubject) {
      // A tracking subject takes every pending update, due or still in its coalescing window.
      const docs = dueRows.some((r) => r.type === TRACKING) ? await this.store.pendingOfSubject(subject, size * 4) : dueRows;
      if (taken) for (const d of docs) taken.add(d.id);
      const candidates: Candidate[] = [];
      for (const doc of docs) {
        const c = toCandidate(doc);
        if (c) candidates.push(c);
        else unreadable.push(doc.id);
      }
      if (candidates.length === 0) continue;
      const { send, superseded } = coalesceSubject(candidates);
      // Events that once broke a whole call go alone; events before them still go together.
      const firstIsolated = send.findIndex((c) => this.isolate.has(c.id));
      const alone = firstIsolated === 0;
      const take = alone ? send.slice(0, 1) : send.slice(0, Math.min(size, firstIsolated > 0 ? firstIsolated : size));
      const kept = new Set(take);
      const supersededTaken = superseded.filter((s) => kept.has(s.into));
      if (!current || alone || current.alone || current.send.length + take.length > size) {
        if (batches.length >= free) break;
        current = { send: [], superseded: [], subjects: new Set(), alone };
        batches.push(current);
      }
      current.send.push(...take);
      current.superseded.push(...supersededTaken);
      current.subjects.add(subject);
    }
    // Never expected (the worker wrote these itself), but a row it cannot read must not spin the loop.
    if (unreadable.length > 0) {
      await this.store.decide(unreadable.map((id) => ({ id, status: "rejected", detail: "stored event is unreadable", record: null, duplicate: false })), []);
      this.log.error({ ids: unreadable }, "inbound apply: stored events unreadable, rejected");
    }
    const planned = batches.filter((b) => b.send.length > 0);
    if (taken) {
      for (const id of unreadable) taken.delete(id);
      for (const b of planned) {
        for (const c of b.send) taken.delete(c.id);
        for (const x of b.superseded) taken.delete(x.item.id);
      }
      if (taken.size > 0) await this.store.release!([...taken]);
    }
    return planned;
  }

  private launch(batch: Batch): void {
    this.running++;
    for (const s of batch.subjects) this.inFlight.add(s);
    const call = this.apply(batch).finally(() => {
      this.running--;
      for (const s of batch.subjects) this.inFlight.delete(s);
      this.calls.delete(call);
      this.wake();
    });
    this.calls.add(call);
  }

  private async apply(batch: Batch): Promise<void> {
    let outcomes: ApplyOutcome[];
    try {
      outcomes = await this.gateway.applyEvents(batch.send.map((c) => c.item));
    } catch (err) {
      await this.failed(batch, err as Error);
      return;
    }
    const now = Date.now();
    try {
      await this.store.decide(
        outcomes.map((o, i) => ({
          id: batch.send[i]!.id,
          status: o.outcome,
          detail: o.detail,
          record: o.record ? JSON.stringify(o.record) : null,
          duplicate: o.duplicate,
        })),
        batch.superseded.map((s) => ({ id: s.item.id, into: s.into.eventId })),
        now,
      );
    } catch (err) {
      // Applied in Odoo but not recorded: the documents stay pending and are sent again (Odoo answers duplicate).
      this.lastError = (err as Error).message;
      this.log.error({ err, events: batch.send.length }, "inbound apply: recording Odoo's outcomes failed; the events will be sent again");
      return;
    }
    for (const c of batch.send) this.isolate.delete(c.id);
    this.lastError = null;
    this.lastAppliedAt = now;
    const decisions: ApplyDecision[] = outcomes.map((o, i) => ({ partner: batch.send[i]!.doc.partner, type: batch.send[i]!.type, status: o.outcome, duplicate: o.duplicate }));
    for (const s of batch.superseded) decisions.push({ partner: s.item.doc.partner, type: s.item.type, status: "coalesced", duplicate: false });
    this.observer.decided?.(decisions);
  }

  private async failed(batch: Batch, error: Error): Promise<void> {
    const transport = error instanceof OdooUnavailableError;
    const attempts = Math.max(...batch.send.map((c) => c.doc.attempts));
    const base = this.options.retryBaseMs ?? 1000;
    const wait = Math.min(this.options.retryMaxMs, base * 2 ** Math.min(attempts, 20)) * (0.8 + Math.random() * 0.4);
    const ids = [...batch.send.map((c) => c.id), ...batch.superseded.map((s) => s.item.id)];
    try {
      await this.store.postpone(ids, Date.now() + Math.round(wait), error.message);
    } catch (err) {
      this.log.error({ err }, "inbound apply: postponing failed");
    }
    // A call Odoo refused as a whole (not a transport failure) is retried one event per call,
    // so one event it cannot take holds up only its own subject.
    if (!transport && batch.send.length > 1) for (const c of batch.send) this.isolate.add(c.id);
    this.lastError = error.message;
    const fields = { events: batch.send.length, attempts: attempts + 1, retry_in_ms: Math.round(wait), error: error.message };
    if (transport) this.log.warn(fields, "inbound apply: Odoo unreachable, will retry");
    else this.log.error(fields, "inbound apply: Odoo refused the call, will retry");
    this.observer.failed?.(error, batch.send.length);
  }
}

function toCandidate(doc: PendingInbound): Candidate | null {
  let item: ApplyItem;
  try {
    item = JSON.parse(doc.event) as ApplyItem;
  } catch {
    return null;
  }
  const status = doc.type === TRACKING ? String((item.data as { status?: unknown }).status ?? "") : null;
  return { id: doc.id, type: doc.type, eventId: doc.eventId, status, occurredAt: item.occurred_at ?? doc.occurredAt, receivedAt: doc.receivedAt, doc, item };
}
