CREATE TABLE `schedule_runs` (
	`schedule` text NOT NULL,
	`slot` integer NOT NULL,
	`kind` text NOT NULL,
	`outcome` text NOT NULL,
	`task_name` text,
	`count` integer DEFAULT 1 NOT NULL,
	`slot_until` integer,
	`at` integer NOT NULL,
	`lag_ms` integer,
	`error` text,
	PRIMARY KEY(`schedule`, `slot`, `kind`),
	CONSTRAINT "schedule_runs_outcome_check" CHECK("schedule_runs"."outcome" IN ('enqueued', 'buffered', 'skipped_overlap', 'skipped', 'missed', 'refused', 'manual'))
);
--> statement-breakpoint
CREATE TABLE `scheduled_jobs` (
	`name` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`owner` text NOT NULL,
	`owner_roles` text NOT NULL,
	`description` text,
	`method` text NOT NULL,
	`document_type` text,
	`document_name` text,
	`document_action` text,
	`arguments` text DEFAULT '{}' NOT NULL,
	`queue` text,
	`priority` integer,
	`timeout` integer,
	`max_retries` integer DEFAULT 0 NOT NULL,
	`retry_delay` integer DEFAULT 0 NOT NULL,
	`retry_backoff` text DEFAULT 'fixed' NOT NULL,
	`frequency` text NOT NULL,
	`cron` text,
	`every_s` integer,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`missed` text DEFAULT 'once' NOT NULL,
	`catch_up_window_s` integer DEFAULT 86400 NOT NULL,
	`catch_up_max` integer DEFAULT 100 NOT NULL,
	`overlap` text DEFAULT 'skip' NOT NULL,
	`start_at` integer,
	`end_at` integer,
	`max_runs` integer,
	`stopped` integer DEFAULT false NOT NULL,
	`stop_note` text,
	`stopped_at` integer,
	`skip_next` integer DEFAULT 0 NOT NULL,
	`active_since` integer NOT NULL,
	`last_slot` integer,
	`last_token` text,
	`last_task` text,
	`last_execution` integer,
	`next_slot` integer,
	`next_fire_at` integer,
	`buffered_slot` integer,
	`runs` integer DEFAULT 0 NOT NULL,
	`missed_count` integer DEFAULT 0 NOT NULL,
	`skipped_overlap` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`definition_hash` text,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "scheduled_jobs_source_check" CHECK("scheduled_jobs"."source" IN ('code', 'api')),
	CONSTRAINT "scheduled_jobs_frequency_check" CHECK("scheduled_jobs"."frequency" IN ('all', 'hourly', 'hourly_long', 'daily', 'daily_long', 'weekly', 'weekly_long', 'monthly', 'monthly_long', 'yearly', 'yearly_long', 'annual', 'annual_long', 'cron', 'every')),
	CONSTRAINT "scheduled_jobs_missed_check" CHECK("scheduled_jobs"."missed" IN ('skip', 'once', 'all')),
	CONSTRAINT "scheduled_jobs_overlap_check" CHECK("scheduled_jobs"."overlap" IN ('skip', 'buffer_one', 'allow', 'cancel_other'))
);
--> statement-breakpoint
CREATE INDEX `scheduled_jobs_owner` ON `scheduled_jobs` (`owner`,`name`);--> statement-breakpoint
CREATE INDEX `scheduled_jobs_due` ON `scheduled_jobs` (`next_fire_at`) WHERE "scheduled_jobs"."stopped" = 0 AND "scheduled_jobs"."next_fire_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `scheduled_job` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `scheduled_for` integer;--> statement-breakpoint
CREATE INDEX `tasks_schedule_active` ON `tasks` (`scheduled_job`) WHERE "tasks"."scheduled_job" IS NOT NULL AND "tasks"."status" IN ('Pending', 'Queued', 'Started');--> statement-breakpoint
-- A schedule's `failed` counter, kept in the transaction of the status change: a run counts once
-- when it ends Failed with no retry left, and a manual retry of it takes it out again.
CREATE TRIGGER `tasks_schedule_failed` AFTER UPDATE OF `status`, `wake_at` ON `tasks`
WHEN NEW.`scheduled_job` IS NOT NULL
  AND (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) <> (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
BEGIN
  UPDATE `scheduled_jobs` SET
    `failed` = `failed` + (NEW.`status` = 'Failed' AND NEW.`wake_at` IS NULL) - (OLD.`status` = 'Failed' AND OLD.`wake_at` IS NULL)
  WHERE `name` = NEW.`scheduled_job`;
END;
