CREATE TABLE `api_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`user` text NOT NULL,
	`roles` text NOT NULL,
	`label` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `task_types` (
	`method` text PRIMARY KEY NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`concurrency_limit` integer DEFAULT 0 NOT NULL,
	`is_standard` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "task_types_limit_check" CHECK("task_types"."concurrency_limit" >= 0)
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`name` text PRIMARY KEY NOT NULL,
	`job_name` text NOT NULL,
	`method` text NOT NULL,
	`document_type` text,
	`document_name` text,
	`document_action` text,
	`queue` text NOT NULL,
	`timeout` integer NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`at_front` integer DEFAULT false NOT NULL,
	`lane` integer DEFAULT 0 NOT NULL,
	`arguments` text DEFAULT '{}' NOT NULL,
	`status` text NOT NULL,
	`status_message` text,
	`owner` text NOT NULL,
	`batch_id` text,
	`batch_order` integer DEFAULT 0 NOT NULL,
	`max_retries` integer DEFAULT 0 NOT NULL,
	`retry_delay` integer DEFAULT 0 NOT NULL,
	`retry_backoff` text DEFAULT 'fixed' NOT NULL,
	`retry_count` integer DEFAULT 0 NOT NULL,
	`run_at` integer,
	`wake_at` integer,
	`dedupe_key` text,
	`created_at` integer NOT NULL,
	`queued_at` integer,
	`started_at` integer,
	`ended_at` integer,
	`time_taken` real,
	`attempt` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`result` text,
	`error_message` text,
	`debug_log` text,
	`progress` text,
	`job_id` text,
	CONSTRAINT "tasks_status_check" CHECK("tasks"."status" IN ('Pending', 'Queued', 'Started', 'Finished', 'Failed', 'Canceled', 'Paused')),
	CONSTRAINT "tasks_queue_check" CHECK("tasks"."queue" IN ('short', 'default', 'long')),
	CONSTRAINT "tasks_backoff_check" CHECK("tasks"."retry_backoff" IN ('fixed', 'exponential')),
	CONSTRAINT "tasks_timeout_check" CHECK("tasks"."timeout" > 0)
);
--> statement-breakpoint
CREATE INDEX `tasks_dispatch` ON `tasks` (`method`,"lane" DESC,"priority" DESC,`batch_order`,`name`) WHERE "tasks"."status" = 'Pending' AND "tasks"."wake_at" IS NULL;--> statement-breakpoint
CREATE INDEX `tasks_in_flight` ON `tasks` (`method`,`lease_until`) WHERE "tasks"."status" IN ('Queued', 'Started');--> statement-breakpoint
CREATE INDEX `tasks_wake` ON `tasks` (`method`,`wake_at`) WHERE "tasks"."wake_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_owner` ON `tasks` (`owner`,`name`);--> statement-breakpoint
CREATE INDEX `tasks_method` ON `tasks` (`method`,`name`);--> statement-breakpoint
CREATE INDEX `tasks_failed` ON `tasks` (`ended_at`) WHERE "tasks"."status" = 'Failed';--> statement-breakpoint
CREATE INDEX `tasks_batch` ON `tasks` (`batch_id`,`batch_order`) WHERE "tasks"."batch_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_dedupe` ON `tasks` (`owner`,`dedupe_key`) WHERE "tasks"."dedupe_key" IS NOT NULL AND ("tasks"."status" IN ('Pending', 'Queued', 'Started', 'Paused') OR ("tasks"."status" = 'Failed' AND "tasks"."wake_at" IS NOT NULL));