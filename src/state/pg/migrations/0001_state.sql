-- The operational state (state.db's tables) on PostgreSQL, shared by every replica: the same columns as
-- src/state/migrations.ts, timestamps as the same UTC ISO text, JSON values as the same text. Numbers
-- that SQLite's AUTOINCREMENT gave (APR-<n>, INC-<n>) come from sequences: never reused, as there.
-- Uniqueness is what makes claims hold across replicas: a Slack event id, a request key, a run's cancel.

CREATE TABLE processed_events (
  event_id text PRIMARY KEY,
  seen_ms bigint NOT NULL
);
CREATE INDEX processed_events_seen ON processed_events (seen_ms);

CREATE TABLE slack_requests (
  key text PRIMARY KEY,
  seen_ms bigint NOT NULL,
  replays integer NOT NULL DEFAULT 0
);
CREATE INDEX slack_requests_seen ON slack_requests (seen_ms);

CREATE TABLE approvals (
  n bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  kind text NOT NULL,
  subject_id text NOT NULL,
  requested_by text NOT NULL,
  requested_by_key text NOT NULL,
  prompt text NOT NULL,
  correlation_id text NOT NULL,
  channel text,
  ts text,
  status text NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'consumed')),
  decided_by text,
  decided_by_key text,
  decided_via text,
  created_at text NOT NULL,
  decided_at text,
  consumed_at text
);
CREATE UNIQUE INDEX approvals_message ON approvals (channel, ts) WHERE channel IS NOT NULL;
CREATE INDEX approvals_by_status ON approvals (status, n);

-- `n` keeps the order the messages were added in (SQLite's rowid).
CREATE TABLE approval_messages (
  channel text NOT NULL,
  ts text NOT NULL,
  approval_id text NOT NULL,
  n bigserial NOT NULL,
  PRIMARY KEY (channel, ts)
);
CREATE INDEX approval_messages_by_approval ON approval_messages (approval_id, n);

CREATE TABLE run_cancels (
  run_id text PRIMARY KEY,
  requested_by text NOT NULL,
  requested_at text NOT NULL,
  via text NOT NULL
);

CREATE TABLE autonomy_kv (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at text NOT NULL
);

CREATE TABLE incidents (
  n bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  trigger text NOT NULL,
  summary text NOT NULL,
  report text NOT NULL,
  correlation_id text NOT NULL,
  approval_id text,
  status text NOT NULL CHECK (status IN ('open', 'resolved')),
  opened_by text NOT NULL,
  opened_at text NOT NULL,
  opened_seq bigint NOT NULL,
  resolution text,
  resolved_by text,
  resolved_at text
);
CREATE INDEX incidents_by_status ON incidents (status, n);

CREATE TABLE seals (
  n bigserial PRIMARY KEY,
  version text NOT NULL,
  record text NOT NULL,
  sealed_at text NOT NULL
);
CREATE INDEX seals_by_version ON seals (version, n);

CREATE TABLE evidence_threads (
  thread_key text PRIMARY KEY,
  channel text NOT NULL,
  ts text NOT NULL
);

CREATE TABLE clients (
  key text PRIMARY KEY,
  name text NOT NULL,
  page_id text NOT NULL,
  record text NOT NULL,
  synced_at text NOT NULL
);
