-- One method over several objects (issue 18, `shards: K`): how many shard objects a method has
-- ever had — a high-water mark, so that reads, actions and the cron reach every shard that may
-- still hold tasks after K is lowered. Raised before any task is placed on a new shard.
ALTER TABLE method_routes ADD COLUMN shards INTEGER NOT NULL DEFAULT 1;
