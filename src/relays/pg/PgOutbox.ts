import pg from "pg";
import { CodexError } from "../../core/CodexError.ts";
import type { Clock } from "../../core/clock.ts";
import { describePgFailure, pgErrorText, pgLocation, pgUnreachable } from "../../core/pgLocation.ts";
import { migratePg } from "../../core/pgMigrate.ts";
import { utcIso } from "../../core/timestamps.ts";
import { PG_LEDGER_MIGRATIONS } from "../../ledger/pg/PgLedger.ts";
import { SINKS, type SinkName } from "../evidenceBody.ts";
import {
  CLAIM_LEASE_MS,
  type OutboxCounts,
  type OutboxDbRow,
  type OutboxRow,
  type OutboxStatus,
  outboxRow,
  ownerAlive,
  type SinkCounts,
} from "../Outbox.ts";
import type { OutboxStore } from "../OutboxStore.ts";

/** A row as PostgreSQL returns it: bigint columns come as text. */
type PgRow = Omit<
  OutboxDbRow,
  "id" | "ledger_seq" | "next_attempt_ms" | "claimed_until_ms" | "retry_since_ms"
> & {
  id: string;
  ledger_seq: string;
  next_attempt_ms: string;
  claimed_until_ms: string | null;
  retry_since_ms: string | null;
};

function toRow(r: PgRow): OutboxRow {
  return outboxRow({
    ...r,
    id: Number(r.id),
    ledger_seq: Number(r.ledger_seq),
    next_attempt_ms: Number(r.next_attempt_ms),
    claimed_until_ms: r.claimed_until_ms === null ? null : Number(r.claimed_until_ms),
    retry_since_ms: r.retry_since_ms === null ? null : Number(r.retry_since_ms),
  });
}

/**
 * The evidence outbox on PostgreSQL: the ledger database's `outbox` table (PgLedger inserts its rows in
 * the transaction of the entry that queued them), from then on delivery state updated here, the async
 * counterpart of Outbox.ts with the same methods and meanings. Several replicas' dispatchers share it:
 * a claim is one conditional UPDATE (the row unclaimed, ours, or its lease run out), so of two replicas
 * claiming a row at once the second waits for the first's row lock, re-checks, and loses; a claim
 * whose holder is a process gone from this host is taken over by compare-and-set on that holder.
 */
export class PgOutbox implements OutboxStore {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  /** The database, without its password: what messages name. */
  readonly path: string;
  #closed = false;

  private constructor(pool: pg.Pool, clock: Clock, where: string) {
    this.#pool = pool;
    this.#clock = clock;
    this.path = where;
  }

  /**
   * Opens the outbox of an existing PostgreSQL ledger (PgLedger.open creates the table), and brings it to
   * this build's ledger migrations (0002 adds `retry_since_ms`), as Outbox.open adds that column to an
   * older ledger.db.
   */
  static async open(opts: { url: string; clock: Clock; connections?: number }): Promise<PgOutbox> {
    const where = pgLocation(opts.url);
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.connections ?? 2,
      application_name: "maos-outbox",
    });
    pool.on("error", () => {});
    try {
      const client = await pool.connect();
      try {
        const has = await client.query<{ ok: boolean }>("SELECT to_regclass('outbox') IS NOT NULL AS ok");
        if (!has.rows[0]?.ok) {
          throw new CodexError("LEDGER_BROKEN", `${where} holds no evidence outbox`, {
            hint: "open the ledger on DATABASE_URL once (it creates the outbox table), or check that DATABASE_URL names the replicas' database",
          });
        }
        await migratePg(client, "ledger", PG_LEDGER_MIGRATIONS);
      } finally {
        client.release();
      }
    } catch (cause) {
      await pool.end().catch(() => {});
      if (cause instanceof CodexError) throw cause;
      throw new CodexError("LEDGER_BROKEN", `cannot open the evidence outbox in ${where}`, {
        hint: `check DATABASE_URL and that PostgreSQL is up and reachable (${pgErrorText(cause).text})`,
        cause,
      });
    }
    return new PgOutbox(pool, opts.clock, where);
  }

  /** One statement; PostgreSQL's or the connection's failure is a CodexError naming the database and the fix. */
  async #q<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (cause) {
      if (!(cause instanceof pg.DatabaseError) && !pgUnreachable(cause)) throw cause;
      const { message, hint } = describePgFailure("an evidence outbox statement", this.path, cause);
      throw new CodexError("LEDGER_BROKEN", message, { hint, cause });
    }
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  async #rows(sql: string, params: unknown[] = []): Promise<OutboxRow[]> {
    const r = await this.#q<PgRow>(sql, params);
    return r.rows.map(toRow);
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    return (await this.#rows("SELECT * FROM outbox WHERE id = $1", [id]))[0];
  }

  /** The oldest pending row of a sink: items go out in order, so a Teamwork task precedes its comments. */
  async head(sink: SinkName): Promise<OutboxRow | undefined> {
    return (
      await this.#rows("SELECT * FROM outbox WHERE sink = $1 AND status = 'pending' ORDER BY id LIMIT 1", [
        sink,
      ])
    )[0];
  }

  /**
   * Takes the row for `owner` unless another live process holds an unexpired claim on it; true when this
   * call holds it now. A claim by a process gone from this host (kill -9) is taken over at once.
   */
  async claim(id: number, owner: string, leaseMs = CLAIM_LEASE_MS): Promise<boolean> {
    const now = this.#now();
    const taken = await this.#q(
      `UPDATE outbox SET claimed_by = $2, claimed_until_ms = $3
       WHERE id = $1 AND status = 'pending'
         AND (claimed_by IS NULL OR claimed_by = $2 OR coalesce(claimed_until_ms, 0) <= $4)`,
      [id, owner, now + leaseMs, now],
    );
    if (taken.rowCount === 1) return true;
    const r = await this.#q<{ claimed_by: string | null; claimed_until_ms: string | null }>(
      "SELECT claimed_by, claimed_until_ms FROM outbox WHERE id = $1 AND status = 'pending'",
      [id],
    );
    const holder = r.rows[0]?.claimed_by;
    if (!holder || ownerAlive(holder)) return false;
    // The holder is dead: take its claim only if it is still the same one (another replica may be first).
    const over = await this.#q(
      `UPDATE outbox SET claimed_by = $2, claimed_until_ms = $3
       WHERE id = $1 AND status = 'pending' AND claimed_by = $4 AND claimed_until_ms IS NOT DISTINCT FROM $5::bigint`,
      [id, owner, now + leaseMs, holder, r.rows[0]?.claimed_until_ms ?? null],
    );
    return over.rowCount === 1;
  }

  /** Counts a try before it is made, so a crash during it still shows as a try on restart. */
  async startAttempt(id: number): Promise<number> {
    const r = await this.#q<{ attempts: number }>(
      "UPDATE outbox SET attempts = attempts + 1, updated_utc = $2 WHERE id = $1 RETURNING attempts",
      [id, utcIso(this.#clock.now())],
    );
    return r.rows[0]?.attempts ?? 0;
  }

  /** A step of a multi-request delivery landed: the sink answers, so the retry budget starts over. */
  async saveProgress(id: number, remoteId: string | undefined, progress: unknown): Promise<void> {
    await this.#q(
      "UPDATE outbox SET remote_id = $2, progress = $3, updated_utc = $4, retry_since_ms = NULL WHERE id = $1",
      [
        id,
        remoteId ?? null,
        progress === undefined ? null : JSON.stringify(progress),
        utcIso(this.#clock.now()),
      ],
    );
  }

  async delivered(id: number, remoteId: string): Promise<void> {
    const at = utcIso(this.#clock.now());
    await this.#q(
      "UPDATE outbox SET status = 'delivered', remote_id = $2, last_error = NULL, delivered_utc = $3, updated_utc = $3, claimed_by = NULL, claimed_until_ms = NULL WHERE id = $1",
      [id, remoteId, at],
    );
  }

  /** Waits until `atMs`; the first failure of a run of them starts the retry budget (`failedAtMs`). */
  async retryLater(id: number, atMs: number, error: string, failedAtMs = this.#now()): Promise<void> {
    await this.#q(
      "UPDATE outbox SET next_attempt_ms = $2, last_error = $3, updated_utc = $4, claimed_by = NULL, claimed_until_ms = NULL, retry_since_ms = COALESCE(retry_since_ms, $5) WHERE id = $1",
      [id, atMs, error, utcIso(this.#clock.now()), failedAtMs],
    );
  }

  async deadLetter(id: number, error: string): Promise<void> {
    await this.#q(
      "UPDATE outbox SET status = 'dead', last_error = $2, updated_utc = $3, claimed_by = NULL, claimed_until_ms = NULL WHERE id = $1",
      [id, error, utcIso(this.#clock.now())],
    );
  }

  /**
   * Dead letters (all, or the given ids) back to pending with a fresh attempt budget; returns them as they
   * were. One statement that locks the rows it reads: of two replicas redriving at once, each row goes to one.
   */
  async redrive(ids?: readonly number[]): Promise<OutboxRow[]> {
    const some = ids !== undefined && ids.length > 0;
    return this.#rows(
      `WITH old AS (
         SELECT * FROM outbox WHERE status = 'dead' ${some ? "AND id = ANY($2::bigint[])" : ""} FOR UPDATE
       ), moved AS (
         UPDATE outbox o SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_utc = $1, retry_since_ms = NULL
         FROM old WHERE o.id = old.id
       )
       SELECT * FROM old ORDER BY ${some ? "array_position($2::bigint[], id)" : "id"}`,
      some ? [utcIso(this.#clock.now()), ids] : [utcIso(this.#clock.now())],
    );
  }

  deadLetters(limit = 20): Promise<OutboxRow[]> {
    return this.#rows("SELECT * FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT $1", [limit]);
  }

  pending(limit = 100): Promise<OutboxRow[]> {
    return this.#rows("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT $1", [limit]);
  }

  /** Rows queued with one ledger entry (the causing entry's seq). */
  byLedgerSeq(seq: number): Promise<OutboxRow[]> {
    return this.#rows("SELECT * FROM outbox WHERE ledger_seq = $1 ORDER BY id", [seq]);
  }

  /** Deliveries of a sink at or after a time (UTC ISO), for "is this sink live" checks. */
  async deliveredSince(sink: SinkName, sinceUtc: string): Promise<number> {
    const r = await this.#q<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE sink = $1 AND status = 'delivered' AND delivered_utc >= $2",
      [sink, sinceUtc],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** The counts by sink and status and the oldest pending row's time, from one snapshot. */
  async counts(): Promise<OutboxCounts> {
    const zero = (): SinkCounts => ({ pending: 0, delivered: 0, dead: 0 });
    const bySink = Object.fromEntries(SINKS.map((s) => [s, zero()])) as Record<SinkName, SinkCounts>;
    const total = zero();
    const r = await this.#q<{
      sink: SinkName | null;
      status: OutboxStatus | null;
      n: number;
      oldest: string | null;
    }>(
      `SELECT sink, status, count(*)::int AS n, NULL AS oldest FROM outbox GROUP BY sink, status
       UNION ALL
       SELECT NULL, NULL, 0, min(created_utc) FROM outbox WHERE status = 'pending'`,
    );
    let oldest: string | undefined;
    for (const row of r.rows) {
      if (row.sink === null || row.status === null) {
        oldest = row.oldest ?? undefined;
        continue;
      }
      if (!bySink[row.sink]) bySink[row.sink] = zero();
      bySink[row.sink][row.status] += row.n;
      total[row.status] += row.n;
    }
    return { ...total, bySink, oldestPendingUtc: oldest };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
