-- The run queue's own rows beside pg-boss's jobs (src/executor/queue/PgRunQueue.ts).

-- Each attempt at a queued run: the run id it was given before it started, the replica that took it,
-- and how it ended (NULL while running, or when its replica died). A retry reads these before running
-- again, so a sealed attempt is never run twice and an open one is aborted first.
CREATE TABLE run_queue_attempts (
  job_id text NOT NULL,
  attempt integer NOT NULL,
  run_id text NOT NULL UNIQUE,
  replica text NOT NULL,
  started_utc timestamptz NOT NULL DEFAULT now(),
  outcome text,
  result jsonb,
  PRIMARY KEY (job_id, attempt)
);

-- Progress and the result of a watched run, relayed to the replica that acked it: NOTIFY carries only
-- the job id (a payload is limited to 8000 bytes, an agent's output is not), the waiter reads the rows.
CREATE TABLE run_queue_events (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL,
  body jsonb NOT NULL,
  created_utc timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_queue_events_job ON run_queue_events (job_id, id);
