import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { utcIso } from "../core/timestamps.ts";

/**
 * Slack retries an event at most 3 times within about 5 minutes (immediately, after 1 min, after
 * 5 min); a day of event ids covers that with a wide margin and stays small.
 */
export const EVENT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Expired event ids are swept on every this-many inserts rather than on each one. */
const PRUNE_EVERY = 256;

export type ApprovalStatus = "open" | "approved" | "rejected" | "consumed";

/** One approval request as stored. `decidedBy*` describe the decision currently in force, if any. */
export interface ApprovalRecord {
  id: string;
  kind: string;
  subjectId: string;
  /** actorIdentity() of the requester, as written to the ledger. */
  requestedBy: string;
  /** `source:id` of the requester, for the self-approval rule. */
  requestedByKey: string;
  prompt: string;
  correlationId: string;
  channel: string | undefined;
  ts: string | undefined;
  status: ApprovalStatus;
  decidedBy: string | undefined;
  decidedByKey: string | undefined;
  decidedVia: string | undefined;
  createdAt: string;
  decidedAt: string | undefined;
  consumedAt: string | undefined;
}

export interface NewApproval {
  kind: string;
  subjectId: string;
  requestedBy: string;
  requestedByKey: string;
  prompt: string;
  correlationId?: string;
  channel?: string | undefined;
  ts?: string | undefined;
}

interface ApprovalRow {
  id: string;
  kind: string;
  subject_id: string;
  requested_by: string;
  requested_by_key: string;
  prompt: string;
  correlation_id: string;
  channel: string | null;
  ts: string | null;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_by_key: string | null;
  decided_via: string | null;
  created_at: string;
  decided_at: string | null;
  consumed_at: string | null;
}

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
];

export const STATE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Mutable operational state that is not the ledger (`MAOS_HOME/state.db`): Slack event ids already
 * processed, approval requests. The ledger records what happened; this records what is current.
 * better-sqlite3 is synchronous, so each method is atomic within the process.
 */
export class StateStore {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  #insertsSincePrune = 0;

  private constructor(db: Database.Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  static open(path: string, clock: Clock): StateStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
    } catch (cause) {
      db?.close();
      if (cause instanceof CodexError) throw cause;
      throw new CodexError("CONFIG_INVALID", `cannot open the state database ${path}`, {
        hint: "check that MAOS_HOME is writable and that state.db is a SQLite database (it may be deleted: it holds no history)",
        cause,
      });
    }
    return new StateStore(db, clock);
  }

  schemaVersion(): number {
    return this.#db.pragma("user_version", { simple: true }) as number;
  }

  /**
   * Records an event id as processed. True the first time; false when it was already seen within
   * the retention window (a Slack retry or a duplicate delivery), in which case nothing should be done.
   */
  claimEvent(eventId: string, retentionMs: number = EVENT_RETENTION_MS): boolean {
    const now = this.#clock.now().getTime();
    if (++this.#insertsSincePrune >= PRUNE_EVERY) {
      this.#insertsSincePrune = 0;
      this.pruneEvents(retentionMs);
    }
    const row = this.#db.prepare("SELECT seen_ms FROM processed_events WHERE event_id = ?").get(eventId) as
      | { seen_ms: number }
      | undefined;
    if (row && now - row.seen_ms <= retentionMs) return false;
    this.#db
      .prepare(
        "INSERT INTO processed_events (event_id, seen_ms) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET seen_ms = excluded.seen_ms",
      )
      .run(eventId, now);
    return true;
  }

  hasEvent(eventId: string): boolean {
    return this.#db.prepare("SELECT 1 FROM processed_events WHERE event_id = ?").get(eventId) !== undefined;
  }

  /** Forgets event ids older than the retention window; returns how many. */
  pruneEvents(retentionMs: number = EVENT_RETENTION_MS): number {
    const cutoff = this.#clock.now().getTime() - retentionMs;
    return this.#db.prepare("DELETE FROM processed_events WHERE seen_ms < ?").run(cutoff).changes;
  }

  /** Stores a new open request and returns it with its id (`APR-<n>`, n counting from 1). */
  insertApproval(a: NewApproval): ApprovalRecord {
    const createdAt = utcIso(this.#clock.now());
    const insert = this.#db.transaction(() => {
      // AUTOINCREMENT never reuses a number, so an id is never given twice.
      const info = this.#db
        .prepare(
          `INSERT INTO approvals (id, kind, subject_id, requested_by, requested_by_key, prompt, correlation_id,
             channel, ts, status, created_at)
           VALUES ('pending', ?, ?, ?, ?, ?, '', ?, ?, 'open', ?)`,
        )
        .run(
          a.kind,
          a.subjectId,
          a.requestedBy,
          a.requestedByKey,
          a.prompt,
          a.channel ?? null,
          a.ts ?? null,
          createdAt,
        );
      const id = `APR-${info.lastInsertRowid}`;
      this.#db
        .prepare("UPDATE approvals SET id = ?, correlation_id = ? WHERE n = ?")
        .run(id, a.correlationId ?? id, info.lastInsertRowid);
      return id;
    });
    return this.#mustGet(insert());
  }

  getApproval(id: string): ApprovalRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as ApprovalRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  findApprovalByMessage(channel: string, ts: string): ApprovalRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM approvals WHERE channel = ? AND ts = ?").get(channel, ts) as
      | ApprovalRow
      | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Requests in a status (all when omitted), newest first. */
  listApprovals(opts: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRecord[] {
    const limit = opts.limit ?? 100;
    const rows = (
      opts.status
        ? this.#db
            .prepare("SELECT * FROM approvals WHERE status = ? ORDER BY n DESC LIMIT ?")
            .all(opts.status, limit)
        : this.#db.prepare("SELECT * FROM approvals ORDER BY n DESC LIMIT ?").all(limit)
    ) as ApprovalRow[];
    return rows.map(fromRow);
  }

  attachMessage(id: string, channel: string, ts: string): ApprovalRecord {
    this.#db.prepare("UPDATE approvals SET channel = ?, ts = ? WHERE id = ?").run(channel, ts, id);
    return this.#mustGet(id);
  }

  /**
   * Moves a request from `from` to `to` only if it is still in `from` (a compare-and-set, so two
   * deciders cannot both win). Returns the updated record, or undefined when the status had moved on.
   */
  transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision: { by?: string; byKey?: string; via?: string } = {},
  ): ApprovalRecord | undefined {
    const now = utcIso(this.#clock.now());
    let changes: number;
    if (to === "open") {
      changes = this.#db
        .prepare(
          "UPDATE approvals SET status = 'open', decided_by = NULL, decided_by_key = NULL, decided_via = NULL, decided_at = NULL WHERE id = ? AND status = ?",
        )
        .run(id, from).changes;
    } else if (to === "consumed") {
      changes = this.#db
        .prepare("UPDATE approvals SET status = 'consumed', consumed_at = ? WHERE id = ? AND status = ?")
        .run(now, id, from).changes;
    } else {
      changes = this.#db
        .prepare(
          "UPDATE approvals SET status = ?, decided_by = ?, decided_by_key = ?, decided_via = ?, decided_at = ? WHERE id = ? AND status = ?",
        )
        .run(to, decision.by ?? null, decision.byKey ?? null, decision.via ?? null, now, id, from).changes;
    }
    return changes === 1 ? this.#mustGet(id) : undefined;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #mustGet(id: string): ApprovalRecord {
    const a = this.getApproval(id);
    if (!a) {
      throw new CodexError("NOT_FOUND", `approval ${id} does not exist`, {
        hint: "list open approvals with /codex status, or check the id",
      });
    }
    return a;
  }
}

function migrate(db: Database.Database): void {
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
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

function fromRow(r: ApprovalRow): ApprovalRecord {
  return {
    id: r.id,
    kind: r.kind,
    subjectId: r.subject_id,
    requestedBy: r.requested_by,
    requestedByKey: r.requested_by_key,
    prompt: r.prompt,
    correlationId: r.correlation_id,
    channel: r.channel ?? undefined,
    ts: r.ts ?? undefined,
    status: r.status,
    decidedBy: r.decided_by ?? undefined,
    decidedByKey: r.decided_by_key ?? undefined,
    decidedVia: r.decided_via ?? undefined,
    createdAt: r.created_at,
    decidedAt: r.decided_at ?? undefined,
    consumedAt: r.consumed_at ?? undefined,
  };
}
