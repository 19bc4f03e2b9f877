CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject" text,
	"detail" text
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"partner" text NOT NULL,
	"subject_key" text NOT NULL,
	"sequence" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	"last_error_class" text,
	"last_error" text,
	"last_status" integer,
	"delivered_at" bigint,
	"leased_by" text,
	"lease_until" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivery_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"event_id" text NOT NULL,
	"delivery_id" bigint,
	"partner" text,
	"from_state" text,
	"to_state" text NOT NULL,
	"cause" text,
	"actor" text NOT NULL,
	"attempts" integer,
	"next_attempt_at" bigint
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"outbox_id" bigint NOT NULL,
	"type" text NOT NULL,
	"subject_key" text NOT NULL,
	"sequence" integer NOT NULL,
	"routing_code" text,
	"payload" text NOT NULL,
	"received_at" bigint NOT NULL,
	"final_state" text,
	"final_error" text,
	"final_partner" text,
	"report_pending" integer DEFAULT 0 NOT NULL,
	"reported_at" bigint,
	"report_leased_by" text,
	"report_lease_until" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_documents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partner" text NOT NULL,
	"type" text NOT NULL,
	"message_id" text NOT NULL,
	"message_id_source" text NOT NULL,
	"message_scope" text DEFAULT '' NOT NULL,
	"event_id" text,
	"format" text NOT NULL,
	"subject_ref" text,
	"subject_key" text NOT NULL,
	"test_mode" integer DEFAULT 0 NOT NULL,
	"content_type" text,
	"body" "bytea" NOT NULL,
	"body_sha256" text NOT NULL,
	"verification" text NOT NULL,
	"verification_key" integer NOT NULL,
	"received_at" bigint NOT NULL,
	"last_received_at" bigint NOT NULL,
	"receipts" integer DEFAULT 1 NOT NULL,
	"occurred_at" text,
	"event" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_error" text,
	"detail" text,
	"record" text,
	"duplicate" integer DEFAULT 0 NOT NULL,
	"coalesced_into" text,
	"decided_at" bigint,
	"leased_by" text,
	"lease_until" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"document_id" bigint NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"cause" text,
	"actor" text NOT NULL,
	"attempts" integer,
	"next_attempt_at" bigint
);
--> statement-breakpoint
CREATE TABLE "partner_breakers" (
	"partner" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"open_until" bigint DEFAULT 0 NOT NULL,
	"probe_until" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_pauses" (
	"partner" text PRIMARY KEY NOT NULL,
	"paused_at" bigint NOT NULL,
	"paused_by" text NOT NULL,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "partner_slots" (
	"partner" text NOT NULL,
	"kind" text NOT NULL,
	"slot" integer NOT NULL,
	"free_at" bigint DEFAULT 0 NOT NULL,
	"held_by" text,
	CONSTRAINT "partner_slots_partner_kind_slot_pk" PRIMARY KEY("partner","kind","slot")
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_event_partner_uq" ON "deliveries" USING btree ("event_id","partner");--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "deliveries" USING btree ("partner","next_attempt_at","id") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_subject_idx" ON "deliveries" USING btree ("partner","subject_key","sequence") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_delivered_subject_idx" ON "deliveries" USING btree ("partner","subject_key","sequence") WHERE state = 'delivered';--> statement-breakpoint
CREATE INDEX "deliveries_event_idx" ON "deliveries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "delivery_transitions_event_idx" ON "delivery_transitions" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "events_report_pending_idx" ON "events" USING btree ("outbox_id") WHERE report_pending = 1;--> statement-breakpoint
CREATE INDEX "events_subject_idx" ON "events" USING btree ("subject_key","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_message_scope_uq" ON "inbound_documents" USING btree ("partner","message_scope","message_id") WHERE status <> 'received';--> statement-breakpoint
CREATE INDEX "inbound_received_idx" ON "inbound_documents" USING btree ("id") WHERE status = 'received';--> statement-breakpoint
CREATE INDEX "inbound_pending_idx" ON "inbound_documents" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_subject_idx" ON "inbound_documents" USING btree ("subject_key","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_decoded_status_idx" ON "inbound_documents" USING btree ("status","id") WHERE status <> 'received';--> statement-breakpoint
CREATE INDEX "inbound_transitions_document_idx" ON "inbound_transitions" USING btree ("document_id");