import os from "node:os";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { utcIso } from "../core/timestamps.ts";
import { type EvidenceBody, parseBody, SINKS, type SinkName } from "./evidenceBody.ts";
import type { OutboxStore } from "./OutboxStore.ts";

export type OutboxStatus = "pending" | "delivered" | "dead";

export interface OutboxRow {
  id: number;
  /** The ledger entry written in the same transaction as this row: the entry that caused the evidence. */
  ledgerSeq: number;
  sink: SinkName;
  body: EvidenceBody;
  status: OutboxStatus;
  attempts: number;
  nextAttemptMs: number;
  remoteId: string | undefined;
  progress: unknown;
  lastError: string | undefined;
  createdUtc: string;
  updatedUtc: string | undefined;
  deliveredUtc: string | undefined;
  claimedBy: string | undefined;
  claimedUntilMs: number | undefined;
  /** When the current run of failures began (ms); undefined while none is running. */
  retrySinceMs: number | undefined;
}

export interface SinkCounts {
  pending: number;
  delivered: number;
  dead: number;
}

export interface OutboxCounts extends SinkCounts {
  bySink: Record<SinkName, SinkCounts>;
  /** The oldest undelivered item's queue time (UTC), when any is pending. */
  oldestPendingUtc: string | undefined;
}

/** A row of `outbox` as the database returns it, numbers as numbers (PgOutbox converts PostgreSQL's bigints). */
export interface OutboxDbRow {
  id: number;
  ledger_seq: number;
  sink: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_ms: number;
  remote_id: string | null;
  progress: string | null;
  last_error: string | null;
  created_utc: string;
  updated_utc: string | null;
  delivered_utc: string | null;
  claimed_by: string | null;
  claimed_until_ms: number | null;
  retry_since_ms?: number | null;
}

/** The row as callers see it: the body parsed, progress decoded (undefined when it does not parse), nulls as undefined. */
export function outboxRow(r: OutboxDbRow): OutboxRow {
  let progress: unknown;
  try {
    progress = r.progress === null ? undefined : JSON.parse(r.progress);
  } catch {
    progress = undefined;
  }
  return {
    id: r.id,
    ledgerSeq: r.ledger_seq,
    sink: r.sink as SinkName,
    body: parseBody(r.body, r.ledger_seq),
    status: r.status,
    attempts: r.attempts,
    nextAttemptMs: r.next_attempt_ms,
    remoteId: r.remote_id ?? undefined,
    progress,
    lastError: r.last_error ?? undefined,
    createdUtc: r.created_utc,
    updatedUtc: r.updated_utc ?? undefined,
    deliveredUtc: r.delivered_utc ?? undefined,
    claimedBy: r.claimed_by ?? undefined,
    claimedUntilMs: r.claimed_until_ms ?? undefined,
    retrySinceMs: r.retry_since_ms ?? undefined,
  };
}

/** A claim older than this is abandoned (its process hung or died elsewhere); a dead pid here frees it at once. */
export const CLAIM_LEASE_MS = 5 * 60_000;

/** `host:pid:nonce`: whose claim it is, and whether that process is still alive (same host). */
export function ownerId(nonce: string): string {
  return `${os.hostname()}:${process.pid}:${nonce}`;
}

/** False only for a claim of a process that is gone from this host: on another host, it may be alive. */
export function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split(":");
  if (host !== os.hostname()) return true;
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  if (n === process.pid) return true;
  try {
    process.kill(n, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * `retry_since_ms`: when the row's current run of failures began (the retry budget counts from it);
 * new ledgers have it from OUTBOX_SCHEMA_SQL; added here so ledgers created by older builds gain it (the
 * ALTER moves the file's schema cookie, so the next custody check is a full pass, once). Two processes may race to add it: the loser's
 * "duplicate column" is the winner's success.
 */
function addRetrySince(db: Database.Database): void {
  const cols = db.prepare("SELECT name FROM pragma_table_info('outbox')").pluck().all() as string[];
  if (cols.includes("retry_since_ms")) return;
  try {
    db.exec("ALTER TABLE outbox ADD COLUMN retry_since_ms INTEGER");
  } catch (err) {
    if (!/duplicate column/i.test(err instanceof Error ? err.message : String(err))) throw err;
  }
}

/**
 * The evidence outbox: rows in ledger.db's `outbox` table, inserted by Ledger.append in the transaction
 * of the ledger entry that queued them, and from then on operational state (status, attempts, remote
 * ids), updated here through a connection of its own. The ledger's hash chain never covers this table.
 */
export class Outbox implements OutboxStore {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly path: string;

  private constructor(db: Database.Database, clock: Clock, path: string) {
    this.#db = db;
    this.#clock = clock;
    this.path = path;
  }

  /** Opens the outbox of an existing ledger file (Ledger.open creates the table). */
  static open(path: string, clock: Clock): Outbox {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true });
      db.pragma("busy_timeout = 5000");
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get();
      if (!has) throw new Error("no outbox table");
      addRetrySince(db);
    } catch (cause) {
      db?.close();
      throw new CodexError("LEDGER_BROKEN", `cannot open the evidence outbox in ${path}`, {
        hint: "open the ledger once (any maos command does) so it creates the outbox table; check MAOS_HOME",
        cause,
      });
    }
    return new Outbox(db, clock, path);
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  get(id: number): OutboxRow | undefined {
    const r = this.#db.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as OutboxDbRow | undefined;
    return r ? outboxRow(r) : undefined;
  }

  /** The oldest pending row of a sink: items go out in order, so a Teamwork task precedes its comments. */
  head(sink: SinkName): OutboxRow | undefined {
    const r = this.#db
      .prepare("SELECT * FROM outbox WHERE sink = ? AND status = 'pending' ORDER BY id LIMIT 1")
      .get(sink) as OutboxDbRow | undefined;
    return r ? outboxRow(r) : undefined;
  }

  /**
   * Takes the row for `owner` unless another live process holds an unexpired claim on it. A claim by a
   * process that is gone from this host (kill -9) is taken over at once.
   */
  claim(id: number, owner: string, leaseMs = CLAIM_LEASE_MS): boolean {
    const now = this.#now();
    const take = this.#db.transaction(() => {
      const r = this.#db
        .prepare("SELECT claimed_by, claimed_until_ms, status FROM outbox WHERE id = ?")
        .get(id) as
        | { claimed_by: string | null; claimed_until_ms: number | null; status: string }
        | undefined;
      if (r?.status !== "pending") return false;
      const holder = r.claimed_by;
      const held = holder !== null && holder !== owner && (r.claimed_until_ms ?? 0) > now;
      if (held && ownerAlive(holder)) return false;
      this.#db
        .prepare("UPDATE outbox SET claimed_by = ?, claimed_until_ms = ? WHERE id = ?")
        .run(owner, now + leaseMs, id);
      return true;
    });
    return take.immediate();
  }

  /** Counts a try before it is made, so a crash during it still shows as a try on restart. */
  startAttempt(id: number): number {
    this.#db
      .prepare("UPDATE outbox SET attempts = attempts + 1, updated_utc = ? WHERE id = ?")
      .run(utcIso(this.#clock.now()), id);
    return (
      (this.#db.prepare("SELECT attempts FROM outbox WHERE id = ?").pluck().get(id) as number | undefined) ??
      0
    );
  }

  /** A step of a multi-request delivery landed: the sink answers, so the retry budget starts over. */
  saveProgress(id: number, remoteId: string | undefined, progress: unknown): void {
    this.#db
      .prepare(
        "UPDATE outbox SET remote_id = ?, progress = ?, updated_utc = ?, retry_since_ms = NULL WHERE id = ?",
      )
      .run(
        remoteId ?? null,
        progress === undefined ? null : JSON.stringify(progress),
        utcIso(this.#clock.now()),
        id,
      );
  }

  delivered(id: number, remoteId: string): void {
    const at = utcIso(this.#clock.now());
    this.#db
      .prepare(
        "UPDATE outbox SET status = 'delivered', remote_id = ?, last_error = NULL, delivered_utc = ?, updated_utc = ?, claimed_by = NULL, claimed_until_ms = NULL WHERE id = ?",
      )
      .run(remoteId, at, at, id);
  }

  /** Waits until `atMs`; the first failure of a run of them starts the retry budget (`failedAtMs`). */
  retryLater(id: number, atMs: number, error: string, failedAtMs = this.#now()): void {
    this.#db
      .prepare(
        "UPDATE outbox SET next_attempt_ms = ?, last_error = ?, updated_utc = ?, claimed_by = NULL, claimed_until_ms = NULL, retry_since_ms = COALESCE(retry_since_ms, ?) WHERE id = ?",
      )
      .run(atMs, error, utcIso(this.#clock.now()), failedAtMs, id);
  }

  deadLetter(id: number, error: string): void {
    this.#db
      .prepare(
        "UPDATE outbox SET status = 'dead', last_error = ?, updated_utc = ?, claimed_by = NULL, claimed_until_ms = NULL WHERE id = ?",
      )
      .run(error, utcIso(this.#clock.now()), id);
  }

  /** Dead letters (all, or the given ids) back to pending with a fresh attempt budget; returns them. */
  redrive(ids?: readonly number[]): OutboxRow[] {
    const run = this.#db.transaction(() => {
      const rows = (
        ids && ids.length > 0
          ? ids.map((id) => this.#db.prepare("SELECT * FROM outbox WHERE id = ? AND status = 'dead'").get(id))
          : this.#db.prepare("SELECT * FROM outbox WHERE status = 'dead' ORDER BY id").all()
      ).filter((r): r is OutboxDbRow => r !== undefined);
      const update = this.#db.prepare(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_utc = ?, retry_since_ms = NULL WHERE id = ?",
      );
      for (const r of rows) update.run(utcIso(this.#clock.now()), r.id);
      return rows.map((r) => outboxRow(r));
    });
    return run.immediate();
  }

  deadLetters(limit = 20): OutboxRow[] {
    return (
      this.#db
        .prepare("SELECT * FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT ?")
        .all(limit) as OutboxDbRow[]
    ).map((r) => outboxRow(r));
  }

  pending(limit = 100): OutboxRow[] {
    return (
      this.#db
        .prepare("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?")
        .all(limit) as OutboxDbRow[]
    ).map((r) => outboxRow(r));
  }

  /** Rows queued with one ledger entry (the causing entry's seq). */
  byLedgerSeq(seq: number): OutboxRow[] {
    return (
      this.#db.prepare("SELECT * FROM outbox WHERE ledger_seq = ? ORDER BY id").all(seq) as OutboxDbRow[]
    ).map((r) => outboxRow(r));
  }

  /** Deliveries of a sink at or after a time (UTC ISO), for "is this sink live" checks. */
  deliveredSince(sink: SinkName, sinceUtc: string): number {
    return this.#db
      .prepare("SELECT count(*) FROM outbox WHERE sink = ? AND status = 'delivered' AND delivered_utc >= ?")
      .pluck()
      .get(sink, sinceUtc) as number;
  }

  counts(): OutboxCounts {
    const zero = (): SinkCounts => ({ pending: 0, delivered: 0, dead: 0 });
    const bySink = Object.fromEntries(SINKS.map((s) => [s, zero()])) as Record<SinkName, SinkCounts>;
    const total = zero();
    const rows = this.#db
      .prepare("SELECT sink, status, count(*) AS n FROM outbox GROUP BY sink, status")
      .all() as {
      sink: SinkName;
      status: OutboxStatus;
      n: number;
    }[];
    for (const r of rows) {
      if (!bySink[r.sink]) bySink[r.sink] = zero();
      bySink[r.sink][r.status] += r.n;
      total[r.status] += r.n;
    }
    const oldest = this.#db
      .prepare("SELECT min(created_utc) FROM outbox WHERE status = 'pending'")
      .pluck()
      .get() as string | null;
    return { ...total, bySink, oldestPendingUtc: oldest ?? undefined };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
