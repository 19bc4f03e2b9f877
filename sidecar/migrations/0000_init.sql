CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`partner` text NOT NULL,
	`subject_key` text NOT NULL,
	`sequence` integer NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_error_class` text,
	`last_error` text,
	`last_status` integer,
	`delivered_at` integer,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_event_partner_uq` ON `deliveries` (`event_id`,`partner`);--> statement-breakpoint
CREATE INDEX `deliveries_due_idx` ON `deliveries` (`state`,`partner`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `deliveries_subject_idx` ON `deliveries` (`partner`,`subject_key`,`sequence`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`outbox_id` integer NOT NULL,
	`type` text NOT NULL,
	`subject_key` text NOT NULL,
	`sequence` integer NOT NULL,
	`routing_code` text,
	`payload` text NOT NULL,
	`received_at` integer NOT NULL,
	`final_state` text,
	`final_error` text,
	`report_pending` integer DEFAULT 0 NOT NULL,
	`reported_at` integer
);
--> statement-breakpoint
CREATE INDEX `events_report_pending_idx` ON `events` (`report_pending`) WHERE report_pending = 1;