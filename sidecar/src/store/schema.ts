import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The sidecar's durable store. Odoo's outbox stays the source of truth until a result is
 * recorded there; this store holds what the sidecar has claimed, each (event, partner)
 * delivery with its attempts, and what still has to be reported back.
 */
export const events = sqliteTable(
  "events",
  {
    /** Canonical event id (UUID): idempotency key and `webhook-id`. */
    id: text("id").primaryKey(),
    outboxId: integer("outbox_id").notNull(),
    type: text("type").notNull(),
    /** `<model>:<id>` of the record the event is about; order is kept per subject. */
    subjectKey: text("subject_key").notNull(),
    sequence: integer("sequence").notNull(),
    routingCode: text("routing_code"),
    payload: text("payload").notNull(),
    receivedAt: integer("received_at").notNull(),
    /**
     * What Odoo should show for the event: delivered | dead once every delivery is final;
     * failed after a first failed attempt while retries go on; null otherwise.
     */
    finalState: text("final_state"),
    finalError: text("final_error"),
    /** The partner the error is about, when exactly one is. */
    finalPartner: text("final_partner"),
    /** 1 while the final state still has to be recorded in Odoo. */
    reportPending: integer("report_pending").notNull().default(0),
    reportedAt: integer("reported_at"),
  },
  (t) => [index("events_report_pending_idx").on(t.reportPending).where(sql`report_pending = 1`), index("events_subject_idx").on(t.subjectKey, t.sequence)],
);

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    partner: text("partner").notNull(),
    subjectKey: text("subject_key").notNull(),
    sequence: integer("sequence").notNull(),
    /** pending | delivered | dead */
    state: text("state").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    createdAt: integer("created_at").notNull(),
    lastErrorClass: text("last_error_class"),
    lastError: text("last_error"),
    lastStatus: integer("last_status"),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    uniqueIndex("deliveries_event_partner_uq").on(t.eventId, t.partner),
    index("deliveries_due_idx").on(t.state, t.partner, t.nextAttemptAt),
    index("deliveries_subject_idx").on(t.partner, t.subjectKey, t.sequence),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * Partners' documents received on `POST /inbound/<partner>`: stored (raw, with how they were
 * verified) in the same transaction that deduplicates them, then applied in Odoo by the
 * apply worker. One row per distinct partner message; a redelivery only counts `receipts`.
 */
export const inboundDocuments = sqliteTable(
  "inbound_documents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    partner: text("partner").notNull(),
    /** Canonical inbound event type, `ignored` for a document with nothing to apply, `(undecoded)` until a received webhook is decoded. */
    type: text("type").notNull(),
    /** The partner's message id, or `sha256:<hex>` of the body when it has none. */
    messageId: text("message_id").notNull(),
    /** partner | body_hash */
    messageIdSource: text("message_id_source").notNull(),
    /**
     * What the message id is unique within, for deduplication: the canonical type for documents
     * decoded at the door (a UBL supplier numbers each document type on its own), the format and
     * the kind of webhook its envelope names for carrier webhooks (stored before they are decoded).
     */
    messageScope: text("message_scope").notNull().default(""),
    /** Inbound event id (UUID v5 of partner, format, type, message id): the apply_events idempotency key. */
    eventId: text("event_id"),
    format: text("format").notNull(),
    /** PO number, shipment id or tracking number the document is about. */
    subjectRef: text("subject_ref"),
    /** Order is kept per subject key: `<partner>|<type>|<subject ref>`. */
    subjectKey: text("subject_key").notNull(),
    testMode: integer("test_mode").notNull().default(0),
    contentType: text("content_type"),
    /** The body as received (cXML with its SharedSecret redacted). */
    body: blob("body", { mode: "buffer" }).notNull(),
    bodySha256: text("body_sha256").notNull(),
    /** How the request was authenticated: the scheme, and which configured secret matched. */
    verification: text("verification").notNull(),
    verificationKey: integer("verification_key").notNull(),
    receivedAt: integer("received_at").notNull(),
    lastReceivedAt: integer("last_received_at").notNull(),
    /** How many times the partner delivered this message (redeliveries are acknowledged, not applied again). */
    receipts: integer("receipts").notNull().default(1),
    /** When the partner says it happened (UTC ISO), for ordering tracking updates. */
    occurredAt: text("occurred_at"),
    /** The apply_events item (JSON), null for ignored documents. */
    event: text("event"),
    /**
     * received (a carrier webhook stored as it came, waiting to be decoded) | pending (waiting for Odoo) | applied | stale | exception | unknown_reference | rejected
     * (Odoo's outcome) | coalesced (superseded by a later tracking update of the same shipment)
     * | test_skipped (test-mode document of a production partner) | ignored (nothing to apply).
     */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    /** Odoo's short explanation, or why the sidecar kept the document back. */
    detail: text("detail"),
    /** `{"model","id","ref"}` of the Odoo record the outcome is about (JSON). */
    record: text("record"),
    /** Odoo already had this event (apply_events answered duplicate: true). */
    duplicate: integer("duplicate").notNull().default(0),
    coalescedInto: text("coalesced_into"),
    decidedAt: integer("decided_at"),
  },
  (t) => [
    // Received webhooks are deduplicated by InboundStore against this index and its own map of
    // their keys, and enter the index when decoded: a webhook's id lands anywhere in it (ids are
    // random), and writing that page moves from before the answer to the decode stage's larger
    // transactions (bench/README.md, "Inbound store").
    uniqueIndex("inbound_message_scope_uq").on(t.partner, t.messageScope, t.messageId).where(sql`status <> 'received'`),
    index("inbound_received_idx").on(t.id).where(sql`status = 'received'`),
    index("inbound_pending_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("inbound_subject_idx").on(t.subjectKey, t.id).where(sql`status = 'pending'`),
    // Received webhooks are left out: they are decoded within moments (inbound_received_idx
    // finds them), and leaving them out spares the door one index write per webhook;
    // counts() and list() say `status <> 'received'` to use it.
    index("inbound_decoded_status_idx").on(t.status, t.id).where(sql`status <> 'received'`),
  ],
);

export type InboundDocumentRow = typeof inboundDocuments.$inferSelect;

/**
 * Partners an operator paused (`odc pause <partner>`): their lane sends nothing while a row
 * is here, their deliveries wait in the store, and the pause survives a restart.
 */
export const partnerPauses = sqliteTable("partner_pauses", {
  partner: text("partner").primaryKey(),
  pausedAt: integer("paused_at").notNull(),
  /** Who paused it: `admin-token` through the admin API (the CLI uses it too). */
  pausedBy: text("paused_by").notNull(),
  reason: text("reason"),
});

export type PartnerPauseRow = typeof partnerPauses.$inferSelect;

/**
 * What operators did through the admin API (pause, resume, replay): when, who (which token,
 * and the name a client gave, e.g. `cli:alice`), what, and its details. Never a secret.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    /** partner.pause | partner.resume | dead_letters.replay */
    action: text("action").notNull(),
    /** The partner, or null for a replay by selectors. */
    subject: text("subject"),
    /** JSON: the reason, the selectors and how many were replayed. */
    detail: text("detail"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

export type AuditRow = typeof auditLog.$inferSelect;

/**
 * Every state change of a delivery (and of its event towards Odoo), written in the transaction
 * that makes it: when, from and to which state, why (the partner's answer, the replay, the
 * repair), by whom (`sidecar`, `odoo` for a staff Retry, the admin token and the CLI's user,
 * `reconcile`), and the retry schedule (attempts so far, next attempt). The claim itself is not
 * a row: the event's `received_at` says when. Kept `ODC_HISTORY_RETENTION_DAYS`, dead
 * deliveries' rows until they are resolved.
 */
export const deliveryTransitions = sqliteTable(
  "delivery_transitions",
  {
    id: integer("id").primaryKey(),
    at: integer("at").notNull(),
    eventId: text("event_id").notNull(),
    /** Null for the event's own changes (its result recorded in Odoo). */
    deliveryId: integer("delivery_id"),
    partner: text("partner"),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    cause: text("cause"),
    actor: text("actor").notNull(),
    attempts: integer("attempts"),
    nextAttemptAt: integer("next_attempt_at"),
    /**
     * The event's outbox row (`events.outbox_id`), null for an event the store does not hold.
     * The history is found through it: outbox ids grow in claim order, so an event's rows go
     * to the end of the index, where a random event id would dirty a page of its own per row
     * (one WAL frame each; bench/README.md, "Where the time goes in immediate mode").
     */
    outboxId: integer("outbox_id"),
  },
  (t) => [
    index("delivery_transitions_outbox_idx").on(t.outboxId),
    index("delivery_transitions_orphan_idx").on(t.eventId).where(sql`outbox_id IS NULL`),
  ],
);

/** The same for inbound documents: decoded, applied (Odoo's outcome), retried, coalesced, retried by reconcile. */
export const inboundTransitions = sqliteTable(
  "inbound_transitions",
  {
    id: integer("id").primaryKey(),
    at: integer("at").notNull(),
    documentId: integer("document_id").notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    cause: text("cause"),
    actor: text("actor").notNull(),
    attempts: integer("attempts"),
    nextAttemptAt: integer("next_attempt_at"),
  },
  (t) => [index("inbound_transitions_document_idx").on(t.documentId)],
);

export type DeliveryTransitionRow = typeof deliveryTransitions.$inferSelect;
export type InboundTransitionRow = typeof inboundTransitions.$inferSelect;
