import { sql } from "drizzle-orm";
import { bigint, bigserial, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The PostgreSQL dialect of the store's schema (sidecar/src/store/schema.ts is the SQLite one,
 * and the documentation of every column). Drizzle has one table builder per dialect, so the
 * tables are written twice, with the same table, column and index names;
 * sidecar/src/store/pg/schema.test.ts checks that the two cannot drift apart. Epoch-ms times
 * are bigint (as numbers: they fit in 2^53). What only the shared store has: the delivery and
 * inbound leases (several replicas), and the partners' shared gate and breaker.
 */

const ms = (name: string) => bigint(name, { mode: "number" });
/** bytea as a Buffer (drizzle's pg bytea has no mode option in every version). */
const buffer = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    outboxId: bigint("outbox_id", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    subjectKey: text("subject_key").notNull(),
    sequence: integer("sequence").notNull(),
    routingCode: text("routing_code"),
    payload: text("payload").notNull(),
    receivedAt: ms("received_at").notNull(),
    finalState: text("final_state"),
    finalError: text("final_error"),
    finalPartner: text("final_partner"),
    reportPending: integer("report_pending").notNull().default(0),
    reportedAt: ms("reported_at"),
    /** The replica recording the result in Odoo, until `report_lease_until` (the database's clock). */
    reportLeasedBy: text("report_leased_by"),
    reportLeaseUntil: ms("report_lease_until").notNull().default(0),
  },
  (t) => [index("events_report_pending_idx").on(t.outboxId).where(sql`report_pending = 1`), index("events_subject_idx").on(t.subjectKey, t.sequence)],
);

export const deliveries = pgTable(
  "deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    partner: text("partner").notNull(),
    subjectKey: text("subject_key").notNull(),
    sequence: integer("sequence").notNull(),
    state: text("state").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ms("next_attempt_at").notNull(),
    createdAt: ms("created_at").notNull(),
    lastErrorClass: text("last_error_class"),
    lastError: text("last_error"),
    lastStatus: integer("last_status"),
    deliveredAt: ms("delivered_at"),
    /** The replica attempting it (its consumer id), until `lease_until` (epoch ms, the database's clock). */
    leasedBy: text("leased_by"),
    leaseUntil: ms("lease_until").notNull().default(0),
  },
  (t) => [
    uniqueIndex("deliveries_event_partner_uq").on(t.eventId, t.partner),
    index("deliveries_due_idx").on(t.partner, t.nextAttemptAt, t.id).where(sql`state = 'pending'`),
    index("deliveries_subject_idx").on(t.partner, t.subjectKey, t.sequence).where(sql`state = 'pending'`),
    index("deliveries_delivered_subject_idx").on(t.partner, t.subjectKey, t.sequence).where(sql`state = 'delivered'`),
    index("deliveries_event_idx").on(t.eventId),
  ],
);

export const inboundDocuments = pgTable(
  "inbound_documents",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    partner: text("partner").notNull(),
    type: text("type").notNull(),
    messageId: text("message_id").notNull(),
    messageIdSource: text("message_id_source").notNull(),
    messageScope: text("message_scope").notNull().default(""),
    eventId: text("event_id"),
    format: text("format").notNull(),
    subjectRef: text("subject_ref"),
    subjectKey: text("subject_key").notNull(),
    testMode: integer("test_mode").notNull().default(0),
    contentType: text("content_type"),
    body: buffer("body").notNull(),
    bodySha256: text("body_sha256").notNull(),
    verification: text("verification").notNull(),
    verificationKey: integer("verification_key").notNull(),
    receivedAt: ms("received_at").notNull(),
    lastReceivedAt: ms("last_received_at").notNull(),
    receipts: integer("receipts").notNull().default(1),
    occurredAt: text("occurred_at"),
    event: text("event"),
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ms("next_attempt_at").notNull(),
    lastError: text("last_error"),
    detail: text("detail"),
    record: text("record"),
    duplicate: integer("duplicate").notNull().default(0),
    coalescedInto: text("coalesced_into"),
    decidedAt: ms("decided_at"),
    /** The replica applying it in Odoo, until `lease_until` (epoch ms, the database's clock). */
    leasedBy: text("leased_by"),
    leaseUntil: ms("lease_until").notNull().default(0),
  },
  (t) => [
    // Every row, received ones too (SQLite's index leaves those out and finds them in its
    // process's own map, which other replicas cannot see): a message posted to two replicas at
    // once is stored once, the second an ON CONFLICT receipt (inbound/pg-store.ts).
    uniqueIndex("inbound_message_scope_uq").on(t.partner, t.messageScope, t.messageId),
    index("inbound_received_idx").on(t.id).where(sql`status = 'received'`),
    index("inbound_pending_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("inbound_subject_idx").on(t.subjectKey, t.id).where(sql`status = 'pending'`),
    index("inbound_decoded_status_idx").on(t.status, t.id).where(sql`status <> 'received'`),
  ],
);

export const partnerPauses = pgTable("partner_pauses", {
  partner: text("partner").primaryKey(),
  pausedAt: ms("paused_at").notNull(),
  pausedBy: text("paused_by").notNull(),
  reason: text("reason"),
});

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: ms("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    subject: text("subject"),
    detail: text("detail"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

export const deliveryTransitions = pgTable(
  "delivery_transitions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: ms("at").notNull(),
    eventId: text("event_id").notNull(),
    deliveryId: bigint("delivery_id", { mode: "number" }),
    partner: text("partner"),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    cause: text("cause"),
    actor: text("actor").notNull(),
    attempts: integer("attempts"),
    nextAttemptAt: ms("next_attempt_at"),
  },
  (t) => [index("delivery_transitions_event_idx").on(t.eventId)],
);

export const inboundTransitions = pgTable(
  "inbound_transitions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: ms("at").notNull(),
    documentId: bigint("document_id", { mode: "number" }).notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    cause: text("cause"),
    actor: text("actor").notNull(),
    attempts: integer("attempts"),
    nextAttemptAt: ms("next_attempt_at"),
  },
  (t) => [index("inbound_transitions_document_idx").on(t.documentId)],
);

/**
 * The partners' limits, shared by every replica: one row per unit of a partner's limit.
 * kind `rate`: `requests` rows, each a place in the sliding window; kind `concurrency`:
 * `concurrency` rows, each a request on the wire. A replica takes a row (free_at <= now) before
 * a request and sets when it is free again: while the request runs, the worst case if the
 * replica dies (start + timeout, plus the window for `rate`); once answered, now (concurrency)
 * or now + the window (rate). All times are the database's clock, never a replica's.
 */
export const partnerSlots = pgTable(
  "partner_slots",
  {
    partner: text("partner").notNull(),
    kind: text("kind").notNull(),
    slot: integer("slot").notNull(),
    freeAt: ms("free_at").notNull().default(0),
    heldBy: text("held_by"),
  },
  (t) => [
    primaryKey({ columns: [t.partner, t.kind, t.slot] }),
    // Where a replica finds free slots: in slot order it walked past every place still taken
    // in the window (a partner allowed thousands of requests a second has that many rows).
    index("partner_slots_free_idx").on(t.partner, t.kind, t.freeAt),
  ],
);

/** Each partner's circuit breaker, shared: consecutive retryable failures, open until, one probe at a time. */
export const partnerBreakers = pgTable("partner_breakers", {
  partner: text("partner").primaryKey(),
  failures: integer("failures").notNull().default(0),
  openUntil: ms("open_until").notNull().default(0),
  probeUntil: ms("probe_until").notNull().default(0),
});
