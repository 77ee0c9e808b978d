-- When an outbox row's current run of failures began (ms since the epoch; NULL while none runs): the
-- dispatcher's retry budget counts from it, as the SQLite outbox's column of the same name.
ALTER TABLE outbox ADD COLUMN retry_since_ms bigint;
