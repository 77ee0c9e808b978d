import type { Clock } from "../core/clock.ts";
import type { Level } from "./ledgerEntry.ts";
import type { NoteSigner } from "./signedNote.ts";

export interface LedgerOptions {
  path: string;
  signer: NoteSigner;
  clock: Clock;
  environment: string;
  /** The checkpoint origin line, e.g. "maos-codex/ledger/production". */
  origin: string;
  /**
   * A mirror of another store's ledger (LedgerMirror): an empty file stays empty until the source's
   * genesis is replicated into it, instead of starting a chain of its own.
   */
  mirror?: boolean;
}

/** A signed tlog-checkpoint over the first `size` entries; `root` is hex, `note` the signed note text. */
export interface Checkpoint {
  size: number;
  root: string;
  note: string;
}

/** A stored checkpoint as another store holds it: the signed note and when it was made. */
export interface StoredCheckpoint {
  size: number;
  root: string;
  note: string;
  createdUtc: string;
}

export interface LedgerQuery {
  eventType?: string;
  limit?: number;
  newestFirst?: boolean;
  /** Only entries with a seq above this one (a range on the primary key: costs what it returns). */
  afterSeq?: number;
}

/** A row for the evidence outbox, inserted with its ledger entry (see OUTBOX_SCHEMA_SQL). */
export interface OutboxInsert {
  sink: string;
  /** The item as JSON text. */
  body: string;
}

export interface AppendOptions {
  /** Outbox rows written in the same transaction as the entry, referencing its seq. */
  outbox?: readonly OutboxInsert[];
}

/** An append validated and stamped at call time, waiting for its seq and hashes. */
export interface Prepared {
  id: string;
  timestampUtc: string;
  timestampCt: string;
  eventType: string;
  level: Level;
  actorIdentity: string;
  payloadJson: string;
  correlationId: string;
  sealVersion: string | null;
  outbox: readonly OutboxInsert[];
}

/** The last failed write, kept until a write succeeds: what /health, telemetry and SRR report. */
export interface LedgerWriteFault {
  /** When it failed (the injected clock). */
  at: string;
  /** The full message: what could not be written, where, and SQLite's own error. */
  message: string;
  /**
   * The words for an open endpoint (/health), when the full message names what a caller must not learn:
   * PostgreSQL's host, port and user. Absent for SQLite, whose message names a file of this host.
   */
  brief?: string;
  /** The storage's error code when it gave one: SQLite's (SQLITE_BUSY, SQLITE_FULL, …), or PostgreSQL's SQLSTATE or the socket's errno code. */
  sqliteCode: string | undefined;
  /** Consecutive failed batches since the last successful one. */
  failures: number;
}

/** How long a writer waits for another process's write transaction before its own write fails. */
export const LEDGER_BUSY_TIMEOUT_MS = 5_000;
