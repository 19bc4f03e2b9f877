import type Database from "better-sqlite3";
import type { StoreDb } from "../store/db.ts";
import type { InboundPort } from "./port.ts";

/**
 * The dedupe keys of the documents stored `received` (carrier webhooks not decoded yet), one
 * map per connection (the process that owns the store is its one writer): these rows are not
 * in the unique index until decoded (see the schema), so a redelivery of one is found here.
 * Loaded from the rows at start, changed only with the transactions that change the rows.
 */
class ReceivedKeys {
  readonly idOf = new Map<string, number>();
  readonly keyOf = new Map<number, string>();
  add(key: string, id: number): void {
    this.idOf.set(key, id);
    this.keyOf.set(id, key);
  }
  remove(id: number): void {
    const key = this.keyOf.get(id);
    if (key === undefined) return;
    this.keyOf.delete(id);
    if (this.idOf.get(key) === id) this.idOf.delete(key);
  }
}
const receivedKeysOf = new WeakMap<Database.Database, ReceivedKeys>();
// Lengths first: no two (partner, scope, id) give one key, whatever characters they hold.
const dedupeKey = (partner: string, scope: string, messageId: string) => `${partner.length}:${scope.length}:${partner}${scope}${messageId}`;

/** A verified, decoded partner document, ready to be stored. */
export interface NewInboundDocument {
  partner: string;
  type: string;
  messageId: string;
  messageIdSource: "partner" | "body_hash";
  /** What the message id is unique within (see the schema). */
  messageScope: string;
  eventId: string | null;
  format: string;
  subjectRef: string | null;
  subjectKey: string;
  testMode: boolean;
  contentType: string | null;
  body: Buffer;
  bodySha256: string;
  verification: string;
  verificationKey: number;
  receivedAt: number;
  occurredAt: string | null;
  /** The apply_events item as JSON; null when there is nothing to apply. */
  event: string | null;
  /** received (a carrier webhook, decoded later), pending, or a status decided at the door (test_skipped, ignored). */
  status: "received" | "pending" | "test_skipped" | "ignored";
  /** When the apply worker may take it (tracking updates wait for the rest of a burst). */
  nextAttemptAt: number;
  detail: string | null;
}

export interface ReceiveOutcome {
  id: number;
  duplicate: boolean;
  receipts: number;
  status: string;
  eventId: string | null;
}

/** A pending document as the apply worker needs it. */
export interface PendingInbound {
  id: number;
  partner: string;
  type: string;
  eventId: string;
  subjectKey: string;
  occurredAt: string | null;
  receivedAt: number;
  nextAttemptAt: number;
  attempts: number;
  event: string;
}

/** A carrier webhook waiting to be decoded. */
export interface ReceivedInbound {
  id: number;
  partner: string;
  format: string;
  messageId: string;
  body: Buffer;
  contentType: string | null;
  receivedAt: number;
}

/** A received document, decoded: the fields its row gets. */
export interface DecodedDocument {
  id: number;
  doc: Pick<NewInboundDocument, "type" | "eventId" | "subjectRef" | "subjectKey" | "testMode" | "bodySha256" | "occurredAt" | "event" | "nextAttemptAt" | "detail"> & { status: "pending" | "test_skipped" | "ignored" | "rejected" };
}

export type FinalInboundStatus = "applied" | "stale" | "exception" | "unknown_reference" | "rejected";

export interface InboundDecision {
  id: number;
  status: FinalInboundStatus;
  detail: string | null;
  record: string | null;
  duplicate: boolean;
}

export interface InboundListFilter {
  statuses?: readonly string[];
  partner?: string;
  /** Received at or after / before, epoch ms. */
  since?: number;
  until?: number;
  /** Only ids below this (paging, newest first). */
  beforeId?: number;
}

export interface InboundListRow {
  id: number;
  partner: string;
  type: string;
  messageId: string;
  eventId: string | null;
  format: string;
  subjectRef: string | null;
  testMode: number;
  contentType: string | null;
  verification: string;
  verificationKey: number;
  receivedAt: number;
  lastReceivedAt: number;
  receipts: number;
  status: string;
  attempts: number;
  lastError: string | null;
  detail: string | null;
  record: string | null;
  duplicate: number;
  coalescedInto: string | null;
  decidedAt: number | null;
  bodyBytes: number;
}

/** One state change of an inbound document. */
export interface InboundTransition {
  id: number;
  at: number;
  documentId: number;
  fromState: string | null;
  toState: string;
  cause: string | null;
  actor: string;
  attempts: number | null;
  nextAttemptAt: number | null;
}

/** A document waiting (received or pending) longer than it should, for reconciliation. */
export interface StuckInbound {
  id: number;
  partner: string;
  status: "received" | "pending";
  receivedAt: number;
  nextAttemptAt: number;
  attempts: number;
}

const causeOf = (s: string | null | undefined) => (s ? s.slice(0, 500) : null);

/** The inbound side of the store: dedupe + raw storage in one transaction, then apply outcomes. */
export class InboundStore implements InboundPort {
  private readonly st;
  private readonly receiveTx: (documents: readonly NewInboundDocument[], out: ReceiveOutcome[], added: number[]) => void;
  private readonly keys: ReceivedKeys;

  constructor(readonly db: StoreDb) {
    const c = db.$client;
    this.st = {
      receive: c.prepare(
        `INSERT INTO inbound_documents (partner, type, message_id, message_id_source, message_scope, event_id, format, subject_ref, subject_key, test_mode, content_type, body, body_sha256,
            verification, verification_key, received_at, last_received_at, occurred_at, event, status, next_attempt_at, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (partner, message_scope, message_id) WHERE status <> 'received' DO UPDATE SET receipts = receipts + 1, last_received_at = excluded.last_received_at
         RETURNING id, receipts, status, event_id AS eventId`,
      ),
      // A carrier webhook stored as it came: only what the door knows (the rest is NULL or its
      // default until decoded). Deduplicated before, by receiveTx: it is not in the unique index yet.
      receiveRaw: c.prepare(
        `INSERT INTO inbound_documents (partner, type, message_id, message_id_source, message_scope, format, subject_key, content_type, body, body_sha256,
            verification, verification_key, received_at, last_received_at, status, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, 'received', ?)
         RETURNING id, receipts, status, event_id AS eventId`,
      ),
      findDecoded: c.prepare(`SELECT id FROM inbound_documents WHERE partner = ? AND message_scope = ? AND message_id = ? AND status <> 'received'`).pluck(),
      receipt: c.prepare(`UPDATE inbound_documents SET receipts = receipts + 1, last_received_at = ? WHERE id = ? RETURNING id, receipts, status, event_id AS eventId`),
      receivedKeys: c.prepare(`SELECT id, partner, message_scope AS scope, message_id AS messageId FROM inbound_documents WHERE status = 'received'`),
      mergedRow: c.prepare(`SELECT partner, message_scope AS scope, message_id AS messageId, receipts, last_received_at AS lastReceivedAt FROM inbound_documents WHERE id = ?`),
      mergeInto: c.prepare(`UPDATE inbound_documents SET receipts = receipts + ?, last_received_at = max(last_received_at, ?) WHERE id = ?`),
      dropReceived: c.prepare(`DELETE FROM inbound_documents WHERE id = ? AND status = 'received'`),
      // Due documents whose subject has no earlier pending document still waiting (a retry
      // backing off holds back everything after it for the same subject).
      due: c.prepare(
        `SELECT d.id, d.partner, d.type, d.event_id AS eventId, d.subject_key AS subjectKey, d.occurred_at AS occurredAt, d.received_at AS receivedAt,
                d.next_attempt_at AS nextAttemptAt, d.attempts, d.event
           FROM inbound_documents d
          WHERE d.status = 'pending' AND d.next_attempt_at <= @now
            AND d.id < (SELECT coalesce(min(r.id), 9223372036854775807) FROM inbound_documents r WHERE r.status = 'received')
            AND d.subject_key NOT IN (SELECT value FROM json_each(@busy))
            AND NOT EXISTS (SELECT 1 FROM inbound_documents p WHERE p.status = 'pending' AND p.subject_key = d.subject_key AND p.id < d.id AND p.next_attempt_at > @now)
          ORDER BY d.id LIMIT @limit`,
      ),
      pendingOfSubject: c.prepare(
        `SELECT id, partner, type, event_id AS eventId, subject_key AS subjectKey, occurred_at AS occurredAt, received_at AS receivedAt,
                next_attempt_at AS nextAttemptAt, attempts, event
           FROM inbound_documents WHERE status = 'pending' AND subject_key = ?
            AND id < (SELECT coalesce(min(r.id), 9223372036854775807) FROM inbound_documents r WHERE r.status = 'received')
          ORDER BY id LIMIT ?`,
      ),
      nextDue: c.prepare(`SELECT min(next_attempt_at) AS at FROM inbound_documents WHERE status = 'pending'`),
      decide: c.prepare(
        `UPDATE inbound_documents SET status = @status, detail = @detail, record = @record, duplicate = @duplicate, attempts = attempts + 1, last_error = NULL, decided_at = @now
          WHERE id = @id AND status = 'pending'`,
      ),
      coalesce: c.prepare(
        `UPDATE inbound_documents SET status = 'coalesced', coalesced_into = @into, detail = @detail, decided_at = @now WHERE id = @id AND status = 'pending'`,
      ),
      postpone: c.prepare(`UPDATE inbound_documents SET attempts = attempts + 1, next_attempt_at = @next, last_error = @error WHERE id = @id AND status = 'pending' RETURNING attempts`),
      // The history: one row per state change, in the transaction that makes it (the door's
      // own insert is not one: the document's received_at says when it came).
      transition: c.prepare(`INSERT INTO inbound_transitions (at, document_id, from_state, to_state, cause, actor, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      // Two index scans: received rows are not in inbound_decoded_status_idx.
      counts: c.prepare(
        `SELECT status, count(*) AS n FROM inbound_documents WHERE status <> 'received' GROUP BY status
         UNION ALL SELECT 'received', count(*) FROM inbound_documents WHERE status = 'received'`,
      ),
      body: c.prepare(`SELECT body, content_type AS contentType FROM inbound_documents WHERE id = ?`),
      received: c.prepare(
        `SELECT id, partner, format, message_id AS messageId, body, content_type AS contentType, received_at AS receivedAt
           FROM inbound_documents WHERE status = 'received' ORDER BY id LIMIT ?`,
      ),
      decoded: c.prepare(
        `UPDATE inbound_documents SET type = ?, event_id = ?, subject_ref = ?, subject_key = ?, test_mode = ?, body_sha256 = ?, occurred_at = ?, event = ?, status = ?,
                next_attempt_at = ?, detail = ?, decided_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END
          WHERE id = ? AND status = 'received'`,
      ),
    };
    let keys = receivedKeysOf.get(c);
    if (!keys) {
      keys = new ReceivedKeys();
      for (const r of this.st.receivedKeys.all() as { id: number; partner: string; scope: string; messageId: string }[]) keys.add(dedupeKey(r.partner, r.scope, r.messageId), r.id);
      receivedKeysOf.set(c, keys);
    }
    this.keys = keys;
    // Built once: better-sqlite3 makes four wrappers per transaction() call.
    this.receiveTx = c.transaction((documents: readonly NewInboundDocument[], out: ReceiveOutcome[], added: number[]) => {
      for (const d of documents) {
        // Positional parameters: binding 20 named ones costs more than the insert's own work.
        let row: { id: number; receipts: number; status: string; eventId: string | null };
        if (d.status === "received") {
          const key = dedupeKey(d.partner, d.messageScope, d.messageId);
          const known = this.keys.idOf.get(key) ?? (this.st.findDecoded.get(d.partner, d.messageScope, d.messageId) as number | undefined);
          if (known !== undefined) row = this.st.receipt.get(d.receivedAt, known) as typeof row;
          else {
            row = this.st.receiveRaw.get(d.partner, d.type, d.messageId, d.messageIdSource, d.messageScope, d.format, d.subjectKey, d.contentType, d.body, d.verification, d.verificationKey, d.receivedAt, d.receivedAt, d.receivedAt) as typeof row;
            this.keys.add(key, row.id);
            added.push(row.id);
          }
        } else {
          row = this.st.receive.get(
            d.partner, d.type, d.messageId, d.messageIdSource, d.messageScope, d.eventId, d.format, d.subjectRef, d.subjectKey, d.testMode ? 1 : 0, d.contentType, d.body, d.bodySha256,
            d.verification, d.verificationKey, d.receivedAt, d.receivedAt, d.occurredAt, d.event, d.status, d.nextAttemptAt, d.detail,
          ) as typeof row;
        }
        out.push({ id: row.id, duplicate: row.receipts > 1, receipts: row.receipts, status: row.status, eventId: row.eventId });
      }
    });
  }

  /**
   * Stores documents and deduplicates them on (partner, message scope, message id) in one
   * transaction: a redelivered message only counts a receipt and keeps its first body and status.
   */
  receive(documents: readonly NewInboundDocument[]): ReceiveOutcome[] {
    const out: ReceiveOutcome[] = [];
    const added: number[] = [];
    try {
      this.receiveTx(documents, out, added);
    } catch (err) {
      // Rolled back: so are the keys it added.
      for (const id of added) this.keys.remove(id);
      throw err;
    }
    return out;
  }

  /** How many documents wait to be decoded. */
  receivedCount(): number {
    return this.keys.keyOf.size;
  }

  /** Carrier webhooks stored as they came, oldest first, waiting to be decoded. */
  received(limit: number): ReceivedInbound[] {
    return this.st.received.all(limit) as ReceivedInbound[];
  }

  /**
   * What decoding found for received documents, in one transaction: each becomes pending, or is
   * decided (ignored, test_skipped, rejected), and enters the unique index. One whose key is
   * there already (only if another process wrote the same store file: this one deduplicated it
   * at the door) is merged into that document as a receipt, as a redelivery is; returned.
   */
  decoded(documents: readonly DecodedDocument[], now = Date.now()): { id: number; into: number }[] {
    const merged: { id: number; into: number }[] = [];
    this.db.$client.transaction(() => {
      for (const { id, doc } of documents) {
        try {
          if (this.st.decoded.run(doc.type, doc.eventId, doc.subjectRef, doc.subjectKey, doc.testMode ? 1 : 0, doc.bodySha256, doc.occurredAt, doc.event, doc.status, doc.nextAttemptAt, doc.detail?.slice(0, 2000) ?? null, doc.status, now, id).changes > 0) {
            this.st.transition.run(now, id, "received", doc.status, causeOf(doc.detail) ?? "decoded", "sidecar", null, doc.status === "pending" ? doc.nextAttemptAt : null);
          }
        } catch (err) {
          if ((err as { code?: string }).code !== "SQLITE_CONSTRAINT_UNIQUE") throw err;
          const row = this.st.mergedRow.get(id) as { partner: string; scope: string; messageId: string; receipts: number; lastReceivedAt: number };
          const into = this.st.findDecoded.get(row.partner, row.scope, row.messageId) as number;
          this.st.mergeInto.run(row.receipts, row.lastReceivedAt, into);
          this.st.dropReceived.run(id);
          merged.push({ id, into });
        }
      }
    })();
    for (const { id } of documents) this.keys.remove(id);
    return merged;
  }

  /**
   * Due documents, oldest first, leaving out `busySubjects` (in a call right now). Nothing
   * after a document still waiting to be decoded is due: its subject is not known yet.
   */
  due(now: number, limit: number, busySubjects: readonly string[] = []): PendingInbound[] {
    return this.st.due.all({ now, limit, busy: JSON.stringify(busySubjects) }) as PendingInbound[];
  }

  pendingOfSubject(subjectKey: string, limit: number): PendingInbound[] {
    return this.st.pendingOfSubject.all(subjectKey, limit) as PendingInbound[];
  }

  nextDueAt(): number | null {
    return (this.st.nextDue.get() as { at: number | null }).at;
  }

  /** Records Odoo's outcomes, and the documents coalesced into the events sent, in one transaction. */
  decide(decisions: readonly InboundDecision[], coalesced: readonly { id: number; into: string }[], now = Date.now()): void {
    this.db.$client.transaction(() => {
      for (const d of decisions) {
        if (this.st.decide.run({ id: d.id, status: d.status, detail: d.detail?.slice(0, 2000) ?? null, record: d.record, duplicate: d.duplicate ? 1 : 0, now }).changes > 0) {
          this.st.transition.run(now, d.id, "pending", d.status, causeOf(d.detail) ?? `Odoo answered ${d.status}`, "odoo (apply_events)", null, null);
        }
      }
      for (const c of coalesced) {
        const detail = `superseded by the later update ${c.into} of the same shipment`;
        if (this.st.coalesce.run({ id: c.id, into: c.into, detail, now }).changes > 0) this.st.transition.run(now, c.id, "pending", "coalesced", detail, "sidecar", null, null);
      }
    })();
  }

  /** A failed call: the documents stay pending, tried again at `next`. */
  postpone(ids: readonly number[], next: number, error: string, now = Date.now()): void {
    this.db.$client.transaction(() => {
      for (const id of ids) {
        const row = this.st.postpone.get({ id, next, error: error.slice(0, 2000) }) as { attempts: number } | undefined;
        if (row) this.st.transition.run(now, id, "pending", "pending", causeOf(error), "sidecar", row.attempts, next);
      }
    })();
  }

  /** Documents still received or pending that came in before `receivedBefore`, oldest first. */
  stuck(receivedBefore: number, limit: number): StuckInbound[] {
    return this.db.$client
      .prepare(
        `SELECT id, partner, status, received_at AS receivedAt, next_attempt_at AS nextAttemptAt, attempts FROM (
           SELECT * FROM inbound_documents WHERE status = 'received' AND received_at < @before
           UNION ALL SELECT * FROM inbound_documents WHERE status = 'pending' AND received_at < @before)
          ORDER BY id LIMIT @limit`,
      )
      .all({ before: receivedBefore, limit }) as StuckInbound[];
  }

  /** Pending documents to be tried again now (reconciliation): their wait is cut short; recorded. Returns how many. */
  retryNow(ids: readonly number[], actor: string, cause: string, now = Date.now()): number {
    const st = this.db.$client.prepare(`UPDATE inbound_documents SET next_attempt_at = ? WHERE id = ? AND status = 'pending' RETURNING attempts`);
    let n = 0;
    this.db.$client.transaction(() => {
      for (const id of ids) {
        const row = st.get(now, id) as { attempts: number } | undefined;
        if (!row) continue;
        this.st.transition.run(now, id, "pending", "pending", causeOf(cause), actor, row.attempts, now);
        n++;
      }
    })();
    return n;
  }

  /** A document's state changes, oldest first (none for one that never changed since the door). */
  history(id: number): InboundTransition[] {
    return this.db.$client
      .prepare(
        `SELECT id, at, document_id AS documentId, from_state AS fromState, to_state AS toState, cause, actor, attempts, next_attempt_at AS nextAttemptAt
           FROM inbound_transitions WHERE document_id = ? ORDER BY id LIMIT 5000`,
      )
      .all(id) as InboundTransition[];
  }

  /** The document's row without its body, or undefined. */
  document(id: number): InboundListRow | undefined {
    return this.list({ beforeId: id + 1 }, 1).find((r) => r.id === id);
  }

  /**
   * Deletes state changes older than `before`, oldest first, in batches, except those of
   * quarantined documents (unknown_reference, rejected: kept until resolved).
   */
  pruneTransitions(before: number, batch = 5000): number {
    const del = this.db.$client.prepare(
      `DELETE FROM inbound_transitions WHERE id IN (
         SELECT t.id FROM (SELECT * FROM inbound_transitions WHERE id > ? ORDER BY id LIMIT ?) t
          WHERE t.at < ? AND NOT EXISTS (SELECT 1 FROM inbound_documents d WHERE d.id = t.document_id AND d.status IN ('unknown_reference', 'rejected')))`,
    );
    const last = this.db.$client.prepare(`SELECT max(id) AS id, min(at) AS minAt FROM (SELECT id, at FROM inbound_transitions WHERE id > ? ORDER BY id LIMIT ?)`);
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

  counts(): Record<string, number> {
    const out: Record<string, number> = { pending: 0 };
    for (const r of this.st.counts.all() as { status: string; n: number }[]) if (r.n > 0) out[r.status] = r.n;
    return out;
  }

  body(id: number): { body: Buffer; contentType: string | null } | undefined {
    return this.st.body.get(id) as { body: Buffer; contentType: string | null } | undefined;
  }

  /** Documents, newest first, without their bodies. */
  list(filter: InboundListFilter, limit = 100): InboundListRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit };
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map((_, i) => `@s${i}`).join(", ")})`);
      // Lets SQLite use inbound_decoded_status_idx (it leaves received rows out).
      if (!filter.statuses.includes("received")) where.push("status <> 'received'");
      filter.statuses.forEach((s, i) => (params[`s${i}`] = s));
    }
    if (filter.partner) {
      where.push("partner = @partner");
      params.partner = filter.partner;
    }
    if (filter.since !== undefined) {
      where.push("received_at >= @since");
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      where.push("received_at <= @until");
      params.until = filter.until;
    }
    if (filter.beforeId !== undefined) {
      where.push("id < @beforeId");
      params.beforeId = filter.beforeId;
    }
    return this.db.$client
      .prepare(
        `SELECT id, partner, type, message_id AS messageId, event_id AS eventId, format, subject_ref AS subjectRef, test_mode AS testMode, content_type AS contentType,
                verification, verification_key AS verificationKey, received_at AS receivedAt, last_received_at AS lastReceivedAt, receipts, status, attempts,
                last_error AS lastError, detail, record, duplicate, coalesced_into AS coalescedInto, decided_at AS decidedAt, length(body) AS bodyBytes
           FROM inbound_documents ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT @limit`,
      )
      .all(params) as InboundListRow[];
  }
}
