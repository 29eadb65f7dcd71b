ALTER TABLE `realtime_tickets` ADD `api_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `realtime_tickets_key` ON `realtime_tickets` (`api_key`,`expires_at`);