-- Hand-written (issue 17, hardening): API keys record when they were last used; console sessions
-- can be ended on the server; keys and schedules that the new id and name rules refuse are retired.

-- When each key was last used: written at most once a minute per key per isolate.
ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
-- A schedule stops when its owner has no live key left: live keys are looked up by user name.
CREATE INDEX `api_keys_live_user` ON `api_keys` (`user`) WHERE "api_keys"."revoked_at" IS NULL;--> statement-breakpoint
-- Console sessions logged out before their expiry; a row is useless once the session would have
-- expired anyway, and is deleted then.
CREATE TABLE `ended_sessions` (
	`nonce` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);--> statement-breakpoint
-- A key of another role named like the platform's own users saw (and acted on) their work, since
-- owners are compared by name: such keys are revoked. New ones are refused at creation.
UPDATE `api_keys` SET `revoked_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE `revoked_at` IS NULL
  AND lower(trim(`user`)) IN ('administrator', 'guest')
  AND `roles` NOT LIKE '%"System Manager"%';--> statement-breakpoint
-- A schedule named `.` or `..` cannot be read, stopped or deleted through the API (URLs resolve
-- the name away): it is stopped here, so it no longer fires. New ones are refused at creation.
UPDATE `scheduled_jobs`
SET `stopped` = 1,
    `stop_note` = 'stopped: a schedule named . or .. cannot be addressed through the API',
    `stopped_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
    `next_fire_at` = NULL,
    `version` = `version` + 1
WHERE `name` IN ('.', '..') AND `stopped` = 0;
