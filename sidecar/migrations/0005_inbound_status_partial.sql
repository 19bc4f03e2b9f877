DROP INDEX `inbound_status_idx`;--> statement-breakpoint
CREATE INDEX `inbound_decoded_status_idx` ON `inbound_documents` (`status`,`id`) WHERE status <> 'received';