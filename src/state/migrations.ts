import type Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Append new
 * ones (the outbox, incidents) at the end, never edit one that shipped.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE processed_events (
     event_id TEXT PRIMARY KEY,
     seen_ms INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX processed_events_seen ON processed_events (seen_ms);
   CREATE TABLE approvals (
     n INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     subject_id TEXT NOT NULL,
     requested_by TEXT NOT NULL,
     requested_by_key TEXT NOT NULL,
     prompt TEXT NOT NULL,
     correlation_id TEXT NOT NULL,
     channel TEXT,
     ts TEXT,
     status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'consumed')),
     decided_by TEXT,
     decided_by_key TEXT,
     decided_via TEXT,
     created_at TEXT NOT NULL,
     decided_at TEXT,
     consumed_at TEXT
   ) STRICT;
   CREATE UNIQUE INDEX approvals_message ON approvals (channel, ts) WHERE channel IS NOT NULL;`,
  // 2: the autonomy kernel: SRR state and other small current values, incidents, MVP seals, and the
  // Slack threads evidence updates go into.
  `CREATE TABLE autonomy_kv (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE incidents (
     n INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     trigger TEXT NOT NULL,
     summary TEXT NOT NULL,
     report TEXT NOT NULL,
     correlation_id TEXT NOT NULL,
     approval_id TEXT,
     status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
     opened_by TEXT NOT NULL,
     opened_at TEXT NOT NULL,
     opened_seq INTEGER NOT NULL,
     resolution TEXT,
     resolved_by TEXT,
     resolved_at TEXT
   ) STRICT;
   CREATE TABLE seals (
     n INTEGER PRIMARY KEY AUTOINCREMENT,
     version TEXT NOT NULL,
     record TEXT NOT NULL,
     sealed_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE evidence_threads (
     thread_key TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     ts TEXT NOT NULL
   ) STRICT;`,
  // 3: the Client Intelligence Layer: the MASTER CLIENT OPERATIONAL MATRIX as last synced from Notion.
  `CREATE TABLE clients (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     page_id TEXT NOT NULL,
     record TEXT NOT NULL,
     synced_at TEXT NOT NULL
   ) STRICT;`,
  // 4: Slack: signed requests and trigger ids seen in the replay window (issue 12), and cancel requests
  // for running runs (written by any process, read by the one running the run between agents).
  `CREATE TABLE slack_requests (
     key TEXT PRIMARY KEY,
     seen_ms INTEGER NOT NULL,
     replays INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE INDEX slack_requests_seen ON slack_requests (seen_ms);
   CREATE TABLE approval_messages (
     channel TEXT NOT NULL,
     ts TEXT NOT NULL,
     approval_id TEXT NOT NULL,
     PRIMARY KEY (channel, ts)
   ) STRICT;
   CREATE TABLE run_cancels (
     run_id TEXT PRIMARY KEY,
     requested_by TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     via TEXT NOT NULL
   ) STRICT;`,
];

export const STATE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Applies the missing migrations under SQLite's write lock (BEGIN IMMEDIATE), reading the version inside
 * it, so processes opening a fresh home at once apply each migration exactly once between them.
 */
export function migrate(db: Database.Database): void {
  if ((db.pragma("user_version", { simple: true }) as number) === MIGRATIONS.length) return;
  db.transaction(() => migrateLocked(db)).immediate();
}

function migrateLocked(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new CodexError(
      "CONFIG_INVALID",
      `state.db has schema version ${version}, newer than this build understands (${MIGRATIONS.length})`,
      {
        hint: "run the newer build, or move MAOS_HOME/state.db aside (it holds no history; the ledger does)",
      },
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${v + 1}`);
  }
}
