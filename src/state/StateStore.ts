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

export type IncidentStatus = "open" | "resolved";

/** A governance incident as stored; `report` is the JSON the incident service wrote. */
export interface IncidentRow {
  n: number;
  id: string;
  trigger: string;
  summary: string;
  report: unknown;
  correlationId: string;
  approvalId: string | undefined;
  status: IncidentStatus;
  openedBy: string;
  openedAt: string;
  openedSeq: number;
  resolution: string | undefined;
  resolvedBy: string | undefined;
  resolvedAt: string | undefined;
}

export interface NewIncident {
  trigger: string;
  summary: string;
  report: unknown;
  correlationId: string;
  openedBy: string;
  openedSeq: number;
}

interface IncidentDbRow {
  n: number;
  id: string;
  trigger: string;
  summary: string;
  report: string;
  correlation_id: string;
  approval_id: string | null;
  status: IncidentStatus;
  opened_by: string;
  opened_at: string;
  opened_seq: number;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
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
 * Mutable operational state that is not the ledger (`MAOS_HOME/state.db`): Slack event ids already
 * processed, approval requests. The ledger records what happened; this records what is current.
 * better-sqlite3 is synchronous, so each method is atomic within the process.
 */
export class StateStore {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  #insertsSincePrune = 0;
  #requestsSincePrune = 0;

  private constructor(db: Database.Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  static open(path: string, clock: Clock): StateStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      // The timeout first: another process may be creating or migrating the same file right now.
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
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

  /**
   * Runs `f` in one write transaction (BEGIN IMMEDIATE): what it reads cannot change before what it
   * writes commits, even from another process. For compare-and-set across processes (the loop lease).
   */
  transaction<T>(f: () => T): T {
    return this.#db.transaction(f).immediate();
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

  /**
   * Records one Slack request key (a signature or a trigger id) for the replay window. `first` is true
   * the first time within `windowMs`; otherwise the key's replay count is incremented and returned, so
   * the caller can record the first replay and only count the rest.
   */
  claimSlackRequest(key: string, windowMs: number): { first: boolean; replays: number } {
    const now = this.#clock.now().getTime();
    return this.#db.transaction(() => {
      if (++this.#requestsSincePrune >= PRUNE_EVERY) {
        this.#requestsSincePrune = 0;
        this.#db.prepare("DELETE FROM slack_requests WHERE seen_ms < ?").run(now - windowMs);
      }
      const row = this.#db.prepare("SELECT seen_ms, replays FROM slack_requests WHERE key = ?").get(key) as
        | { seen_ms: number; replays: number }
        | undefined;
      if (row && now - row.seen_ms <= windowMs) {
        this.#db.prepare("UPDATE slack_requests SET replays = replays + 1 WHERE key = ?").run(key);
        return { first: false, replays: row.replays + 1 };
      }
      this.#db
        .prepare(
          "INSERT INTO slack_requests (key, seen_ms, replays) VALUES (?, ?, 0) ON CONFLICT (key) DO UPDATE SET seen_ms = excluded.seen_ms, replays = 0",
        )
        .run(key, now);
      return { first: true, replays: 0 };
    })();
  }

  /** Asks the process running `runId` to stop it between agents; false when a request is already on file. */
  requestCancel(runId: string, by: string, via: string): boolean {
    return (
      this.#db
        .prepare(
          "INSERT OR IGNORE INTO run_cancels (run_id, requested_by, requested_at, via) VALUES (?, ?, ?, ?)",
        )
        .run(runId, by, utcIso(this.#clock.now()), via).changes === 1
    );
  }

  /** The cancel request on file for a run, if any. */
  cancelRequest(runId: string): { by: string; at: string; via: string } | undefined {
    const row = this.#db
      .prepare("SELECT requested_by, requested_at, via FROM run_cancels WHERE run_id = ?")
      .get(runId) as { requested_by: string; requested_at: string; via: string } | undefined;
    return row ? { by: row.requested_by, at: row.requested_at, via: row.via } : undefined;
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
    if (row) return fromRow(row);
    const extra = this.#db
      .prepare("SELECT approval_id FROM approval_messages WHERE channel = ? AND ts = ?")
      .get(channel, ts) as { approval_id: string } | undefined;
    return extra ? this.getApproval(extra.approval_id) : undefined;
  }

  /** Another message carrying an approval's buttons (a command's reply beside the signals post). */
  addApprovalMessage(id: string, channel: string, ts: string): void {
    this.#db
      .prepare("INSERT OR IGNORE INTO approval_messages (channel, ts, approval_id) VALUES (?, ?, ?)")
      .run(channel, ts, id);
  }

  /** Every message that carries an approval's buttons: its first, then the others. */
  approvalMessages(id: string): { channel: string; ts: string }[] {
    const a = this.getApproval(id);
    const first = a?.channel && a.ts ? [{ channel: a.channel, ts: a.ts }] : [];
    const more = this.#db
      .prepare("SELECT channel, ts FROM approval_messages WHERE approval_id = ? ORDER BY rowid")
      .all(id) as { channel: string; ts: string }[];
    return [...first, ...more];
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

  /** A small current value of the autonomy kernel (SRR state, last band, frozen hashes), JSON-decoded. */
  getValue<T>(key: string): T | undefined {
    const row = this.#db.prepare("SELECT value FROM autonomy_kv WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setValue(key: string, value: unknown): void {
    this.#db
      .prepare(
        "INSERT INTO autonomy_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, JSON.stringify(value), utcIso(this.#clock.now()));
  }

  deleteValue(key: string): void {
    this.#db.prepare("DELETE FROM autonomy_kv WHERE key = ?").run(key);
  }

  /** Stores a new open incident as `INC-<n>` (n counting from 1, never reused). */
  insertIncident(i: NewIncident): IncidentRow {
    const openedAt = utcIso(this.#clock.now());
    const id = this.#db.transaction(() => {
      const info = this.#db
        .prepare(
          `INSERT INTO incidents (id, trigger, summary, report, correlation_id, status, opened_by, opened_at, opened_seq)
           VALUES ('pending', ?, ?, ?, ?, 'open', ?, ?, ?)`,
        )
        .run(
          i.trigger,
          i.summary,
          JSON.stringify(i.report),
          i.correlationId,
          i.openedBy,
          openedAt,
          i.openedSeq,
        );
      const incidentId = `INC-${info.lastInsertRowid}`;
      this.#db.prepare("UPDATE incidents SET id = ? WHERE n = ?").run(incidentId, info.lastInsertRowid);
      return incidentId;
    })();
    return this.getIncident(id) as IncidentRow;
  }

  getIncident(id: string): IncidentRow | undefined {
    const row = this.#db.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as IncidentDbRow | undefined;
    return row ? incidentFromRow(row) : undefined;
  }

  /** Incidents, newest first, optionally only those in one status. */
  listIncidents(opts: { status?: IncidentStatus; limit?: number } = {}): IncidentRow[] {
    const limit = opts.limit ?? 100;
    const rows = (
      opts.status
        ? this.#db
            .prepare("SELECT * FROM incidents WHERE status = ? ORDER BY n DESC LIMIT ?")
            .all(opts.status, limit)
        : this.#db.prepare("SELECT * FROM incidents ORDER BY n DESC LIMIT ?").all(limit)
    ) as IncidentDbRow[];
    return rows.map(incidentFromRow);
  }

  /** The seq of the incident's INCIDENT_OPENED ledger entry, written once it exists. */
  setIncidentOpenedSeq(id: string, seq: number): void {
    this.#db.prepare("UPDATE incidents SET opened_seq = ? WHERE id = ?").run(seq, id);
  }

  setIncidentApproval(id: string, approvalId: string): void {
    this.#db.prepare("UPDATE incidents SET approval_id = ? WHERE id = ?").run(approvalId, id);
  }

  /** Records the resolution once: false when the incident was already resolved (a compare-and-set). */
  resolveIncident(id: string, resolution: string, by: string): boolean {
    return (
      this.#db
        .prepare(
          "UPDATE incidents SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND status = 'open'",
        )
        .run(resolution, by, utcIso(this.#clock.now()), id).changes === 1
    );
  }

  /** Records an MVP seal; `record` is the seal service's JSON (hashes, commit, checkpoint). */
  insertSeal(version: string, record: unknown): void {
    this.#db
      .prepare("INSERT INTO seals (version, record, sealed_at) VALUES (?, ?, ?)")
      .run(version, JSON.stringify(record), utcIso(this.#clock.now()));
  }

  /** The latest seal (of one version, or of any), or undefined before the first. */
  latestSeal<T>(version?: string): { version: string; record: T; sealedAt: string } | undefined {
    const row = (
      version
        ? this.#db.prepare("SELECT * FROM seals WHERE version = ? ORDER BY n DESC LIMIT 1").get(version)
        : this.#db.prepare("SELECT * FROM seals ORDER BY n DESC LIMIT 1").get()
    ) as { version: string; record: string; sealed_at: string } | undefined;
    return row
      ? { version: row.version, record: JSON.parse(row.record) as T, sealedAt: row.sealed_at }
      : undefined;
  }

  /** The Slack message an evidence thread hangs from (an incident's first message). */
  getThread(threadKey: string): { channel: string; ts: string } | undefined {
    return this.#db.prepare("SELECT channel, ts FROM evidence_threads WHERE thread_key = ?").get(threadKey) as
      | { channel: string; ts: string }
      | undefined;
  }

  setThread(threadKey: string, channel: string, ts: string): void {
    this.#db
      .prepare("INSERT OR IGNORE INTO evidence_threads (thread_key, channel, ts) VALUES (?, ?, ?)")
      .run(threadKey, channel, ts);
  }

  /** Replaces the synced client matrix in one transaction: rows gone from Notion are gone here too. */
  replaceClients(rows: readonly { key: string; name: string; pageId: string; record: unknown }[]): void {
    const at = utcIso(this.#clock.now());
    const insert = this.#db.prepare(
      "INSERT INTO clients (key, name, page_id, record, synced_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM clients").run();
      for (const r of rows) insert.run(r.key, r.name, r.pageId, JSON.stringify(r.record), at);
    })();
  }

  listClients<T = unknown>(): { key: string; name: string; pageId: string; record: T; syncedAt: string }[] {
    const rows = this.#db
      .prepare("SELECT key, name, page_id, record, synced_at FROM clients ORDER BY name")
      .all() as {
      key: string;
      name: string;
      page_id: string;
      record: string;
      synced_at: string;
    }[];
    return rows.map((r) => ({
      key: r.key,
      name: r.name,
      pageId: r.page_id,
      record: JSON.parse(r.record) as T,
      syncedAt: r.synced_at,
    }));
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

/**
 * Applies the missing migrations under SQLite's write lock (BEGIN IMMEDIATE), reading the version inside
 * it, so processes opening a fresh home at once apply each migration exactly once between them.
 */
function migrate(db: Database.Database): void {
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

function incidentFromRow(r: IncidentDbRow): IncidentRow {
  return {
    n: r.n,
    id: r.id,
    trigger: r.trigger,
    summary: r.summary,
    report: JSON.parse(r.report) as unknown,
    correlationId: r.correlation_id,
    approvalId: r.approval_id ?? undefined,
    status: r.status,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    openedSeq: r.opened_seq,
    resolution: r.resolution ?? undefined,
    resolvedBy: r.resolved_by ?? undefined,
    resolvedAt: r.resolved_at ?? undefined,
  };
}
