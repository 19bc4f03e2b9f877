DROP INDEX `inbound_message_uq`;--> statement-breakpoint
ALTER TABLE `inbound_documents` ADD `message_scope` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Rows stored before this migration keep their old uniqueness exactly: (partner, type, message id).
UPDATE `inbound_documents` SET `message_scope` = `type`;--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_message_scope_uq` ON `inbound_documents` (`partner`,`message_scope`,`message_id`);--> statement-breakpoint
CREATE INDEX `inbound_received_idx` ON `inbound_documents` (`id`) WHERE status = 'received';