-- The custodian ledger on PostgreSQL: the same rows as the SQLite file (seq, entry_hash and the canonical
-- text that entry_hash covers), so the chain, the Merkle tree and the signed checkpoints are byte for byte
-- what `maos ledger verify` and the auditor's kit check. Seed fields are generated from the hashed bytes.

CREATE FUNCTION maos_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TABLE ledger (
  seq bigint PRIMARY KEY,
  entry_hash text NOT NULL CHECK (entry_hash ~ '^[0-9a-f]{64}$'),
  canonical text NOT NULL,
  event_type text GENERATED ALWAYS AS (canonical::jsonb ->> 'event_type') STORED,
  correlation_id text GENERATED ALWAYS AS (canonical::jsonb ->> 'correlation_id') STORED
);
CREATE INDEX ledger_by_type ON ledger (event_type, seq);
CREATE INDEX ledger_by_correlation ON ledger (correlation_id, seq);
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
  FOR EACH ROW EXECUTE FUNCTION maos_refuse_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
  FOR EACH STATEMENT EXECUTE FUNCTION maos_refuse_change();

CREATE TABLE ledger_checkpoints (
  id bigserial PRIMARY KEY,
  size bigint NOT NULL,
  root text NOT NULL,
  note text NOT NULL,
  created_utc text NOT NULL
);
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION maos_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION maos_refuse_change();

-- The schema version and the persisted Merkle frontier (written in the transaction that adds the rows).
CREATE TABLE ledger_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

-- The evidence outbox: delivery state, written in the same transaction as the entry that queued it.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  ledger_seq bigint NOT NULL,
  sink text NOT NULL,
  body text NOT NULL,
  created_utc text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_ms bigint NOT NULL DEFAULT 0,
  claimed_by text,
  claimed_until_ms bigint,
  remote_id text,
  progress text,
  last_error text,
  updated_utc text,
  delivered_utc text
);
CREATE INDEX outbox_by_sink ON outbox (sink, status, id);
CREATE INDEX outbox_by_seq ON outbox (ledger_seq);
