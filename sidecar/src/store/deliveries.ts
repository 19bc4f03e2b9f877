import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { StoreDb } from "./db.ts";
import { deliveries, events, type DeliveryRow, type EventRow } from "./schema.ts";

/** An event as claimed from Odoo's outbox. */
export interface ClaimedEvent {
  outboxId: number;
  replay: boolean;
  event: CanonicalEvent;
}

export interface CanonicalEvent {
  id: string;
  type: string;
  version: number;
  occurred_at: string;
  source: unknown;
  subject: { model: string; id: number; ref: string };
  sequence: number;
  data: Record<string, unknown>;
}

export interface IngestOutcome {
  inserted: number;
  duplicates: number;
  replayed: number;
  deliveriesCreated: number;
}

export type ErrorClass =
  | "network"
  | "timeout"
  | "http_5xx"
  | "http_retryable_4xx"
  | "http_4xx"
  | "gone"
  | "stop_requested"
  | "circuit_open"
  | "encode"
  | "max_age";

export interface DeadLetterFilter {
  deliveryIds?: number[];
  eventIds?: string[];
  partner?: string;
  /** Created at or after / before, epoch ms. */
  since?: number;
  until?: number;
}

function deadConditions(f: DeadLetterFilter): SQL[] {
  const c: SQL[] = [eq(deliveries.state, "dead")];
  if (f.deliveryIds) c.push(inArray(deliveries.id, f.deliveryIds));
  if (f.eventIds) c.push(inArray(deliveries.eventId, f.eventIds));
  if (f.partner) c.push(eq(deliveries.partner, f.partner));
  if (f.since !== undefined) c.push(gte(deliveries.createdAt, f.since));
  if (f.until !== undefined) c.push(lte(deliveries.createdAt, f.until));
  return c;
}

export const subjectKeyOf = (e: CanonicalEvent) => `${e.subject.model}:${e.subject.id}`;

/**
 * Store operations on events and their per-partner deliveries. Every multi-row change is one
 * SQLite transaction, so a crash leaves either the whole change or none of it.
 */
export class DeliveryStore {
  constructor(readonly db: StoreDb) {}

  /**
   * Records claimed events and creates one delivery per subscribed partner, idempotent on
   * event id: a row claimed twice (its lease expired before we reported) is not delivered
   * twice, but its final state is queued for reporting again. A replay (staff pressed
   * Retry in Odoo) re-opens every delivery of the event.
   */
  ingest(claimed: readonly ClaimedEvent[], route: (e: CanonicalEvent) => string[], routingCode: (e: CanonicalEvent) => string | null, now = Date.now()): IngestOutcome {
    const outcome: IngestOutcome = { inserted: 0, duplicates: 0, replayed: 0, deliveriesCreated: 0 };
    this.db.transaction((tx) => {
      for (const { outboxId, replay, event } of claimed) {
        const subjectKey = subjectKeyOf(event);
        const partners = route(event);
        const inserted = tx
          .insert(events)
          .values({
            id: event.id,
            outboxId,
            type: event.type,
            subjectKey,
            sequence: event.sequence,
            routingCode: routingCode(event),
            payload: JSON.stringify(event),
            receivedAt: now,
            finalState: partners.length === 0 ? "delivered" : null,
            finalError: partners.length === 0 ? "no subscribed partner" : null,
            reportPending: partners.length === 0 ? 1 : 0,
          })
          .onConflictDoNothing()
          .run();
        if (inserted.changes === 0) {
          if (replay) {
            outcome.replayed++;
            for (const partner of partners) {
              tx.insert(deliveries)
                .values({ eventId: event.id, partner, subjectKey, sequence: event.sequence, nextAttemptAt: now, createdAt: now })
                .onConflictDoUpdate({
                  target: [deliveries.eventId, deliveries.partner],
                  set: { state: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, lastErrorClass: null, lastError: null, lastStatus: null },
                })
                .run();
            }
            tx.update(events)
              .set(partners.length === 0 ? { finalState: "delivered", finalError: "no subscribed partner", reportPending: 1 } : { finalState: null, finalError: null, reportPending: 0 })
              .where(eq(events.id, event.id))
              .run();
          } else {
            outcome.duplicates++;
            tx.update(events).set({ reportPending: 1 }).where(and(eq(events.id, event.id), sql`${events.finalState} IS NOT NULL`)).run();
          }
          continue;
        }
        outcome.inserted++;
        for (const partner of partners) {
          tx.insert(deliveries).values({ eventId: event.id, partner, subjectKey, sequence: event.sequence, nextAttemptAt: now, createdAt: now }).run();
          outcome.deliveriesCreated++;
        }
      }
    });
    return outcome;
  }

  /** Events that break the contract: kept (for the record) as dead, to be reported to Odoo. */
  rejectInvalid(rejected: readonly { claimed: ClaimedEvent; reason: string }[], now = Date.now()): void {
    this.db.transaction((tx) => {
      for (const { claimed, reason } of rejected) {
        const e = claimed.event;
        tx.insert(events)
          .values({
            id: e.id,
            outboxId: claimed.outboxId,
            type: String(e.type),
            subjectKey: `${e.subject?.model}:${e.subject?.id}`,
            sequence: Number(e.sequence) || 0,
            payload: JSON.stringify(e),
            receivedAt: now,
            finalState: "dead",
            finalError: reason.slice(0, 2000),
            reportPending: 1,
          })
          .onConflictDoUpdate({ target: events.id, set: { finalState: "dead", finalError: reason.slice(0, 2000), reportPending: 1 } })
          .run();
      }
    });
  }

  /**
   * Deliveries of a partner that are due, oldest first, skipping any whose subject still has
   * an earlier pending delivery to the same partner (order per subject).
   */
  due(partner: string, now: number, limit: number, exclude: ReadonlySet<number> = new Set()): DeliveryRow[] {
    const rows = this.db
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.state, "pending"),
          eq(deliveries.partner, partner),
          lte(deliveries.nextAttemptAt, now),
          sql`NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.partner = ${deliveries.partner} AND e.subject_key = ${deliveries.subjectKey} AND e.state = 'pending' AND e.sequence < ${deliveries.sequence})`,
        ),
      )
      .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id))
      .limit(limit + exclude.size)
      .all();
    return rows.filter((r) => !exclude.has(r.id)).slice(0, limit);
  }

  /** Earliest next attempt among a partner's pending deliveries, to sleep until then. */
  nextDueAt(partner: string): number | null {
    const row = this.db
      .select({ at: sql<number | null>`min(${deliveries.nextAttemptAt})` })
      .from(deliveries)
      .where(and(eq(deliveries.state, "pending"), eq(deliveries.partner, partner)))
      .get();
    return row?.at ?? null;
  }

  event(id: string): EventRow | undefined {
    return this.db.select().from(events).where(eq(events.id, id)).get();
  }

  delivery(id: number): DeliveryRow | undefined {
    return this.db.select().from(deliveries).where(eq(deliveries.id, id)).get();
  }

  markDelivered(id: number, status: number, now = Date.now()): void {
    this.db.transaction((tx) => {
      const row = tx
        .update(deliveries)
        .set({ state: "delivered", attempts: sql`${deliveries.attempts} + 1`, lastStatus: status, deliveredAt: now, lastErrorClass: null, lastError: null })
        .where(and(eq(deliveries.id, id), eq(deliveries.state, "pending")))
        .returning({ eventId: deliveries.eventId })
        .get();
      if (row) this.finalizeIfDone(tx as unknown as StoreDb, row.eventId);
    });
  }

  /** A failed attempt: schedule the next one, or end the delivery as dead. */
  markFailed(id: number, failure: { errorClass: ErrorClass; message: string; status?: number | undefined; nextAttemptAt: number | null }): void {
    this.db.transaction((tx) => {
      const row = tx
        .update(deliveries)
        .set({
          state: failure.nextAttemptAt === null ? "dead" : "pending",
          attempts: sql`${deliveries.attempts} + 1`,
          nextAttemptAt: failure.nextAttemptAt ?? sql`${deliveries.nextAttemptAt}`,
          lastErrorClass: failure.errorClass,
          lastError: failure.message.slice(0, 2000),
          lastStatus: failure.status ?? null,
        })
        .where(and(eq(deliveries.id, id), eq(deliveries.state, "pending")))
        .returning({ eventId: deliveries.eventId })
        .get();
      if (row && failure.nextAttemptAt === null) this.finalizeIfDone(tx as unknown as StoreDb, row.eventId);
    });
  }

  /** Pushes back a delivery without counting an attempt (circuit open, partner paused). */
  postpone(id: number, until: number): void {
    this.db.update(deliveries).set({ nextAttemptAt: until }).where(and(eq(deliveries.id, id), eq(deliveries.state, "pending"))).run();
  }

  private finalizeIfDone(tx: StoreDb, eventId: string): void {
    const counts = tx
      .select({
        pending: sql<number>`sum(case when ${deliveries.state} = 'pending' then 1 else 0 end)`,
        dead: sql<number>`sum(case when ${deliveries.state} = 'dead' then 1 else 0 end)`,
        deadInfo: sql<string | null>`group_concat(case when ${deliveries.state} = 'dead' then ${deliveries.partner} || ': ' || coalesce(${deliveries.lastError}, '') end, '; ')`,
      })
      .from(deliveries)
      .where(eq(deliveries.eventId, eventId))
      .get();
    if (!counts || counts.pending > 0) return;
    tx.update(events)
      .set(counts.dead > 0 ? { finalState: "dead", finalError: counts.deadInfo, reportPending: 1 } : { finalState: "delivered", finalError: null, reportPending: 1 })
      .where(eq(events.id, eventId))
      .run();
  }

  /** Final states not yet recorded in Odoo. */
  pendingReports(limit: number): EventRow[] {
    return this.db.select().from(events).where(eq(events.reportPending, 1)).orderBy(asc(events.outboxId)).limit(limit).all();
  }

  markReported(ids: readonly string[], now = Date.now()): void {
    if (ids.length === 0) return;
    this.db.transaction((tx) => {
      for (let i = 0; i < ids.length; i += 500) {
        tx.update(events).set({ reportPending: 0, reportedAt: now }).where(inArray(events.id, ids.slice(i, i + 500))).run();
      }
    });
  }

  /** Dead deliveries, newest first, with the reason kept. */
  listDead(filter: DeadLetterFilter, limit = 100): (DeliveryRow & { eventType: string; subjectKey: string })[] {
    return this.db
      .select({ delivery: deliveries, eventType: events.type })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .where(and(...deadConditions(filter)))
      .orderBy(desc(deliveries.id))
      .limit(limit)
      .all()
      .map((r) => ({ ...r.delivery, eventType: r.eventType }));
  }

  /**
   * Re-opens dead deliveries (one by one, by partner, or by time range): attempts start over
   * and the event's final state is cleared until the new attempts end.
   */
  replayDead(filter: DeadLetterFilter, now = Date.now()): number {
    return this.db.transaction((tx) => {
      const reopened = tx
        .update(deliveries)
        .set({ state: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, lastErrorClass: null, lastError: null, lastStatus: null })
        .where(and(...deadConditions(filter)))
        .returning({ eventId: deliveries.eventId })
        .all();
      const ids = [...new Set(reopened.map((r) => r.eventId))];
      for (let i = 0; i < ids.length; i += 500) {
        tx.update(events).set({ finalState: null, finalError: null, reportPending: 0 }).where(inArray(events.id, ids.slice(i, i + 500))).run();
      }
      return reopened.length;
    });
  }

  counts(): Record<string, number> {
    const rows = this.db
      .select({ state: deliveries.state, n: sql<number>`count(*)` })
      .from(deliveries)
      .groupBy(deliveries.state)
      .all();
    const out: Record<string, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.state] = r.n;
    out.report_pending = this.db.select({ n: sql<number>`count(*)` }).from(events).where(eq(events.reportPending, 1)).get()?.n ?? 0;
    return out;
  }
}
