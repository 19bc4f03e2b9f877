DROP INDEX "inbound_message_scope_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_message_scope_uq" ON "inbound_documents" USING btree ("partner","message_scope","message_id");