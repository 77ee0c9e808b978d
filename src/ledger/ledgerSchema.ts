/** Version written to meta and to the genesis payload; bump it with a migration when the layout changes. */
export const LEDGER_SCHEMA_VERSION = 1;

/**
 * Plain SQLite the `sqlite3` CLI reads. The triggers make UPDATE and DELETE fail for anyone using the
 * file through SQLite; they are a guard rail, not the proof. The proof is the hash chain, the Merkle
 * root and the signed checkpoints, which `verifyLedger` re-derives.
 */
export const LEDGER_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  timestamp_utc TEXT NOT NULL,
  timestamp_ct TEXT NOT NULL,
  event_type TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('debug','info','warn','error','critical')),
  actor_identity TEXT NOT NULL,
  payload TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  seal_version TEXT,
  environment TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL,
  canonical TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_correlation ON ledger (correlation_id, seq);
-- Lookups by type use an expression index, deliberately: an index holding the event_type column
-- itself would "cover" \`select event_type from ledger\`, and SQLite would answer that query in
-- index (alphabetical) order instead of ledger order.
DROP INDEX IF EXISTS ledger_event_type;
CREATE INDEX IF NOT EXISTS ledger_by_type ON ledger ((event_type || ''), seq);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: DELETE is not allowed'); END;

CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  root TEXT NOT NULL,
  note TEXT NOT NULL,
  created_utc TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE is not allowed'); END;

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Column order of every full-row SELECT; the verifier's positional reads depend on it. */
export const LEDGER_COLUMNS =
  "seq, id, timestamp_utc, timestamp_ct, event_type, level, actor_identity, payload, correlation_id, seal_version, environment, prev_hash, entry_hash, canonical";

export type LedgerRowTuple = [
  seq: number,
  id: string,
  timestampUtc: string,
  timestampCt: string,
  eventType: string,
  level: string,
  actorIdentity: string,
  payload: string,
  correlationId: string,
  sealVersion: string | null,
  environment: string,
  prevHash: string,
  entryHash: string,
  canonical: string,
];
