CREATE TABLE `partner_pauses` (
	`partner` text PRIMARY KEY NOT NULL,
	`paused_at` integer NOT NULL,
	`paused_by` text NOT NULL,
	`reason` text
);
