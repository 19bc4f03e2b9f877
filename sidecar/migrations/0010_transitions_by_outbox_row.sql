DROP INDEX `delivery_transitions_event_idx`;--> statement-breakpoint
ALTER TABLE `delivery_transitions` ADD `outbox_id` integer;--> statement-breakpoint
-- The history kept so far: each row gets its event's outbox row (null where the store has no such event).
UPDATE `delivery_transitions` SET `outbox_id` = (SELECT `e`.`outbox_id` FROM `events` `e` WHERE `e`.`id` = `delivery_transitions`.`event_id`);--> statement-breakpoint
CREATE INDEX `delivery_transitions_outbox_idx` ON `delivery_transitions` (`outbox_id`);--> statement-breakpoint
CREATE INDEX `delivery_transitions_orphan_idx` ON `delivery_transitions` (`event_id`) WHERE outbox_id IS NULL;