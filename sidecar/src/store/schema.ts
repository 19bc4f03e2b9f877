import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
