import type { Logger } from "pino";
import { DB_NOW, startStoreTimers, type Pg, type StoreTimers } from "../../store/pg/db.ts";
import type { CanonicalEvent, ClaimedEvent } from "../../contracts/events.ts";
import type { DeadLetters, DeliveryPort, ReconcileStore } from "../port.ts";
import { ODOO_ACTOR, SIDECAR_ACTOR, subjectKeyOf, type AttemptRecord, type DeadLetterFilter, type DeliveryTransition, type DueDelivery, type EventHistory, type IngestOutcome, type PendingReport, type StoredEventState } from "../store.ts";
import type { DeliveryRow } from "../../store/schema.ts";


/** pg_advisory_lock key of reconciliation's turn (one replica at a time); the migrations' is 0x6f646301. */
export const RECONCILE_LOCK = 0x6f6463_02;

const CAUSE_MAX = 500;
const causeOf = (s: string | null | undefined) => (s ? s.slice(0, CAUSE_MAX) : null);

/** Retries a transaction PostgreSQL aborted to break a deadlock or a serialization conflict. */
export async function retryConflicts<T>(fn: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= tries || (code !== "40P01" && code !== "40001")) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}

type Tx = Pg | import("postgres").TransactionSql;

/** A history row as the SQLite store keeps it, before it has an id. */
type Transition = Omit<DeliveryTransition, "id">;

async function insertTransitions(tx: Tx, rows: readonly Transition[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    INSERT INTO delivery_transitions (at, event_id, delivery_id, partner, from_state, to_state, cause, actor, attempts, next_attempt_at)
    SELECT * FROM unnest(${rows.map((r) => r.at)}::bigint[], ${rows.map((r) => r.eventId)}::text[], ${rows.map((r) => r.deliveryId) as number[]}::bigint[],
                         ${rows.map((r) => r.partner) as string[]}::text[], ${rows.map((r) => r.fromState) as string[]}::text[], ${rows.map((r) => r.toState)}::text[],
                         ${rows.map((r) => r.cause) as string[]}::text[], ${rows.map((r) => r.actor)}::text[], ${rows.map((r) => r.attempts) as number[]}::int[],
                         ${rows.map((r) => r.nextAttemptAt) as number[]}::bigint[])`;
}

export interface PgDeliveryStoreOptions {
  /** How long a delivery stays leased to this replica without a renewal (renewed every third of it while held). */
  leaseMs?: number;
  /** How long the results this replica took to record in Odoo stay its own. */
  reportLeaseMs?: number;
  /** How often counts() is refreshed. */
  countsEveryMs?: number;
  /**
   * The connection lease renewals go through (default: the pool). openShared gives it one of
   * its own, so a renewal never waits behind the pool's transactions and a lease held cannot
   * lapse because the pool was busy.
   */
  keeper?: Pg;
}

/**
 * The delivery store on PostgreSQL, shared by several replicas. The same semantics as the
 * SQLite DeliveryStore (ingest idempotent on event id, order per subject, the same history),
 * plus leases: `due` leases each row it returns to this replica (`FOR UPDATE SKIP LOCKED`, so
 * two replicas never get the same row while its lease holds), the lease is renewed while the
 * row is held, and a row whose lease lapsed (its replica died) is due for any replica again.
 * Results to record in Odoo are leased the same way, so one replica records each.
 */
/** The WHERE of dead deliveries matching a filter (every value a parameter). */
function deadWhere(sql: Pg, f: DeadLetterFilter) {
  return sql`d.state = 'dead'
    ${f.deliveryIds ? sql`AND d.id = ANY(${f.deliveryIds}::bigint[])` : sql``}
    ${f.eventIds ? sql`AND d.event_id = ANY(${f.eventIds}::text[])` : sql``}
    ${f.partner ? sql`AND d.partner = ${f.partner}` : sql``}
    ${f.since !== undefined ? sql`AND d.created_at >= ${f.since}` : sql``}
    ${f.until !== undefined ? sql`AND d.created_at <= ${f.until}` : sql``}`;
}

export class PgDeliveryStore implements DeliveryPort, DeadLetters, ReconcileStore {
  /** A due() that found less than asked is not repeated sooner than this: deliveries that finish meanwhile free their subjects' next ones for one query, not one query each. */
  readonly dueIntervalMs = 25;
  private readonly held = new Set<number>();
  private readonly leaseMs: number;
  private readonly reportLeaseMs: number;
  private readonly timers: StoreTimers;
  private cachedCounts: Record<string, number> = { pending: 0, delivered: 0, dead: 0, report_pending: 0 };
  private readonly keeper: Pg;
  /** The keeper is a connection of its own (a session), not the pool. */
  private readonly keeperIsSession: boolean;

  constructor(
    readonly sql: Pg,
    /** This replica's id (its consumer id): who holds a lease. */
    readonly replica: string,
    private readonly log: Logger,
    options: PgDeliveryStoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.reportLeaseMs = options.reportLeaseMs ?? 60_000;
    this.keeper = options.keeper ?? sql;
    this.keeperIsSession = options.keeper !== undefined;
    this.timers = startStoreTimers({ leaseMs: this.leaseMs, renew: () => this.renew(), countsEveryMs: options.countsEveryMs ?? 5_000, refreshCounts: () => this.refreshCounts() });
  }

  /** Stops renewing; gives back the leases still held so other replicas take those rows at once. */
  async close(): Promise<void> {
    this.timers.stop();
    const ids = [...this.held];
    this.held.clear();
    if (ids.length > 0) await this.sql`UPDATE deliveries SET lease_until = 0 WHERE id = ANY(${ids}::bigint[]) AND leased_by = ${this.replica}`.catch(() => undefined);
    await this.sql`UPDATE events SET report_lease_until = 0 WHERE report_leased_by = ${this.replica} AND report_pending = 1`.catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.keeper`UPDATE deliveries SET lease_until = ${this.keeper.unsafe(DB_NOW)} + ${this.leaseMs}
                      WHERE id = ANY(${[...this.held]}::bigint[]) AND leased_by = ${this.replica} AND state = 'pending'`;
    } catch (err) {
      this.log.warn({ err }, "renewing delivery leases failed");
    }
  }

  private async refreshCounts(): Promise<void> {
    try {
      const rows = await this.sql<{ state: string; n: number }[]>`
        SELECT state, count(*)::bigint AS n FROM deliveries GROUP BY state
        UNION ALL SELECT 'report_pending', count(*)::bigint FROM events WHERE report_pending = 1`;
      const out: Record<string, number> = { pending: 0, delivered: 0, dead: 0, report_pending: 0 };
      for (const r of rows) out[r.state] = Number(r.n);
      this.cachedCounts = out;
    } catch (err) {
      this.log.debug({ err }, "refreshing store counts failed");
    }
  }

  counts(): Record<string, number> {
    return { ...this.cachedCounts };
  }

  async ingest(claimed: readonly ClaimedEvent[], route: (e: CanonicalEvent) => string[], routingCode: (e: CanonicalEvent) => string | null, now = Date.now()): Promise<IngestOutcome> {
    const outcome: IngestOutcome = { inserted: 0, duplicates: 0, replayed: 0, deliveriesCreated: 0 };
    if (claimed.length === 0) return outcome;
    // One order for every replica's inserts of the same ids: no deadlock between two ingests.
    const rows = [...claimed].sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
    const routes = new Map(rows.map((c) => [c.event.id, route(c.event)]));
    return retryConflicts(() =>
      this.sql.begin(async (tx) => {
        outcome.inserted = outcome.duplicates = outcome.replayed = outcome.deliveriesCreated = 0;
        const values = rows.map(({ outboxId, event, payloadText }) => {
          const none = routes.get(event.id)!.length === 0;
          return {
            id: event.id,
            outbox_id: outboxId,
            type: event.type,
            subject_key: subjectKeyOf(event),
            sequence: event.sequence,
            routing_code: routingCode(event),
            payload: payloadText ?? JSON.stringify(event),
            received_at: now,
            final_state: none ? "delivered" : null,
            report_pending: none ? 1 : 0,
          };
        });
        const inserted = new Set(
          (await tx<{ id: string }[]>`INSERT INTO events ${tx(values as unknown as Record<string, string | number>[])}
                                     ON CONFLICT (id) DO NOTHING RETURNING id`).map((r) => r.id),
        );
        const newDeliveries: { event_id: string; partner: string; subject_key: string; sequence: number; next_attempt_at: number; created_at: number }[] = [];
        const transitions: Transition[] = [];
        for (const { replay, event } of rows) {
          const subjectKey = subjectKeyOf(event);
          const partners = routes.get(event.id)!;
          if (inserted.has(event.id)) {
            outcome.inserted++;
            for (const partner of partners) newDeliveries.push({ event_id: event.id, partner, subject_key: subjectKey, sequence: event.sequence, next_attempt_at: now, created_at: now });
            continue;
          }
          if (replay) {
            outcome.replayed++;
            for (const partner of partners) {
              const [reopened] = await tx<{ id: number }[]>`
                INSERT INTO deliveries (event_id, partner, subject_key, sequence, next_attempt_at, created_at) VALUES (${event.id}, ${partner}, ${subjectKey}, ${event.sequence}, ${now}, ${now})
                ON CONFLICT (event_id, partner) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at,
                  last_error_class = NULL, last_error = NULL, last_status = NULL, lease_until = 0
                RETURNING id`;
              transitions.push({ at: now, eventId: event.id, deliveryId: reopened!.id, partner, fromState: null, toState: "pending", cause: "staff pressed Retry in Odoo: delivered again", actor: ODOO_ACTOR, attempts: 0, nextAttemptAt: now });
            }
            if (partners.length === 0) await tx`UPDATE events SET final_state = 'delivered', final_error = NULL, final_partner = NULL, report_pending = 1 WHERE id = ${event.id}`;
            else await tx`UPDATE events SET final_state = NULL, final_error = NULL, final_partner = NULL, report_pending = 0 WHERE id = ${event.id}`;
          } else {
            outcome.duplicates++;
            const re = await tx`UPDATE events SET report_pending = 1, report_lease_until = 0 WHERE id = ${event.id} AND final_state IS NOT NULL AND report_pending = 0`;
            if (re.count > 0) transitions.push({ at: now, eventId: event.id, deliveryId: null, partner: null, fromState: null, toState: "report_pending", cause: "claimed again (its lease ran out): its result goes to Odoo again", actor: SIDECAR_ACTOR, attempts: null, nextAttemptAt: null });
          }
        }
        if (newDeliveries.length > 0) {
          await tx`INSERT INTO deliveries ${tx(newDeliveries)} ON CONFLICT (event_id, partner) DO NOTHING`;
          outcome.deliveriesCreated = newDeliveries.length;
        }
        await insertTransitions(tx, transitions);
        return outcome;
      }),
    );
  }

  async rejectInvalid(rejected: readonly { claimed: ClaimedEvent; reason: string }[], now = Date.now()): Promise<void> {
    if (rejected.length === 0) return;
    await this.sql.begin(async (tx) => {
      for (const { claimed, reason } of rejected) {
        const e = claimed.event;
        const error = reason.slice(0, 2000);
        await tx`
          INSERT INTO events (id, outbox_id, type, subject_key, sequence, payload, received_at, final_state, final_error, report_pending)
          VALUES (${e.id}, ${claimed.outboxId}, ${String(e.type)}, ${`${e.subject?.model}:${e.subject?.id}`}, ${Number(e.sequence) || 0}, ${JSON.stringify(e)}, ${now}, 'dead', ${error}, 1)
          ON CONFLICT (id) DO UPDATE SET final_state = 'dead', final_error = ${error}, report_pending = 1`;
      }
      await insertTransitions(
        tx,
        rejected.map(({ claimed, reason }) => ({ at: now, eventId: claimed.event.id, deliveryId: null, partner: null, fromState: null, toState: "dead", cause: causeOf(reason), actor: SIDECAR_ACTOR, attempts: null, nextAttemptAt: null })),
      );
    });
  }

  /**
   * Due deliveries of a partner, leased to this replica. The same choice as DeliveryStore.due
   * (order per subject: nothing after a subject's earliest pending delivery to this partner;
   * a missing previous sequence held up to `gapHoldMs`), among rows no replica holds a live
   * lease on; rows another transaction is leasing right now are skipped, not waited for.
   */
  async due(partner: string, now: number, limit: number, exclude: ReadonlySet<number> = new Set(), gapHoldMs = 0): Promise<DueDelivery[]> {
    if (limit <= 0) return [];
    const sql = this.sql;
    const rows = await sql<(DueDelivery & { nextAttemptAt: number })[]>`
      WITH c AS (
        SELECT d.id FROM deliveries d
         WHERE d.state = 'pending' AND d.partner = ${partner} AND d.next_attempt_at <= ${now}
           AND NOT (d.id = ANY(${[...exclude]}::bigint[]))
           AND (d.lease_until < ${sql.unsafe(DB_NOW)} OR d.leased_by = ${this.replica})
           -- The subject's earliest pending delivery to this partner (SQLite's NOT EXISTS of an earlier one, as a
           -- correlated subquery: PostgreSQL then probes the index by partner and subject even before a table has statistics).
           AND d.sequence = (SELECT min(p.sequence) FROM deliveries p WHERE p.partner = d.partner AND p.subject_key = d.subject_key AND p.state = 'pending')
           AND (d.sequence = 1 OR d.created_at <= ${now - gapHoldMs}
                OR EXISTS (SELECT 1 FROM events g WHERE g.subject_key = d.subject_key AND g.sequence = d.sequence - 1))
         ORDER BY d.next_attempt_at, d.id LIMIT ${limit}
         FOR UPDATE OF d SKIP LOCKED)
      UPDATE deliveries d SET leased_by = ${this.replica}, lease_until = ${sql.unsafe(DB_NOW)} + ${this.leaseMs}
        FROM c WHERE d.id = c.id
      RETURNING d.id, d.event_id AS "eventId", d.attempts, d.created_at AS "createdAt", d.next_attempt_at AS "nextAttemptAt",
                (SELECT e.payload FROM events e WHERE e.id = d.event_id) AS payload`;
    rows.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    for (const r of rows) this.held.add(r.id);
    return rows.map(({ id, eventId, attempts, createdAt, payload }) => ({ id, eventId, attempts, createdAt, payload }));
  }

  release(ids: readonly number[]): void {
    for (const id of ids) this.held.delete(id);
  }

  async pendingCount(): Promise<number> {
    const [r] = await this.sql<{ n: number }[]>`SELECT count(*)::bigint AS n FROM deliveries WHERE state = 'pending'`;
    return Number(r!.n);
  }

  async previousDelivered(deliveryId: number): Promise<string | undefined> {
    const [r] = await this.sql<{ eventId: string }[]>`
      SELECT p.event_id AS "eventId" FROM deliveries d
        JOIN deliveries p ON p.partner = d.partner AND p.subject_key = d.subject_key AND p.sequence < d.sequence AND p.state = 'delivered'
       WHERE d.id = ${deliveryId} ORDER BY p.sequence DESC LIMIT 1`;
    return r?.eventId;
  }

  async nextDueAt(partner: string): Promise<number | null> {
    const [r] = await this.sql<{ at: number | null }[]>`SELECT min(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND partner = ${partner}`;
    return r?.at ?? null;
  }

  /**
   * Records attempt outcomes in one transaction, set-based, and closes the events whose
   * deliveries are all final. The deliveries are updated first: from then on they are locked,
   * so no replica leases them again while this transaction waits for anything (their leases
   * are renewed until it commits). Then the events are locked in id order before their
   * deliveries are counted: of two replicas finishing the last two deliveries of one event
   * (two partners), the one that locks second counts after the first committed, and closes it.
   */
  async recordOutcomes(outcomes: readonly AttemptRecord[]): Promise<number> {
    if (outcomes.length === 0) return 0;
    try {
      return await this.recordOutcomesTx(outcomes);
    } finally {
      for (const o of outcomes) this.held.delete(o.id);
    }
  }

  private recordOutcomesTx(outcomes: readonly AttemptRecord[]): Promise<number> {
    const now = Date.now();
    const ok = outcomes.filter((o): o is Extract<AttemptRecord, { ok: true }> => o.ok);
    const bad = outcomes.filter((o): o is Extract<AttemptRecord, { ok: false }> => !o.ok);
    return retryConflicts(() =>
      this.sql.begin(async (tx) => {
        const transitions: Transition[] = [];
        const closing = new Set<string>();
        const interim: { id: string; message: string; partner: string }[] = [];
        let finalized = 0;
        if (ok.length > 0) {
          const done = await tx<{ id: number; event_id: string; partner: string; attempts: number; at: number; status: number }[]>`
            UPDATE deliveries d SET state = 'delivered', attempts = d.attempts + v.tries, last_status = v.status, delivered_at = v.at, last_error_class = NULL, last_error = NULL, lease_until = 0
              FROM unnest(${ok.map((o) => o.id)}::bigint[], ${ok.map((o) => o.tries ?? 1)}::int[], ${ok.map((o) => o.status)}::int[], ${ok.map((o) => o.at)}::bigint[]) AS v(id, tries, status, at)
             WHERE d.id = v.id AND d.state = 'pending'
            RETURNING d.id, d.event_id, d.partner, d.attempts, v.at, v.status`;
          for (const r of done) {
            transitions.push({ at: r.at, eventId: r.event_id, deliveryId: r.id, partner: r.partner, fromState: "pending", toState: "delivered", cause: `HTTP ${r.status}`, actor: SIDECAR_ACTOR, attempts: r.attempts, nextAttemptAt: null });
            closing.add(r.event_id);
          }
        }
        if (bad.length > 0) {
          const failed = await tx<{ id: number; event_id: string; partner: string; attempts: number; next_attempt_at: number; state: string; error_class: string; message: string }[]>`
            UPDATE deliveries d SET state = v.state, attempts = d.attempts + v.tries, next_attempt_at = coalesce(v.next, d.next_attempt_at), last_error_class = v.error_class,
                   last_error = v.message, last_status = v.status, lease_until = 0
              FROM unnest(${bad.map((o) => o.id)}::bigint[], ${bad.map((o) => (o.nextAttemptAt === null ? "dead" : "pending"))}::text[], ${bad.map((o) => o.tries ?? 1)}::int[],
                          ${bad.map((o) => o.nextAttemptAt) as number[]}::bigint[], ${bad.map((o) => o.errorClass)}::text[], ${bad.map((o) => o.message.slice(0, 2000))}::text[],
                          ${bad.map((o) => o.status ?? null) as number[]}::int[]) AS v(id, state, tries, next, error_class, message, status)
             WHERE d.id = v.id AND d.state = 'pending'
            RETURNING d.id, d.event_id, d.partner, d.attempts, d.next_attempt_at, d.state, v.error_class, v.message`;
          for (const r of failed) {
            const dead = r.state === "dead";
            transitions.push({ at: now, eventId: r.event_id, deliveryId: r.id, partner: r.partner, fromState: "pending", toState: r.state, cause: causeOf(`${r.error_class}: ${r.message}`), actor: SIDECAR_ACTOR, attempts: r.attempts, nextAttemptAt: dead ? null : r.next_attempt_at });
            if (dead) closing.add(r.event_id);
            else interim.push({ id: r.event_id, message: r.message, partner: r.partner });
          }
        }
        // One lock statement, in id order, for every event this touches: no deadlock between two replicas' commits.
        const touched = [...new Set([...closing, ...interim.map((i) => i.id)])].sort();
        if (touched.length > 0) await tx`SELECT 1 FROM events WHERE id = ANY(${touched}::text[]) ORDER BY id FOR UPDATE`;
        if (interim.length > 0) {
          const set = await tx`
            UPDATE events e SET final_state = 'failed', final_error = v.message, final_partner = v.partner, report_pending = 1, report_lease_until = 0
              FROM (SELECT DISTINCT ON (id) * FROM unnest(${interim.map((i) => i.id)}::text[], ${interim.map((i) => i.message)}::text[], ${interim.map((i) => i.partner)}::text[]) AS u(id, message, partner)) v
             WHERE e.id = v.id AND e.final_state IS NULL`;
          finalized += set.count;
        }
        if (closing.size > 0) {
          const closed = await tx`
            WITH c AS (
              SELECT event_id, count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'dead') AS dead,
                     max(partner) FILTER (WHERE state = 'dead') AS dead_partner, max(last_error) FILTER (WHERE state = 'dead') AS dead_error,
                     string_agg(partner || ': ' || coalesce(last_error, ''), '; ' ORDER BY id) FILTER (WHERE state = 'dead') AS dead_info
                FROM deliveries WHERE event_id = ANY(${[...closing]}::text[]) GROUP BY event_id)
            UPDATE events e SET final_state = CASE WHEN c.dead > 0 THEN 'dead' ELSE 'delivered' END,
                   final_error = CASE WHEN c.dead = 1 THEN c.dead_error WHEN c.dead > 1 THEN left(c.dead_info, 2000) END,
                   final_partner = CASE WHEN c.dead = 1 THEN c.dead_partner END, report_pending = 1, report_lease_until = 0
              FROM c WHERE e.id = c.event_id AND c.pending = 0`;
          finalized += closed.count;
        }
        await insertTransitions(tx, transitions);
        return finalized;
      }),
    );
  }

  /**
   * An event's history as DeliveryStore.history gives it: the row, its deliveries and their
   * state changes oldest first, whichever replica made them. One snapshot, so the deliveries
   * and the changes agree.
   */
  async history(eventId: string): Promise<EventHistory | undefined> {
    return this.sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const [e] = await tx<(Omit<EventHistory["event"], "reportPending"> & { reportPending: number })[]>`
        SELECT id, outbox_id AS "outboxId", type, subject_key AS "subjectKey", sequence, received_at AS "receivedAt", final_state AS "finalState", final_error AS "finalError",
               report_pending AS "reportPending", reported_at AS "reportedAt"
          FROM events WHERE id = ${eventId}`;
      if (!e) return undefined;
      const deliveries = await tx<EventHistory["deliveries"]>`
        SELECT id, partner, state, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError", delivered_at AS "deliveredAt"
          FROM deliveries WHERE event_id = ${eventId} ORDER BY id`;
      const transitions = await tx<DeliveryTransition[]>`
        SELECT id, at, event_id AS "eventId", delivery_id AS "deliveryId", partner, from_state AS "fromState", to_state AS "toState", cause, actor, attempts, next_attempt_at AS "nextAttemptAt"
          FROM delivery_transitions WHERE event_id = ${eventId} ORDER BY id LIMIT 5000`;
      return { event: { ...e, reportPending: e.reportPending === 1 }, deliveries: [...deliveries], transitions: [...transitions] };
    });
  }

  /** Dead deliveries, newest first, with the reason kept (as DeliveryStore.listDead). */
  async listDead(filter: DeadLetterFilter, limit = 100): Promise<(DeliveryRow & { eventType: string; subjectKey: string })[]> {
    return this.sql<(DeliveryRow & { eventType: string; subjectKey: string })[]>`
      SELECT d.id, d.event_id AS "eventId", d.partner, d.subject_key AS "subjectKey", d.sequence, d.state, d.attempts, d.next_attempt_at AS "nextAttemptAt",
             d.created_at AS "createdAt", d.last_error_class AS "lastErrorClass", d.last_error AS "lastError", d.last_status AS "lastStatus",
             d.delivered_at AS "deliveredAt", e.type AS "eventType"
        FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE ${deadWhere(this.sql, filter)}
       ORDER BY d.id DESC LIMIT ${limit}`;
  }

  /** Re-opens dead deliveries (as DeliveryStore.replayDead): attempts start over, the event's result is cleared. */
  async replayDead(filter: DeadLetterFilter, now = Date.now(), actor = "admin-token"): Promise<number> {
    return retryConflicts(() =>
      this.sql.begin(async (tx) => {
        const reopened = await tx<{ id: number; event_id: string; partner: string }[]>`
          UPDATE deliveries d SET state = 'pending', attempts = 0, next_attempt_at = ${now}, created_at = ${now}, last_error_class = NULL, last_error = NULL, last_status = NULL, lease_until = 0
           WHERE ${deadWhere(tx as unknown as Pg, filter)}
          RETURNING d.id, d.event_id, d.partner`;
        const ids = [...new Set(reopened.map((r) => r.event_id))];
        if (ids.length > 0) await tx`UPDATE events SET final_state = NULL, final_error = NULL, final_partner = NULL, report_pending = 0 WHERE id = ANY(${ids}::text[])`;
        await insertTransitions(
          tx,
          reopened.map((r) => ({ at: now, eventId: r.event_id, deliveryId: r.id, partner: r.partner, fromState: "dead", toState: "pending", cause: "dead letter replayed", actor, attempts: 0, nextAttemptAt: now })),
        );
        return reopened.length;
      }),
    );
  }

  /** Results to record in Odoo, oldest outbox row first, leased to this replica's reporter for a while. */
  async pendingReports(limit: number): Promise<PendingReport[]> {
    const sql = this.sql;
    const rows = await sql<(PendingReport & { outboxId: number })[]>`
      WITH c AS (SELECT id FROM events WHERE report_pending = 1 AND (report_lease_until < ${sql.unsafe(DB_NOW)} OR report_leased_by = ${this.replica})
                  ORDER BY outbox_id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE events e SET report_leased_by = ${this.replica}, report_lease_until = ${sql.unsafe(DB_NOW)} + ${this.reportLeaseMs}
        FROM c WHERE e.id = c.id
      RETURNING e.id, e.final_state AS state, e.final_error AS error, e.final_partner AS partner, e.outbox_id AS "outboxId",
                (SELECT coalesce(sum(d.attempts), 0)::bigint FROM deliveries d WHERE d.event_id = e.id) AS attempts`;
    rows.sort((a, b) => a.outboxId - b.outboxId);
    return rows.map(({ id, state, error, partner, attempts }) => ({ id, state, error, partner, attempts: Number(attempts) }));
  }

  async markReported(reported: readonly { id: string; state: string }[], now = Date.now(), actor = SIDECAR_ACTOR, cause = "recorded in Odoo"): Promise<void> {
    if (reported.length === 0) return;
    await retryConflicts(() =>
      this.sql.begin(async (tx) => {
        const sorted = [...reported].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        await tx`SELECT 1 FROM events WHERE id = ANY(${sorted.map((r) => r.id)}::text[]) ORDER BY id FOR UPDATE`;
        const done = await tx<{ id: string; state: string }[]>`
          UPDATE events e SET report_pending = CASE WHEN e.final_state = v.state THEN 0 ELSE e.report_pending END,
                 reported_at = CASE WHEN e.final_state = v.state THEN ${now}::bigint ELSE e.reported_at END, report_lease_until = 0
            FROM unnest(${sorted.map((r) => r.id)}::text[], ${sorted.map((r) => r.state)}::text[]) AS v(id, state)
           WHERE e.id = v.id AND e.report_pending = 1
          RETURNING e.id, e.final_state AS state, e.report_pending`;
        await insertTransitions(
          tx,
          done
            .filter((r) => (r as unknown as { report_pending: number }).report_pending === 0)
            .map((r) => ({ at: now, eventId: r.id, deliveryId: null, partner: null, fromState: "report_pending", toState: r.state, cause, actor, attempts: null, nextAttemptAt: null })),
        );
      }),
    );
  }

  /**
   * The latest events finished (delivered or dead) and recorded in Odoo by any replica, newest
   * recording first. Read from the history's "recorded in Odoo" changes, newest id first (the
   * primary key's index), not from a sort of every event: the events table is never pruned.
   * So an event whose history was pruned (ODC_HISTORY_RETENTION_DAYS) is no longer checked.
   */
  async recentlyFinished(limit: number): Promise<{ id: string; state: "delivered" | "dead" }[]> {
    if (limit <= 0) return [];
    return this.sql<{ id: string; state: "delivered" | "dead" }[]>`
      SELECT e.id, e.final_state AS state
        FROM (SELECT event_id, max(id) AS last
                FROM (SELECT event_id, id FROM delivery_transitions
                       WHERE from_state = 'report_pending' AND to_state IN ('delivered', 'dead') ORDER BY id DESC LIMIT ${limit}) t
               GROUP BY event_id) r
        JOIN events e ON e.id = r.event_id
       WHERE e.report_pending = 0 AND e.final_state IN ('delivered', 'dead')
       ORDER BY r.last DESC`;
  }

  /** What the shared store holds of these events (any replica's): final state, report flag, deliveries still pending. */
  async eventStates(eventIds: readonly string[]): Promise<Map<string, StoredEventState>> {
    const out = new Map<string, StoredEventState>();
    for (let i = 0; i < eventIds.length; i += 1000) {
      const rows = await this.sql<{ id: string; finalState: string | null; reportPending: number; pending: number }[]>`
        SELECT e.id, e.final_state AS "finalState", e.report_pending AS "reportPending",
               (SELECT count(*)::int FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending') AS pending
          FROM events e WHERE e.id = ANY(${eventIds.slice(i, i + 1000) as string[]}::text[])`;
      for (const r of rows) out.set(r.id, { finalState: r.finalState, reportPending: r.reportPending === 1, pending: r.pending });
    }
    return out;
  }

  /** The results to record in Odoo for these events, whatever their report flag (as DeliveryStore.reportsFor). */
  async reportsFor(eventIds: readonly string[]): Promise<PendingReport[]> {
    const out: (PendingReport & { outboxId: number })[] = [];
    for (let i = 0; i < eventIds.length; i += 1000) {
      const rows = await this.sql<(Omit<PendingReport, "attempts"> & { attempts: string | number; outboxId: number })[]>`
        SELECT e.id, e.final_state AS state, e.final_error AS error, e.final_partner AS partner, e.outbox_id AS "outboxId",
               (SELECT coalesce(sum(d.attempts), 0)::bigint FROM deliveries d WHERE d.event_id = e.id) AS attempts
          FROM events e WHERE e.id = ANY(${eventIds.slice(i, i + 1000) as string[]}::text[]) AND e.final_state IS NOT NULL`;
      for (const r of rows) out.push({ ...r, attempts: Number(r.attempts) });
    }
    out.sort((a, b) => a.outboxId - b.outboxId);
    return out.map(({ id, state, error, partner, attempts }) => ({ id, state, error, partner, attempts }));
  }

  /** An event-level change with no state of the store behind it (a repair in Odoo by reconciliation). */
  async noteEvent(eventId: string, toState: string, cause: string, actor: string, now = Date.now()): Promise<void> {
    await insertTransitions(this.sql, [{ at: now, eventId, deliveryId: null, partner: null, fromState: null, toState, cause: causeOf(cause), actor, attempts: null, nextAttemptAt: null }]);
  }

  /**
   * Reconciliation's turn: a session advisory lock (RECONCILE_LOCK), so two replicas never
   * compare and repair the same rows at once. Taken on the replica's own connection (the
   * keeper), or on one reserved from the pool for the turn; PostgreSQL lets it go if the
   * replica dies. Tried every 200 ms until `waitMs` has passed.
   */
  async reconcileTurn(waitMs: number): Promise<(() => Promise<void>) | null> {
    const reserved = this.keeperIsSession ? null : await this.sql.reserve();
    const session = (reserved as unknown as Pg | null) ?? this.keeper;
    try {
      for (const until = Date.now() + waitMs; ; await new Promise((r) => setTimeout(r, 200))) {
        const [got] = await session<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${RECONCILE_LOCK}) AS ok`;
        if (got?.ok) break;
        if (Date.now() >= until) {
          reserved?.release();
          return null;
        }
      }
    } catch (err) {
      reserved?.release();
      throw err;
    }
    return async () => {
      try {
        await session`SELECT pg_advisory_unlock(${RECONCILE_LOCK})`;
      } finally {
        reserved?.release();
      }
    };
  }

  /**
   * Deletes state changes older than `before`, oldest first, in batches, except those of
   * deliveries that are dead and of events whose result is dead (kept until resolved): what
   * DeliveryStore.pruneTransitions does on SQLite. Rows go in insertion order, so a batch with
   * nothing old in it ends the pruning. Rows another replica is pruning at the same moment are
   * skipped (locked), not waited for: that replica deletes them.
   */
  async pruneTransitions(before: number, batch = 5000): Promise<number> {
    let total = 0;
    let after = 0;
    for (;;) {
      const [r] = await retryConflicts(
        () => this.sql<{ last: number | null; minAt: number | null; deleted: number }[]>`
          WITH w AS (SELECT id, at, event_id FROM delivery_transitions WHERE id > ${after} ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED),
               gone AS (DELETE FROM delivery_transitions t USING w
                         WHERE t.id = w.id AND w.at < ${before}
                           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = w.event_id AND d.state = 'dead')
                           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = w.event_id AND e.final_state = 'dead')
                        RETURNING t.id)
          SELECT (SELECT max(id) FROM w)::bigint AS last, (SELECT min(at) FROM w)::bigint AS "minAt", (SELECT count(*) FROM gone)::int AS deleted`,
      );
      total += r?.deleted ?? 0;
      if (!r || r.last === null || r.minAt === null || Number(r.minAt) >= before) break;
      after = Number(r.last);
    }
    return total;
  }
}
