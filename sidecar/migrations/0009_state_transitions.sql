CREATE TABLE `delivery_transitions` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`event_id` text NOT NULL,
	`delivery_id` integer,
	`partner` text,
	`from_state` text,
	`to_state` text NOT NULL,
	`cause` text,
	`actor` text NOT NULL,
	`attempts` integer,
	`next_attempt_at` integer
);
--> statement-breakpoint
CREATE INDEX `delivery_transitions_event_idx` ON `delivery_transitions` (`event_id`);--> statement-breakpoint
CREATE TABLE `inbound_transitions` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`document_id` integer NOT NULL,
	`from_state` text,
	`to_state` text NOT NULL,
	`cause` text,
	`actor` text NOT NULL,
	`attempts` integer,
	`next_attempt_at` integer
);
--> statement-breakpoint
CREATE INDEX `inbound_transitions_document_idx` ON `inbound_transitions` (`document_id`);