/**
 * Version written to meta and to the genesis payload. Files of another version are refused, not migrated.
 * 2: the hashed bytes (`canonical`) are stored once and the seed's fields are generated from them.
 */
export const LEDGER_SCHEMA_VERSION = 2;

/**
 * A seed field and the SQL that derives it from the canonical text. No NOT NULL, CHECK or UNIQUE on these:
 * each would make SQLite extract the field on every append (together they doubled the insert cost), and
 * the writer builds every canonical text itself from validated fields; verifyLedger checks the bytes.
 */
const generated = (column: string, expr: string) => `  ${column} TEXT GENERATED ALWAYS AS (${expr}) VIRTUAL`;
const field = (key: string) => `json_extract(canonical, '$.${key}')`;

/**
 * The ledger table. Only `seq`, `entry_hash` and `canonical` (the RFC 8785 text that entry_hash covers)
 * are stored; every seed field is a VIRTUAL generated column read out of `canonical`, so the `sqlite3` CLI
 * shows them and no row can hold columns that disagree with its hashed bytes. `payload` uses `->`, which
 * returns JSON text (a string payload stays quoted), i.e. the canonical payload text itself.
 * verifyLedger compares this exact text with the file's, since rewriting sqlite_master could otherwise
 * make the columns show something else.
 */
export const LEDGER_TABLE_SQL = `CREATE TABLE ledger (
  seq INTEGER PRIMARY KEY,
${generated("id", field("id"))},
${generated("timestamp_utc", field("timestamp_utc"))},
${generated("timestamp_ct", field("timestamp_ct"))},
${generated("event_type", field("event_type"))},
${generated("level", field("level"))},
${generated("actor_identity", field("actor_identity"))},
${generated("payload", "canonical -> '$.payload'")},
${generated("correlation_id", field("correlation_id"))},
${generated("seal_version", field("seal_version"))},
${generated("environment", field("environment"))},
${generated("prev_hash", field("prev_hash"))},
  entry_hash TEXT NOT NULL,
  canonical TEXT NOT NULL
)`;

/**
 * The evidence outbox (src/relays): operational delivery state beside the ledger. Rows are inserted in
 * the same transaction as the ledger entry that queued them (`Ledger.append(entry, { outbox })`), then
 * their status, attempts and remote ids change as they are delivered, so this table has no append-only
 * triggers and is not covered by the hash chain; verifyLedger never reads it.
 */
export const OUTBOX_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  ledger_seq INTEGER NOT NULL,
  sink TEXT NOT NULL,
  body TEXT NOT NULL,
  created_utc TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_until_ms INTEGER,
  remote_id TEXT,
  progress TEXT,
  last_error TEXT,
  updated_utc TEXT,
  delivered_utc TEXT,
  retry_since_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_by_sink ON outbox (sink, status, id);
CREATE INDEX IF NOT EXISTS outbox_by_seq ON outbox (ledger_seq);
`;

/**
 * Plain SQLite the `sqlite3` CLI reads. The triggers make UPDATE and DELETE fail for anyone using the
 * file through SQLite; they are a guard rail, not the proof. The proof is the hash chain, the Merkle
 * root and the signed checkpoints, which `verifyLedger` re-derives.
 */
export const LEDGER_SCHEMA_SQL = `
${LEDGER_TABLE_SQL.replace("CREATE TABLE ledger", "CREATE TABLE IF NOT EXISTS ledger")};
-- Lookups use expression indexes, deliberately: an index holding a column itself would "cover"
-- \`select event_type from ledger\` (or correlation_id), and SQLite would answer that query in index
-- (alphabetical) order instead of ledger order.
CREATE INDEX IF NOT EXISTS ledger_correlation ON ledger ((correlation_id || ''), seq);
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
${OUTBOX_SCHEMA_SQL}`;

/** What the ledger reads per row; everything else is in `canonical`. */
export const LEDGER_COLUMNS = "seq, entry_hash, canonical";

export type LedgerRowTuple = [seq: number, entryHash: string, canonical: string];
