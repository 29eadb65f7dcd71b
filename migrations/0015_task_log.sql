-- The method's Durable Object owns its live tasks; `tasks` becomes the log they are written to in
-- groups. The live-state indexes (dispatch order, in flight, timers, paused, dedupe, schedule
-- overlap) move into the objects, so they leave D1. The table is rebuilt WITHOUT ROWID: keyed by
-- the task's name alone, an insert writes one row instead of two (the row and its key's index).
-- Existing rows are kept; live ones are adopted by their method's object the first time it wakes
-- (it reads the live rows of its method through `tasks_live`).
CREATE TABLE `tasks_log` (
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
	`order_key` text DEFAULT '' NOT NULL,
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
	`seq` integer DEFAULT 1 NOT NULL,
	`scheduled_job` text,
	`scheduled_for` integer,
	`rerun_of` text,
	`logged_at` integer,
	CONSTRAINT "tasks_status_check" CHECK("tasks_log"."status" IN ('Pending', 'Queued', 'Started', 'Finished', 'Failed', 'Canceled', 'Paused')),
	CONSTRAINT "tasks_queue_check" CHECK("tasks_log"."queue" IN ('short', 'default', 'long')),
	CONSTRAINT "tasks_backoff_check" CHECK("tasks_log"."retry_backoff" IN ('fixed', 'exponential')),
	CONSTRAINT "tasks_timeout_check" CHECK("tasks_log"."timeout" > 0)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `tasks_log` (`name`, `job_name`, `method`, `document_type`, `document_name`, `document_action`, `queue`, `timeout`, `priority`, `at_front`, `lane`, `arguments`, `status`, `status_message`, `owner`, `batch_id`, `batch_order`, `order_key`, `max_retries`, `retry_delay`, `retry_backoff`, `retry_count`, `run_at`, `wake_at`, `dedupe_key`, `created_at`, `queued_at`, `started_at`, `ended_at`, `time_taken`, `attempt`, `lease_until`, `result`, `error_message`, `debug_log`, `progress`, `job_id`, `seq`, `scheduled_job`, `scheduled_for`, `rerun_of`, `logged_at`)
SELECT `name`, `job_name`, `method`, `document_type`, `document_name`, `document_action`, `queue`, `timeout`, `priority`, `at_front`, `lane`, `arguments`, `status`, `status_message`, `owner`, `batch_id`, `batch_order`, `order_key`, `max_retries`, `retry_delay`, `retry_backoff`, `retry_count`, `run_at`, `wake_at`, `dedupe_key`, `created_at`, `queued_at`, `started_at`, `ended_at`, `time_taken`, `attempt`, `lease_until`, `result`, `error_message`, `debug_log`, `progress`, `job_id`, `seq`, `scheduled_job`, `scheduled_for`, `rerun_of`, `created_at` FROM `tasks`;
--> statement-breakpoint
DROP TABLE `tasks`;
--> statement-breakpoint
ALTER TABLE `tasks_log` RENAME TO `tasks`;
--> statement-breakpoint
-- Lists: own tasks newest first (a System Manager's list walks the primary key).
CREATE INDEX `tasks_owner` ON `tasks` (`owner`,`name`);
--> statement-breakpoint
CREATE INDEX `tasks_batch` ON `tasks` (`batch_id`,`batch_order`) WHERE "tasks"."batch_id" IS NOT NULL;
--> statement-breakpoint
-- Ops and statistics: recent failures (only failed rows enter it).
CREATE INDEX `tasks_failed` ON `tasks` (`ended_at`) WHERE "tasks"."status" = 'Failed';
--> statement-breakpoint
-- Live rows of the log, by method: what the objects reconcile with, and the snapshots of the
-- owner and every-task scopes. A task whose first log write already ended never enters it.
CREATE INDEX `tasks_live` ON `tasks` (`method`) WHERE ("tasks"."status" IN ('Pending', 'Queued', 'Started', 'Paused') OR ("tasks"."status" = 'Failed' AND "tasks"."wake_at" IS NOT NULL));
--> statement-breakpoint
CREATE INDEX `tasks_rerun_of` ON `tasks` (`rerun_of`) WHERE "tasks"."rerun_of" IS NOT NULL;
--> statement-breakpoint
-- Batch counters, exact and idempotent. `total` is added when a batch's tasks are committed (in
-- the commit's transaction, before any of them can be seen); the end counters here: a task counts
-- once, in the state it ended in (Finished, Canceled, or Failed with no retry scheduled). The log
-- may skip intermediate states (a task can be inserted already ended), so the insert counts too.
CREATE TRIGGER `tasks_batch_ended` AFTER INSERT ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
BEGIN
  UPDATE `batches` SET
    `finished` = `finished` + (NEW.`status` = 'Finished'),
    `failed` = `failed` + (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL),
    `canceled` = `canceled` + (NEW.`status` = 'Canceled')
  WHERE `batch_id` = NEW.`batch_id`
    AND (NEW.`status` IN ('Finished', 'Canceled') OR (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_batch_counters` AFTER UPDATE OF `status`, `wake_at` ON `tasks`
WHEN NEW.`batch_id` IS NOT NULL
  AND (
    (NEW.`status` = 'Finished') <> (OLD.`status` = 'Finished')
    OR (NEW.`status` = 'Canceled') <> (OLD.`status` = 'Canceled')
    OR (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) <> (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  )
BEGIN
  UPDATE `batches` SET
    `finished` = `finished` + (NEW.`status` = 'Finished') - (OLD.`status` = 'Finished'),
    `canceled` = `canceled` + (NEW.`status` = 'Canceled') - (OLD.`status` = 'Canceled'),
    `failed` = `failed` + (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) - (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  WHERE `batch_id` = NEW.`batch_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_schedule_failed_insert` AFTER INSERT ON `tasks`
WHEN NEW.`scheduled_job` IS NOT NULL AND NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL
BEGIN
  UPDATE `scheduled_jobs` SET `failed` = `failed` + 1 WHERE `name` = NEW.`scheduled_job`;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_schedule_failed` AFTER UPDATE OF `status`, `wake_at` ON `tasks`
WHEN NEW.`scheduled_job` IS NOT NULL
  AND (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) <> (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
BEGIN
  UPDATE `scheduled_jobs` SET
    `failed` = `failed` + (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) - (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  WHERE `name` = NEW.`scheduled_job`;
END;
--> statement-breakpoint
-- Which object owns a task: every task name ends with its method's route code, so a request that
-- only has the name reaches the right object. `live_until` is set by an object while it holds
-- live tasks (the minute cron looks at those).
CREATE TABLE `method_routes` (
	`code` text PRIMARY KEY NOT NULL,
	`method` text NOT NULL,
	`created_at` integer NOT NULL,
	`live_until` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `method_routes_method` ON `method_routes` (`method`);
--> statement-breakpoint
-- How many of a batch's tasks each method runs ({"method": n}, kept by the commit that inserts
-- them), so a batch action (cancel, resume, pause_rest) reaches every object that holds some of
-- them, and the batch page shows its methods exactly.
ALTER TABLE `batches` ADD `methods` text DEFAULT '{}' NOT NULL;
--> statement-breakpoint
UPDATE `batches` SET `methods` = coalesce((SELECT json_group_object(`method`, `n`) FROM (SELECT `method`, count(*) AS `n` FROM `tasks` WHERE `tasks`.`batch_id` = `batches`.`batch_id` GROUP BY `method`)), '{}');
--> statement-breakpoint
-- A bulk enqueue that spans objects writes its tasks held, records its commit here, then releases
-- them: an object whose held tasks outlive the call asks this table whether to release or drop them.
CREATE TABLE `bulk_commits` (
	`token` text PRIMARY KEY NOT NULL,
	`batch_id` text NOT NULL,
	`created_at` integer NOT NULL
);
