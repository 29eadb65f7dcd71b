-- W3C trace context on every task (issue 19): the traceparent its enqueue carried (or was given
-- there) and the caller's tracestate. Written by the log's grouped upserts like every column; the
-- method objects add the same columns to their own tables on their next wake (live/store.ts).
ALTER TABLE tasks ADD COLUMN traceparent TEXT;
ALTER TABLE tasks ADD COLUMN tracestate TEXT;
