CREATE TABLE `report_jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`report` text NOT NULL,
	`owner` text NOT NULL,
	`filters` text NOT NULL,
	`filters_hash` text NOT NULL,
	`reusable` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`r2_key` text,
	`columns` text,
	`row_count` integer,
	`bytes` integer,
	`result_at` integer,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_jobs_reuse` ON `report_jobs` (`owner`,`report`,`filters_hash`) WHERE "report_jobs"."reusable" = 1;--> statement-breakpoint
CREATE INDEX `report_jobs_expiry` ON `report_jobs` (`expires_at`);