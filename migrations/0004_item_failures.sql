CREATE TABLE `item_failures` (
	`task_name` text NOT NULL,
	`item_id` text NOT NULL,
	`batch_id` text,
	`error` text NOT NULL,
	`created_at` integer NOT NULL,
	`requeued_in` text,
	PRIMARY KEY(`task_name`, `item_id`)
);
--> statement-breakpoint
CREATE INDEX `item_failures_batch` ON `item_failures` (`batch_id`) WHERE "item_failures"."batch_id" IS NOT NULL;