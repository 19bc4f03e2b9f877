import type { Logger } from "pino";
import { DB_NOW, startStoreTimers, type Pg, type StoreTimers } from "../store/pg/db.ts";
import type { InboundPort } from "./port.ts";
import type {
  DecodedDocument,
  InboundDecision,
  InboundListFilter,
  InboundListRow,
  InboundTransition,
  NewInboundDocument,
  PendingInbound,
  ReceivedInbound,
  ReceiveOutcome,
  StuckInbound,
} from "./store.ts";

/** pg_advisory_xact_lock key of the apply worker's claim (`due`): one replica chooses at a time. */
const DUE_LOCK = 0x6f6463_17;
const NO_RECEIVED = Number.MAX_SAFE_INTEGER;

const CAUSE_MAX = 500;
const causeOf = (s: string | null | undefined) => (s ? s.slice(0, CAUSE_MAX) : null);
/**
 * PostgreSQL's text holds no NUL character (SQLite's does): one in a partner's message id or
 * reference would fail the whole batch of the door's group commit, every other partner's
 * documents in it too. It is kept as U+FFFD instead.
 */
const text = <T extends string | null>(s: T): T => (s !== null && s.includes("\u0000") ? (s.replaceAll("\u0000", "\uFFFD") as T) : s);

type Tx = Pg | import("postgres").TransactionSql;

/** Retries a transaction PostgreSQL aborted to break a deadlock or a serialization conflict. */
async function retryConflicts<T>(fn: () => Promise<T>, tries = 5): Promise<T> {
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

async function insertTransitions(tx: Tx, rows: readonly Omit<InboundTransition, "id">[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    INSERT INTO inbound_transitions (at, document_id, from_state, to_state, cause, actor, attempts, next_attempt_at)
    SELECT * FROM unnest(${rows.map((r) => r.at)}::bigint[], ${rows.map((r) => r.documentId)}::bigint[], ${rows.map((r) => r.fromState) as string[]}::text[],
                         ${rows.map((r) => r.toState)}::text[], ${rows.map((r) => r.cause) as string[]}::text[], ${rows.map((r) => r.actor)}::text[],
                         ${rows.map((r) => r.attempts) as number[]}::int[], ${rows.map((r) => r.nextAttemptAt) as number[]}::bigint[])`;
}

export interface PgInboundStoreOptions {
  /** How long a document stays leased to this replica without a renewal (renewed every third of it while held). Default 30 s. */
  leaseMs?: number;
  /** How often counts() is refreshed (0: never in the background). Default 5 s. */
  countsEveryMs?: number;
  /** The connection lease renewals go through (default: the pool), so a renewal never waits behind the pool's transactions. */
  keeper?: Pg;
  /** The worker's shortest timer (see InboundPort.pollFloorMs). Default 250 ms. */
  pollFloorMs?: number;
}

const PENDING_COLUMNS = (sql: Pg) =>
  sql`d.id, d.partner, d.type, d.event_id AS "eventId", d.subject_key AS "subjectKey", d.occurred_at AS "occurredAt", d.received_at AS "receivedAt",
      d.next_attempt_at AS "nextAttemptAt", d.attempts, d.event`;

/**
 * The inbound store on PostgreSQL, shared by several replicas: the same semantics as the
 * SQLite InboundStore (dedupe on the message key, order per subject, the same history), with
 * what sharing needs:
 *
 * - Dedupe: on PostgreSQL the unique index on (partner, message_scope, message_id) covers every
 *   row, `received` ones too (SQLite keeps those out and finds them in a map of its own
 *   process, which another replica cannot see), so one `INSERT ... ON CONFLICT DO UPDATE`
 *   stores a message once whichever replicas it reaches at the same moment: the second waits
 *   for the first's commit and counts a receipt. Decoding then never meets a duplicate.
 * - Decoding: `received` leases the rows it returns (`FOR UPDATE SKIP LOCKED`), and `decoded`
 *   writes only rows this replica still holds, so no row is decoded twice at once.
 * - Applying: `due` chooses under a transaction advisory lock (one replica at a time, each
 *   seeing the leases the one before committed) and leases what it returns: a document is due
 *   only when no earlier pending document of its subject waits for a retry or is leased by
 *   another replica, so a subject is in one replica's call at a time, in arrival order.
 *   Leases run on the database's clock, are renewed while held, and lapse when their replica
 *   dies: another replica then sends those events again (Odoo applies an event id once).
 *   `decide` and `postpone` change only rows still leased to this replica.
 */
export class PgInboundStore implements InboundPort {
  readonly pollFloorMs: number;
  private readonly held = new Set<number>();
  private readonly leaseMs: number;
  private readonly keeper: Pg;
  private readonly timers: StoreTimers;
  private cachedCounts: Record<string, number> = { pending: 0 };
  /** Received documents stored through this replica since the last count (the door's backlog bound). */
  private receivedSinceCount = 0;

  constructor(
    readonly sql: Pg,
    /** This replica's id (its consumer id): who holds a lease. */
    readonly replica: string,
    private readonly log: Logger,
    options: PgInboundStoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.keeper = options.keeper ?? sql;
    this.pollFloorMs = options.pollFloorMs ?? 250;
    this.timers = startStoreTimers({ leaseMs: this.leaseMs, renew: () => this.renew(), countsEveryMs: options.countsEveryMs ?? 5_000, refreshCounts: () => this.refreshCounts() });
  }

  async close(): Promise<void> {
    this.timers.stop();
    const ids = [...this.held];
    this.held.clear();
    if (ids.length > 0) await this.sql`UPDATE inbound_documents SET lease_until = 0 WHERE id = ANY(${ids}::bigint[]) AND leased_by = ${this.replica}`.catch(() => undefined);
  }

  /** Ids this replica holds a lease on right now (tests). */
  holding(): number[] {
    return [...this.held];
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      await this.keeper`UPDATE inbound_documents SET lease_until = ${this.keeper.unsafe(DB_NOW)} + ${this.leaseMs}
                         WHERE id = ANY(${[...this.held]}::bigint[]) AND leased_by = ${this.replica} AND status IN ('received', 'pending')`;
    } catch (err) {
      this.log.warn({ err }, "renewing inbound document leases failed");
    }
  }

  /** Reads the counts per status again (also what receivedCount starts from). */
  async refreshCounts(): Promise<void> {
    try {
      const rows = await this.sql<{ status: string; n: number }[]>`SELECT status, count(*)::bigint AS n FROM inbound_documents GROUP BY status`;
      const out: Record<string, number> = { pending: 0 };
      for (const r of rows) if (r.n > 0) out[r.status] = Number(r.n);
      this.cachedCounts = out;
      this.receivedSinceCount = 0;
    } catch (err) {
      this.log.debug({ err }, "refreshing inbound counts failed");
    }
  }

  counts(): Record<string, number> {
    return { ...this.cachedCounts };
  }

  receivedCount(): number {
    return (this.cachedCounts.received ?? 0) + this.receivedSinceCount;
  }

  async receive(documents: readonly NewInboundDocument[]): Promise<ReceiveOutcome[]> {
    if (documents.length === 0) return [];
    // One row per key (one INSERT cannot update a row twice): n copies of a key in the batch
    // are n receipts; the first stored keeps its body and status, as on SQLite.
    const byKey = new Map<string, { doc: NewInboundDocument; at: number[] }>();
    documents.forEach((d, i) => {
      const key = JSON.stringify([text(d.partner), text(d.messageScope), text(d.messageId)]);
      const g = byKey.get(key);
      if (g) g.at.push(i);
      else byKey.set(key, { doc: d, at: [i] });
    });
    // Keys in one order for every replica's batches: two batches never wait on each other in a circle.
    const groups = [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const values = groups.map(([, { doc: d, at }]) => {
      const raw = d.status === "received";
      return {
        partner: text(d.partner),
        type: text(d.type),
        message_id: text(d.messageId),
        message_id_source: d.messageIdSource,
        message_scope: text(d.messageScope),
        event_id: raw ? null : d.eventId,
        format: d.format,
        subject_ref: raw ? null : text(d.subjectRef),
        subject_key: text(d.subjectKey),
        test_mode: !raw && d.testMode ? 1 : 0,
        content_type: d.contentType === null ? null : text(d.contentType),
        body: d.body,
        body_sha256: raw ? "" : d.bodySha256,
        verification: d.verification,
        verification_key: d.verificationKey,
        received_at: d.receivedAt,
        last_received_at: d.receivedAt,
        receipts: at.length,
        occurred_at: raw ? null : text(d.occurredAt),
        event: raw ? null : text(d.event),
        status: d.status,
        next_attempt_at: raw ? d.receivedAt : d.nextAttemptAt,
        detail: raw || d.detail === null ? null : text(d.detail),
      };
    });
    const rows = await retryConflicts(
      () => this.sql<{ id: number; partner: string; scope: string; messageId: string; receipts: number; status: string; eventId: string | null; inserted: boolean }[]>`
        INSERT INTO inbound_documents ${this.sql(values as unknown as Record<string, string | number | Buffer | null>[])}
        ON CONFLICT (partner, message_scope, message_id) DO UPDATE SET receipts = inbound_documents.receipts + excluded.receipts,
               last_received_at = greatest(inbound_documents.last_received_at, excluded.last_received_at)
        RETURNING id, partner, message_scope AS scope, message_id AS "messageId", receipts, status, event_id AS "eventId", (xmax = 0) AS inserted`,
    );
    const out: ReceiveOutcome[] = new Array(documents.length);
    const found = new Map(rows.map((r) => [JSON.stringify([r.partner, r.scope, r.messageId]), r]));
    for (const [key, { at }] of groups) {
      const r = found.get(key);
      if (!r) throw new Error("inbound: a stored document was not returned");
      if (r.inserted && r.status === "received") this.receivedSinceCount++;
      // The batch's copies are the last `at.length` receipts of the row.
      at.forEach((i, k) => {
        const receipts = r.receipts - at.length + 1 + k;
        out[i] = { id: r.id, duplicate: receipts > 1, receipts, status: r.status, eventId: r.eventId };
      });
    }
    return out;
  }

  /** Received documents no other replica is decoding, oldest first, leased to this replica. */
  async received(limit: number): Promise<ReceivedInbound[]> {
    if (limit <= 0) return [];
    const sql = this.sql;
    const rows = await sql<ReceivedInbound[]>`
      WITH c AS (SELECT id FROM inbound_documents WHERE status = 'received' AND (lease_until < ${sql.unsafe(DB_NOW)} OR leased_by = ${this.replica})
                  ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE inbound_documents d SET leased_by = ${this.replica}, lease_until = ${sql.unsafe(DB_NOW)} + ${this.leaseMs}
        FROM c WHERE d.id = c.id
      RETURNING d.id, d.partner, d.format, d.message_id AS "messageId", d.body, d.content_type AS "contentType", d.received_at AS "receivedAt"`;
    rows.sort((a, b) => a.id - b.id);
    for (const r of rows) this.held.add(r.id);
    return [...rows];
  }

  /** What decoding found, for the rows this replica still holds; nothing is merged (the key is unique from the door on). */
  async decoded(documents: readonly DecodedDocument[], now = Date.now()): Promise<{ id: number; into: number }[]> {
    if (documents.length === 0) return [];
    try {
      await retryConflicts(() =>
        this.sql.begin(async (tx) => {
          const docs = documents.map((x) => x.doc);
          const changed = await tx<{ id: number; status: string; nextAttemptAt: number; detail: string | null }[]>`
            UPDATE inbound_documents d SET type = v.type, event_id = v.event_id, subject_ref = v.subject_ref, subject_key = v.subject_key, test_mode = v.test_mode,
                   body_sha256 = v.body_sha256, occurred_at = v.occurred_at, event = v.event, status = v.status, next_attempt_at = v.next_attempt_at, detail = v.detail,
                   decided_at = CASE WHEN v.status = 'pending' THEN NULL ELSE ${now}::bigint END, lease_until = 0
              FROM unnest(${documents.map((x) => x.id)}::bigint[], ${docs.map((d) => text(d.type))}::text[], ${docs.map((d) => d.eventId) as string[]}::text[],
                          ${docs.map((d) => text(d.subjectRef)) as string[]}::text[], ${docs.map((d) => text(d.subjectKey))}::text[], ${docs.map((d) => (d.testMode ? 1 : 0))}::int[],
                          ${docs.map((d) => d.bodySha256)}::text[], ${docs.map((d) => text(d.occurredAt)) as string[]}::text[], ${docs.map((d) => text(d.event)) as string[]}::text[],
                          ${docs.map((d) => d.status)}::text[], ${docs.map((d) => d.nextAttemptAt)}::bigint[], ${docs.map((d) => (d.detail === null ? null : text(d.detail.slice(0, 2000)))) as string[]}::text[])
                   AS v(id, type, event_id, subject_ref, subject_key, test_mode, body_sha256, occurred_at, event, status, next_attempt_at, detail)
             WHERE d.id = v.id AND d.status = 'received' AND d.leased_by = ${this.replica}
            RETURNING d.id, d.status, d.next_attempt_at AS "nextAttemptAt", d.detail`;
          await insertTransitions(
            tx,
            changed.map((r) => ({ at: now, documentId: r.id, fromState: "received", toState: r.status, cause: causeOf(r.detail) ?? "decoded", actor: "sidecar", attempts: null, nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null })),
          );
        }),
      );
    } finally {
      for (const { id } of documents) this.held.delete(id);
    }
    return [];
  }

  /**
   * Due documents, oldest first, leased to this replica (see the class comment): pending and
   * due, before every document still waiting to be decoded (its subject is not known yet),
   * subject not in `busySubjects`, not leased by another replica, and no earlier pending
   * document of the subject waiting for a retry or leased by another replica.
   */
  async due(now: number, limit: number, busySubjects: readonly string[] = []): Promise<PendingInbound[]> {
    if (limit <= 0) return [];
    const me = this.replica;
    const rows = await retryConflicts(() =>
      this.sql.begin(async (tx) => {
        // One replica chooses at a time: a choice sees the leases every earlier one committed
        // (SKIP LOCKED alone would let two replicas each take a document of one subject).
        await tx`SELECT pg_advisory_xact_lock(${DUE_LOCK})`;
        const dbNow = tx.unsafe(DB_NOW);
        return tx<PendingInbound[]>`
          WITH c AS (
            SELECT d.id FROM inbound_documents d
             WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
               AND d.id < (SELECT coalesce(min(r.id), ${NO_RECEIVED}) FROM inbound_documents r WHERE r.status = 'received')
               AND NOT (d.subject_key = ANY(${busySubjects as string[]}::text[]))
               AND (d.lease_until < ${dbNow} OR d.leased_by = ${me})
               AND NOT EXISTS (SELECT 1 FROM inbound_documents p WHERE p.status = 'pending' AND p.subject_key = d.subject_key AND p.id < d.id
                                 AND (p.next_attempt_at > ${now} OR (p.lease_until >= ${dbNow} AND p.leased_by IS DISTINCT FROM ${me})))
             ORDER BY d.id LIMIT ${limit}
             FOR UPDATE OF d SKIP LOCKED)
          UPDATE inbound_documents d SET leased_by = ${me}, lease_until = ${dbNow} + ${this.leaseMs}
            FROM c WHERE d.id = c.id
          RETURNING ${PENDING_COLUMNS(tx as unknown as Pg)}`;
      }),
    );
    const sorted = [...rows].sort((a, b) => a.id - b.id);
    for (const r of sorted) this.held.add(r.id);
    return sorted;
  }

  /** Every pending document of a subject this replica holds (the worker asks only for those), leased to it. */
  async pendingOfSubject(subjectKey: string, limit: number): Promise<PendingInbound[]> {
    const sql = this.sql;
    const rows = await sql<PendingInbound[]>`
      WITH c AS (
        SELECT id FROM inbound_documents WHERE status = 'pending' AND subject_key = ${subjectKey}
           AND id < (SELECT coalesce(min(r.id), ${NO_RECEIVED}) FROM inbound_documents r WHERE r.status = 'received')
           AND (lease_until < ${sql.unsafe(DB_NOW)} OR leased_by = ${this.replica})
         ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE inbound_documents d SET leased_by = ${this.replica}, lease_until = ${sql.unsafe(DB_NOW)} + ${this.leaseMs}
        FROM c WHERE d.id = c.id
      RETURNING ${PENDING_COLUMNS(sql)}`;
    const sorted = [...rows].sort((a, b) => a.id - b.id);
    for (const r of sorted) this.held.add(r.id);
    return sorted;
  }

  /**
   * When to look again, on this replica's clock: the earliest retry, or when another
   * replica's lease (or its decoding) would lapse, whichever is first.
   */
  async nextDueAt(): Promise<number | null> {
    const sql = this.sql;
    const [r] = await sql<{ at: number | null }[]>`
      SELECT min(CASE WHEN lease_until >= ${sql.unsafe(DB_NOW)} AND leased_by IS DISTINCT FROM ${this.replica}
                      THEN greatest(next_attempt_at, ${Date.now()}::bigint + (lease_until - ${sql.unsafe(DB_NOW)}))
                      ELSE next_attempt_at END)::bigint AS at
        FROM inbound_documents WHERE status IN ('received', 'pending')`;
    return r?.at ?? null;
  }

  async decide(decisions: readonly InboundDecision[], coalesced: readonly { id: number; into: string }[], now = Date.now()): Promise<void> {
    if (decisions.length === 0 && coalesced.length === 0) return;
    const me = this.replica;
    try {
      await retryConflicts(() =>
        this.sql.begin(async (tx) => {
          const transitions: Omit<InboundTransition, "id">[] = [];
          if (decisions.length > 0) {
            const done = await tx<{ id: number; status: string; detail: string | null }[]>`
              UPDATE inbound_documents d SET status = v.status, detail = v.detail, record = v.record, duplicate = v.duplicate, attempts = d.attempts + 1, last_error = NULL,
                     decided_at = ${now}::bigint, lease_until = 0
                FROM unnest(${decisions.map((x) => x.id)}::bigint[], ${decisions.map((x) => x.status)}::text[], ${decisions.map((x) => (x.detail === null ? null : text(x.detail.slice(0, 2000)))) as string[]}::text[],
                            ${decisions.map((x) => (x.record === null ? null : text(x.record))) as string[]}::text[], ${decisions.map((x) => (x.duplicate ? 1 : 0))}::int[]) AS v(id, status, detail, record, duplicate)
               WHERE d.id = v.id AND d.status = 'pending' AND d.leased_by = ${me}
              RETURNING d.id, d.status, d.detail`;
            for (const r of done) transitions.push({ at: now, documentId: r.id, fromState: "pending", toState: r.status, cause: causeOf(r.detail) ?? `Odoo answered ${r.status}`, actor: "odoo (apply_events)", attempts: null, nextAttemptAt: null });
          }
          if (coalesced.length > 0) {
            const gone = await tx<{ id: number; detail: string }[]>`
              UPDATE inbound_documents d SET status = 'coalesced', coalesced_into = v.into, detail = 'superseded by the later update ' || v.into || ' of the same shipment', decided_at = ${now}::bigint, lease_until = 0
                FROM unnest(${coalesced.map((c) => c.id)}::bigint[], ${coalesced.map((c) => c.into)}::text[]) AS v(id, into)
               WHERE d.id = v.id AND d.status = 'pending' AND d.leased_by = ${me}
              RETURNING d.id, d.detail`;
            for (const r of gone) transitions.push({ at: now, documentId: r.id, fromState: "pending", toState: "coalesced", cause: r.detail, actor: "sidecar", attempts: null, nextAttemptAt: null });
          }
          await insertTransitions(tx, transitions);
        }),
      );
    } finally {
      for (const d of decisions) this.held.delete(d.id);
      for (const c of coalesced) this.held.delete(c.id);
    }
  }

  async postpone(ids: readonly number[], next: number, error: string, now = Date.now()): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.sql.begin(async (tx) => {
        const rows = await tx<{ id: number; attempts: number }[]>`
          UPDATE inbound_documents SET attempts = attempts + 1, next_attempt_at = ${next}, last_error = ${text(error.slice(0, 2000))}, lease_until = 0
           WHERE id = ANY(${ids as number[]}::bigint[]) AND status = 'pending' AND leased_by = ${this.replica}
          RETURNING id, attempts`;
        await insertTransitions(
          tx,
          rows.map((r) => ({ at: now, documentId: r.id, fromState: "pending", toState: "pending", cause: causeOf(text(error)), actor: "sidecar", attempts: r.attempts, nextAttemptAt: next })),
        );
      });
    } finally {
      for (const id of ids) this.held.delete(id);
    }
  }

  async release(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.held.delete(id);
    await this.sql`UPDATE inbound_documents SET lease_until = 0 WHERE id = ANY(${ids as number[]}::bigint[]) AND leased_by = ${this.replica} AND status IN ('received', 'pending')`;
  }

  async stuck(receivedBefore: number, limit: number): Promise<StuckInbound[]> {
    const rows = await this.sql<StuckInbound[]>`
      SELECT id, partner, status, received_at AS "receivedAt", next_attempt_at AS "nextAttemptAt", attempts FROM inbound_documents
       WHERE status IN ('received', 'pending') AND received_at < ${receivedBefore} ORDER BY id LIMIT ${limit}`;
    return [...rows];
  }

  async retryNow(ids: readonly number[], actor: string, cause: string, now = Date.now()): Promise<number> {
    if (ids.length === 0) return 0;
    return this.sql.begin(async (tx) => {
      const rows = await tx<{ id: number; attempts: number }[]>`
        UPDATE inbound_documents SET next_attempt_at = ${now} WHERE id = ANY(${ids as number[]}::bigint[]) AND status = 'pending' RETURNING id, attempts`;
      await insertTransitions(
        tx,
        rows.map((r) => ({ at: now, documentId: r.id, fromState: "pending", toState: "pending", cause: causeOf(cause), actor, attempts: r.attempts, nextAttemptAt: now })),
      );
      return rows.length;
    });
  }

  async history(id: number): Promise<InboundTransition[]> {
    const rows = await this.sql<InboundTransition[]>`
      SELECT id, at, document_id AS "documentId", from_state AS "fromState", to_state AS "toState", cause, actor, attempts, next_attempt_at AS "nextAttemptAt"
        FROM inbound_transitions WHERE document_id = ${id} ORDER BY id LIMIT 5000`;
    return [...rows];
  }

  async document(id: number): Promise<InboundListRow | undefined> {
    return (await this.list({ beforeId: id + 1 }, 1)).find((r) => r.id === id);
  }

  /** As InboundStore.pruneTransitions: older than `before`, in batches, quarantined documents' kept. */
  async pruneTransitions(before: number, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.sql`
        DELETE FROM inbound_transitions WHERE id IN (
          SELECT t.id FROM inbound_transitions t
           WHERE t.at < ${before} AND NOT EXISTS (SELECT 1 FROM inbound_documents d WHERE d.id = t.document_id AND d.status IN ('unknown_reference', 'rejected'))
           ORDER BY t.id LIMIT ${batch})`;
      total += deleted.count;
      if (deleted.count < batch) return total;
    }
  }

  async body(id: number): Promise<{ body: Buffer; contentType: string | null } | undefined> {
    const [r] = await this.sql<{ body: Buffer; contentType: string | null }[]>`SELECT body, content_type AS "contentType" FROM inbound_documents WHERE id = ${id}`;
    return r;
  }

  /** Documents, newest first, without their bodies (every filter value a parameter). */
  async list(filter: InboundListFilter, limit = 100): Promise<InboundListRow[]> {
    const sql = this.sql;
    const rows = await sql<InboundListRow[]>`
      SELECT id, partner, type, message_id AS "messageId", event_id AS "eventId", format, subject_ref AS "subjectRef", test_mode AS "testMode", content_type AS "contentType",
             verification, verification_key AS "verificationKey", received_at AS "receivedAt", last_received_at AS "lastReceivedAt", receipts, status, attempts,
             last_error AS "lastError", detail, record, duplicate, coalesced_into AS "coalescedInto", decided_at AS "decidedAt", octet_length(body) AS "bodyBytes"
        FROM inbound_documents
       WHERE TRUE
         ${filter.statuses?.length ? sql`AND status = ANY(${filter.statuses as string[]}::text[])` : sql``}
         ${filter.partner ? sql`AND partner = ${text(filter.partner)}` : sql``}
         ${filter.since !== undefined ? sql`AND received_at >= ${filter.since}` : sql``}
         ${filter.until !== undefined ? sql`AND received_at <= ${filter.until}` : sql``}
         ${filter.beforeId !== undefined ? sql`AND id < ${filter.beforeId}` : sql``}
       ORDER BY id DESC LIMIT ${limit}`;
    return [...rows];
  }
}
