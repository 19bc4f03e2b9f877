import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { CanonicalEvent, ClaimedEvent } from "../contracts/events.ts";
import type { StoreDb } from "../store/db.ts";
import type { ErrorClass } from "./attempt.ts";
import type { ReconcileStore } from "./port.ts";
import { deliveries, events, type DeliveryRow, type EventRow } from "../store/schema.ts";

export interface IngestOutcome {
  inserted: number;
  duplicates: number;
  replayed: number;
  deliveriesCreated: number;
}


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

/** An event state waiting to be recorded in Odoo. */
export interface PendingReport {
  id: string;
  state: "delivered" | "failed" | "dead";
  error: string | null;
  partner: string | null;
  attempts: number;
}

/** What the store holds of an event, as reconciliation compares it with Odoo's outbox row. */
export interface StoredEventState {
  finalState: string | null;
  /** Its result still waits to be recorded in Odoo. */
  reportPending: boolean;
  /** Its deliveries still pending. */
  pending: number;
}

/** A due delivery with what an attempt needs. */
export interface DueDelivery {
  id: number;
  eventId: string;
  attempts: number;
  createdAt: number;
  payload: string;
}

/** The outcome of one delivery's requests in one go (`tries` > 1 after quick retries). */
export type AttemptRecord =
  | { id: number; ok: true; status: number; at: number; tries?: number }
  | { id: number; ok: false; errorClass: ErrorClass; message: string; status?: number | undefined; nextAttemptAt: number | null; tries?: number };

/** Who changed a delivery's state, for its history: the sidecar itself unless told otherwise. */
export const SIDECAR_ACTOR = "sidecar";
/** Staff pressed Retry in Odoo (the claim came back as a replay). */
export const ODOO_ACTOR = "odoo (staff Retry)";

/** One state change of a delivery, or of its event towards Odoo (deliveryId null). */
export interface DeliveryTransition {
  id: number;
  at: number;
  eventId: string;
  deliveryId: number | null;
  partner: string | null;
  fromState: string | null;
  toState: string;
  cause: string | null;
  actor: string;
  attempts: number | null;
  nextAttemptAt: number | null;
}

/** An event as its history shows it: the row, its deliveries and every change kept. */
export interface EventHistory {
  event: { id: string; outboxId: number; type: string; subjectKey: string; sequence: number; receivedAt: number; finalState: string | null; finalError: string | null; reportPending: boolean; reportedAt: number | null };
  deliveries: { id: number; partner: string; state: string; attempts: number; nextAttemptAt: number; lastError: string | null; deliveredAt: number | null }[];
  transitions: DeliveryTransition[];
}

const CAUSE_MAX = 500;
const causeOf = (s: string | null | undefined) => (s ? s.slice(0, CAUSE_MAX) : null);

export const subjectKeyOf = (e: CanonicalEvent) => `${e.subject.model}:${e.subject.id}`;

/**
 * Store operations on events and their per-partner deliveries. Every multi-row change is one
 * SQLite transaction, so a crash leaves either the whole change or none of it.
 */
export class DeliveryStore implements ReconcileStore {
  /** Hot-path statements, prepared once (drizzle would rebuild and re-prepare them per call). */
  private readonly statements;

  constructor(readonly db: StoreDb) {
    const c = db.$client;
    this.statements = {
      insertEvent: c.prepare(
        `INSERT INTO events (id, outbox_id, type, subject_key, sequence, routing_code, payload, received_at, final_state, final_error, report_pending)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      insertDelivery: c.prepare(`INSERT INTO deliveries (event_id, partner, subject_key, sequence, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
      reopenDelivery: c.prepare(
        `INSERT INTO deliveries (event_id, partner, subject_key, sequence, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id, partner) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,
           created_at = excluded.created_at, last_error_class = NULL, last_error = NULL, last_status = NULL
         RETURNING id`,
      ),
      // The history: one row per state change, in the transaction that makes it.
      transition: c.prepare(
        `INSERT INTO delivery_transitions (at, event_id, delivery_id, partner, from_state, to_state, cause, actor, attempts, next_attempt_at, outbox_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT outbox_id FROM events WHERE id = ?))`,
      ),
      clearFinal: c.prepare(`UPDATE events SET final_state = NULL, final_error = NULL, final_partner = NULL, report_pending = 0 WHERE id = ?`),
      setFinal: c.prepare(`UPDATE events SET final_state = ?, final_error = ?, final_partner = ?, report_pending = 1 WHERE id = ?`),
      // First failed attempt of an event still being retried: tell Odoo once, so staff see it
      // and the row leaves the lease cycle.
      setInterimFailed: c.prepare(`UPDATE events SET final_state = 'failed', final_error = ?, final_partner = ?, report_pending = 1 WHERE id = ? AND final_state IS NULL`),
      markReported: c.prepare(`UPDATE events SET report_pending = 0, reported_at = ? WHERE id = ? AND final_state = ?`),
      reReport: c.prepare(`UPDATE events SET report_pending = 1 WHERE id = ? AND final_state IS NOT NULL`),
      // `@taken`: the deliveries the lane has taken already (queued or on the wire), a JSON list:
      // they stay in the index scan, never joined to their payload and read.
      due: c.prepare(
        `SELECT d.id AS id, d.event_id AS eventId, d.attempts AS attempts, d.created_at AS createdAt, e.payload AS payload
           FROM deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.state = 'pending' AND d.partner = @partner AND d.next_attempt_at <= @now
            AND d.id NOT IN (SELECT value FROM json_each(@taken))
            AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.partner = d.partner AND p.subject_key = d.subject_key AND p.state = 'pending' AND p.sequence < d.sequence)
            AND (d.sequence = 1 OR d.created_at <= @gapDeadline
                 OR EXISTS (SELECT 1 FROM events g WHERE g.subject_key = d.subject_key AND g.sequence = d.sequence - 1))
          ORDER BY d.next_attempt_at, d.id LIMIT @limit`,
      ),
      previousDelivered: c.prepare(
        `SELECT p.event_id AS eventId FROM deliveries d
           JOIN deliveries p ON p.partner = d.partner AND p.subject_key = d.subject_key AND p.sequence < d.sequence AND p.state = 'delivered'
          WHERE d.id = ? ORDER BY p.sequence DESC LIMIT 1`,
      ),
      nextDue: c.prepare(`SELECT min(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND partner = ?`),
      pendingCount: c.prepare(`SELECT count(*) AS n FROM deliveries WHERE state = 'pending'`),
      delivered: c.prepare(
        // Positional parameters: the hot path of every delivered event (named ones cost a property lookup each).
        `UPDATE deliveries SET state = 'delivered', attempts = attempts + ?, last_status = ?, delivered_at = ?, last_error_class = NULL, last_error = NULL
          WHERE id = ? AND state = 'pending' RETURNING event_id, partner, attempts`,
      ),
      // The usual end of an event: its last delivery delivered, none dead or pending (one
      // statement instead of counting its deliveries, then closing it).
      closeDelivered: c.prepare(
        `UPDATE events SET final_state = 'delivered', final_error = NULL, final_partner = NULL, report_pending = 1
          WHERE id = ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = ? AND d.state <> 'delivered')`,
      ),
      failed: c.prepare(
        `UPDATE deliveries SET state = @state, attempts = attempts + @tries, next_attempt_at = coalesce(@next, next_attempt_at), last_error_class = @errorClass, last_error = @message, last_status = @status
          WHERE id = @id AND state = 'pending' RETURNING event_id, partner, attempts, next_attempt_at`,
      ),
      eventCounts: c.prepare(
        `SELECT coalesce(sum(state = 'pending'), 0) AS pending, coalesce(sum(state = 'dead'), 0) AS dead,
                max(CASE WHEN state = 'dead' THEN partner END) AS dead_partner,
                max(CASE WHEN state = 'dead' THEN last_error END) AS dead_error,
                group_concat(CASE WHEN state = 'dead' THEN partner || ': ' || coalesce(last_error, '') END, '; ') AS dead_info
           FROM deliveries WHERE event_id = ?`,
      ),
      pendingReports: c.prepare(
        `SELECT e.id AS id, e.final_state AS state, e.final_error AS error, e.final_partner AS partner,
                (SELECT coalesce(sum(d.attempts), 0) FROM deliveries d WHERE d.event_id = e.id) AS attempts
           FROM events e WHERE e.report_pending = 1 ORDER BY e.outbox_id LIMIT ?`,
      ),
    };
  }

  /**
   * Records claimed events and creates one delivery per subscribed partner, idempotent on
   * event id: a row claimed twice (its lease expired before we reported) is not delivered
   * twice, but its final state is queued for reporting again. A replay (staff pressed
   * Retry in Odoo) re-opens every delivery of the event.
   */
  ingest(claimed: readonly ClaimedEvent[], route: (e: CanonicalEvent) => string[], routingCode: (e: CanonicalEvent) => string | null, now = Date.now()): IngestOutcome {
    const outcome: IngestOutcome = { inserted: 0, duplicates: 0, replayed: 0, deliveriesCreated: 0 };
    const st = this.statements;
    this.db.$client.transaction(() => {
      for (const { outboxId, replay, event, payloadText } of claimed) {
        const subjectKey = subjectKeyOf(event);
        const partners = route(event);
        const none = partners.length === 0;
        const inserted = st.insertEvent.run(event.id, outboxId, event.type, subjectKey, event.sequence, routingCode(event), payloadText ?? JSON.stringify(event), now, none ? "delivered" : null, null, none ? 1 : 0);
        if (inserted.changes === 0) {
          if (replay) {
            outcome.replayed++;
            for (const partner of partners) {
              const reopened = st.reopenDelivery.get(event.id, partner, subjectKey, event.sequence, now, now) as { id: number };
              st.transition.run(now, event.id, reopened.id, partner, null, "pending", "staff pressed Retry in Odoo: delivered again", ODOO_ACTOR, 0, now, event.id);
            }
            if (none) st.setFinal.run("delivered", null, null, event.id);
            else st.clearFinal.run(event.id);
          } else {
            outcome.duplicates++;
            if (st.reReport.run(event.id).changes > 0) st.transition.run(now, event.id, null, null, null, "report_pending", "claimed again (its lease ran out): its result goes to Odoo again", SIDECAR_ACTOR, null, null, event.id);
          }
          continue;
        }
        outcome.inserted++;
        for (const partner of partners) {
          st.insertDelivery.run(event.id, partner, subjectKey, event.sequence, now, now);
          outcome.deliveriesCreated++;
        }
      }
    })();
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
        this.statements.transition.run(now, e.id, null, null, null, "dead", causeOf(reason), SIDECAR_ACTOR, null, null, e.id);
      }
    });
  }

  /**
   * Deliveries of a partner that are due, oldest first, with their payload, skipping any whose
   * subject still has an earlier pending delivery to the same partner (order per subject),
   * and any whose previous sequence the store has not seen yet: that event may still be
   * leased by a sidecar that died mid-claim, and comes back when its lease expires. Such a
   * gap is waited for `gapHoldMs` at most (a staff-cancelled row never comes back).
   */
  due(partner: string, now: number, limit: number, exclude: ReadonlySet<number> = new Set(), gapHoldMs = 0): DueDelivery[] {
    return this.statements.due.all({ partner, now, limit, gapDeadline: now - gapHoldMs, taken: exclude.size === 0 ? "[]" : JSON.stringify([...exclude]) }) as DueDelivery[];
  }

  /** Deliveries not yet final, all partners (the drain's backpressure). */
  pendingCount(): number {
    return (this.statements.pendingCount.get() as { n: number }).n;
  }

  /** Earliest next attempt among a partner's pending deliveries, to sleep until then. */
  /** The event of the same subject last delivered to this delivery's partner (what an update replaces). */
  previousDelivered(deliveryId: number): string | undefined {
    return (this.statements.previousDelivered.get(deliveryId) as { eventId: string } | undefined)?.eventId;
  }

  nextDueAt(partner: string): number | null {
    return (this.statements.nextDue.get(partner) as { at: number | null }).at;
  }

  event(id: string): EventRow | undefined {
    return this.db.select().from(events).where(eq(events.id, id)).get();
  }

  delivery(id: number): DeliveryRow | undefined {
    return this.db.select().from(deliveries).where(eq(deliveries.id, id)).get();
  }

  markDelivered(id: number, status: number, now = Date.now()): void {
    this.recordOutcomes([{ id, ok: true, status, at: now }]);
  }

  /** A failed attempt: schedule the next one, or end the delivery as dead. */
  markFailed(id: number, failure: { errorClass: ErrorClass; message: string; status?: number | undefined; nextAttemptAt: number | null }): void {
    this.recordOutcomes([{ id, ok: false, ...failure }]);
  }

  /**
   * Records attempt outcomes in one transaction (the dispatcher groups the outcomes of one
   * tick), and closes the events whose deliveries are all final. Returns how many events
   * reached a final state.
   */
  recordOutcomes(outcomes: readonly AttemptRecord[]): number {
    const st = this.statements;
    let finalized = 0;
    const now = Date.now();
    this.db.$client.transaction(() => {
      for (const o of outcomes) {
        let row: { event_id: string; partner: string; attempts: number; next_attempt_at?: number } | undefined;
        if (o.ok) {
          row = st.delivered.get(o.tries ?? 1, o.status, o.at, o.id) as typeof row;
          if (!row) continue;
          st.transition.run(o.at, row.event_id, o.id, row.partner, "pending", "delivered", `HTTP ${o.status}`, SIDECAR_ACTOR, row.attempts, null, row.event_id);
          if (st.closeDelivered.run(row.event_id, row.event_id).changes > 0) {
            finalized++;
            continue;
          }
        } else {
          const dead = o.nextAttemptAt === null;
          const message = o.message.slice(0, 2000);
          row = st.failed.get({ state: dead ? "dead" : "pending", next: o.nextAttemptAt, errorClass: o.errorClass, message, status: o.status ?? null, id: o.id, tries: o.tries ?? 1 }) as typeof row;
          if (row) st.transition.run(now, row.event_id, o.id, row.partner, "pending", dead ? "dead" : "pending", causeOf(`${o.errorClass}: ${message}`), SIDECAR_ACTOR, row.attempts, dead ? null : (row.next_attempt_at ?? null), row.event_id);
          if (!dead) {
            if (row && st.setInterimFailed.run(message, row.partner, row.event_id).changes > 0) finalized++;
            continue;
          }
        }
        if (!row) continue;
        const c = st.eventCounts.get(row.event_id) as { pending: number; dead: number; dead_partner: string | null; dead_error: string | null; dead_info: string | null };
        if (c.pending > 0) continue;
        if (c.dead === 1) st.setFinal.run("dead", c.dead_error, c.dead_partner, row.event_id);
        else if (c.dead > 1) st.setFinal.run("dead", c.dead_info?.slice(0, 2000) ?? null, null, row.event_id);
        else st.setFinal.run("delivered", null, null, row.event_id);
        finalized++;
      }
    })();
    return finalized;
  }

  /** Pushes back a delivery without counting an attempt (circuit open, partner paused). */
  postpone(id: number, until: number): void {
    this.db.update(deliveries).set({ nextAttemptAt: until }).where(and(eq(deliveries.id, id), eq(deliveries.state, "pending"))).run();
  }

  /** States not yet recorded in Odoo, oldest outbox row first. */
  pendingReports(limit: number): PendingReport[] {
    return this.statements.pendingReports.all(limit) as PendingReport[];
  }

  /**
   * Clears the report flag of events whose state is still the one reported: an event that
   * moved on while the call was in flight (failed, then delivered) stays flagged.
   */
  markReported(reported: readonly { id: string; state: string }[], now = Date.now(), actor = SIDECAR_ACTOR, cause = "recorded in Odoo"): void {
    const st = this.statements;
    this.db.$client.transaction(() => {
      for (const r of reported) if (st.markReported.run(now, r.id, r.state).changes > 0) st.transition.run(now, r.id, null, null, "report_pending", r.state, cause, actor, null, null, r.id);
    })();
  }

  /** An event-level change with no state of the store behind it (a repair in Odoo by reconciliation). */
  noteEvent(eventId: string, toState: string, cause: string, actor: string, now = Date.now()): void {
    this.statements.transition.run(now, eventId, null, null, null, toState, causeOf(cause), actor, null, null, eventId);
  }

  /** The results to record in Odoo for these events, whatever their report flag (reconciliation re-records them). */
  reportsFor(eventIds: readonly string[]): PendingReport[] {
    if (eventIds.length === 0) return [];
    return this.db.$client
      .prepare(
        `SELECT e.id AS id, e.final_state AS state, e.final_error AS error, e.final_partner AS partner,
                (SELECT coalesce(sum(d.attempts), 0) FROM deliveries d WHERE d.event_id = e.id) AS attempts
           FROM events e WHERE e.id IN (SELECT value FROM json_each(?)) AND e.final_state IS NOT NULL ORDER BY e.outbox_id`,
      )
      .all(JSON.stringify(eventIds)) as PendingReport[];
  }

  /** What the store holds of these events: final state, report flag, deliveries still pending. */
  eventStates(eventIds: readonly string[]): Map<string, StoredEventState> {
    const out = new Map<string, StoredEventState>();
    for (let i = 0; i < eventIds.length; i += 1000) {
      const rows = this.db.$client
        .prepare(
          `SELECT e.id AS id, e.final_state AS finalState, e.report_pending AS reportPending,
                  (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending') AS pending
             FROM events e WHERE e.id IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(eventIds.slice(i, i + 1000))) as { id: string; finalState: string | null; reportPending: number; pending: number }[];
      for (const r of rows) out.set(r.id, { finalState: r.finalState, reportPending: r.reportPending === 1, pending: r.pending });
    }
    return out;
  }

  /** The latest events the store finished (delivered or dead) and recorded in Odoo, newest first. */
  recentlyFinished(limit: number): { id: string; state: "delivered" | "dead" }[] {
    return this.db.$client
      .prepare(`SELECT id, final_state AS state FROM events WHERE report_pending = 0 AND final_state IN ('delivered', 'dead') ORDER BY rowid DESC LIMIT ?`)
      .all(limit) as { id: string; state: "delivered" | "dead" }[];
  }

  /** An event's history: the row, its deliveries and their state changes, oldest first. */
  history(eventId: string): EventHistory | undefined {
    const e = this.event(eventId);
    if (!e) return undefined;
    const c = this.db.$client;
    const deliveriesOf = c
      .prepare(`SELECT id, partner, state, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, delivered_at AS deliveredAt FROM deliveries WHERE event_id = ? ORDER BY id`)
      .all(eventId) as EventHistory["deliveries"];
    const transitions = c
      .prepare(
        `SELECT id, at, event_id AS eventId, delivery_id AS deliveryId, partner, from_state AS fromState, to_state AS toState, cause, actor, attempts, next_attempt_at AS nextAttemptAt
           FROM (SELECT * FROM delivery_transitions WHERE outbox_id = ? UNION ALL SELECT * FROM delivery_transitions WHERE outbox_id IS NULL AND event_id = ?)
          WHERE event_id = ? ORDER BY id LIMIT 5000`,
      )
      .all(e.outboxId, eventId, eventId) as DeliveryTransition[];
    return {
      event: { id: e.id, outboxId: e.outboxId, type: e.type, subjectKey: e.subjectKey, sequence: e.sequence, receivedAt: e.receivedAt, finalState: e.finalState, finalError: e.finalError, reportPending: e.reportPending === 1, reportedAt: e.reportedAt },
      deliveries: deliveriesOf,
      transitions,
    };
  }

  /**
   * Deletes state changes older than `before`, oldest first, in batches, except those of
   * deliveries that are dead and of events whose result is dead (kept until resolved).
   * Rows go in insertion order, so a batch with nothing old in it ends the pruning.
   */
  pruneTransitions(before: number, batch = 5000): number {
    const del = this.db.$client.prepare(
      `DELETE FROM delivery_transitions WHERE id IN (
         SELECT t.id FROM (SELECT * FROM delivery_transitions WHERE id > ? ORDER BY id LIMIT ?) t
          WHERE t.at < ?
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = t.event_id AND d.state = 'dead')
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = t.event_id AND e.final_state = 'dead'))`,
    );
    const last = this.db.$client.prepare(`SELECT max(id) AS id, min(at) AS minAt FROM (SELECT id, at FROM delivery_transitions WHERE id > ? ORDER BY id LIMIT ?)`);
    let total = 0;
    let after = 0;
    for (;;) {
      const window = last.get(after, batch) as { id: number | null; minAt: number | null };
      if (window.id === null || window.minAt === null || window.minAt >= before) break;
      total += del.run(after, batch, before).changes;
      after = window.id;
    }
    return total;
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
  replayDead(filter: DeadLetterFilter, now = Date.now(), actor = "admin-token"): number {
    return this.db.transaction((tx) => {
      const reopened = tx
        .update(deliveries)
        .set({ state: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, lastErrorClass: null, lastError: null, lastStatus: null })
        .where(and(...deadConditions(filter)))
        .returning({ id: deliveries.id, eventId: deliveries.eventId, partner: deliveries.partner })
        .all();
      for (const r of reopened) this.statements.transition.run(now, r.eventId, r.id, r.partner, "dead", "pending", "dead letter replayed", actor, 0, now, r.eventId);
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
