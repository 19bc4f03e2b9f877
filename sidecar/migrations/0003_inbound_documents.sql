CREATE TABLE `inbound_documents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`partner` text NOT NULL,
	`type` text NOT NULL,
	`message_id` text NOT NULL,
	`message_id_source` text NOT NULL,
	`event_id` text,
	`format` text NOT NULL,
	`subject_ref` text,
	`subject_key` text NOT NULL,
	`test_mode` integer DEFAULT 0 NOT NULL,
	`content_type` text,
	`body` blob NOT NULL,
	`body_sha256` text NOT NULL,
	`verification` text NOT NULL,
	`verification_key` integer NOT NULL,
	`received_at` integer NOT NULL,
	`last_received_at` integer NOT NULL,
	`receipts` integer DEFAULT 1 NOT NULL,
	`occurred_at` text,
	`event` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`detail` text,
	`record` text,
	`duplicate` integer DEFAULT 0 NOT NULL,
	`coalesced_into` text,
	`decided_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_message_uq` ON `inbound_documents` (`partner`,`type`,`message_id`);--> statement-breakpoint
CREATE INDEX `inbound_pending_idx` ON `inbound_documents` (`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `inbound_subject_idx` ON `inbound_documents` (`subject_key`,`id`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `inbound_status_idx` ON `inbound_documents` (`status`,`id`);