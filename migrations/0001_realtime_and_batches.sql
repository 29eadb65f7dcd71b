CREATE TABLE `batches` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`finished` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`canceled` integer DEFAULT 0 NOT NULL,
	`failure_policy` text DEFAULT 'continue' NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "batches_policy_check" CHECK("batches"."failure_policy" IN ('continue', 'pause_rest'))
);
--> statement-breakpoint
CREATE INDEX `batches_owner` ON `batches` (`owner`,`batch_id`);--> statement-breakpoint
CREATE TABLE `realtime_tickets` (
	`ticket_hash` text PRIMARY KEY NOT NULL,
	`user` text NOT NULL,
	`roles` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `realtime_watches` (
	`scope` text PRIMARY KEY NOT NULL,
	`until` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `tasks` ADD `seq` integer DEFAULT 1 NOT NULL;