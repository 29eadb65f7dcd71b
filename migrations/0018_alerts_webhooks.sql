-- Alerts and completion webhooks (issue 19). Rules are evaluated by the minute cron; an incident is
-- one row per rule and subject while it fires (the partial unique index makes "open it once" a
-- conflict), so one notice goes out per incident, not per task. Channels and subscriptions keep
-- their URL and signing secret sealed (AES-GCM under REMOTE_SECRETS_KEY). Every notice and every
-- completion event is a row of webhook_deliveries: the outbox and the delivery log in one, retried
-- with backoff by the cron until delivered or out of attempts.
CREATE TABLE `alert_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url_sealed` text,
	`url_origin` text,
	`email_to` text,
	`signing_secret` text,
	`enabled` integer DEFAULT 1 NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "alert_channels_kind_check" CHECK("alert_channels"."kind" IN ('webhook', 'slack', 'email'))
);
--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`subject` text,
	`threshold` real NOT NULL,
	`window_s` integer NOT NULL,
	`min_tasks` integer DEFAULT 1 NOT NULL,
	`channels` text DEFAULT '[]' NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`muted_until` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "alert_rules_kind_check" CHECK("alert_rules"."kind" IN ('failure_rate', 'oldest_waiting', 'schedule_overdue', 'schedule_missed', 'remote_auth', 'dead_letters', 'dispatcher_suspended'))
);
--> statement-breakpoint
CREATE TABLE `alert_incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`subject` text NOT NULL,
	`state` text NOT NULL,
	`started_at` integer NOT NULL,
	`detected_at` integer NOT NULL,
	`resolved_at` integer,
	`value` real,
	`summary` text NOT NULL,
	CONSTRAINT "alert_incidents_state_check" CHECK("alert_incidents"."state" IN ('firing', 'resolved'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_incidents_open` ON `alert_incidents` (`rule_id`, `subject`) WHERE "alert_incidents"."state" = 'firing';
--> statement-breakpoint
CREATE INDEX `alert_incidents_rule` ON `alert_incidents` (`rule_id`, `detected_at`);
--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`all_owners` integer DEFAULT 0 NOT NULL,
	`scope` text NOT NULL,
	`scope_value` text NOT NULL,
	`events` text NOT NULL,
	`url_sealed` text NOT NULL,
	`url_origin` text NOT NULL,
	`signing_secret` text NOT NULL,
	`description` text,
	`enabled` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "webhook_subscriptions_scope_check" CHECK("webhook_subscriptions"."scope" IN ('method', 'owner', 'batch'))
);
--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_owner` ON `webhook_subscriptions` (`owner`, `id`);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`target_id` text NOT NULL,
	`owner` text NOT NULL,
	`event_type` text NOT NULL,
	`incident_id` text,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_attempt_at` integer,
	`response_status` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	CONSTRAINT "webhook_deliveries_source_check" CHECK("webhook_deliveries"."source" IN ('alert', 'subscription')),
	CONSTRAINT "webhook_deliveries_status_check" CHECK("webhook_deliveries"."status" IN ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`next_attempt_at`) WHERE "webhook_deliveries"."status" = 'pending';
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_target` ON `webhook_deliveries` (`target_id`, `created_at`);
