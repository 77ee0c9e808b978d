import pg from "pg";
import { CodexError } from "../../../core/CodexError.ts";
import type { Clock } from "../../../core/clock.ts";
import { describePgFailure, pgUnreachable } from "../../../core/pgLocation.ts";

/** What every PostgreSQL table module is built from: the store's pool and the clock its timestamps come from. */
export interface PgTableDeps {
  pool: pg.Pool;
  clock: Clock;
  /** The database without its password, for messages. */
  where: string;
}

/**
 * A failed state statement as a CodexError naming the database and the fix. Only PostgreSQL's and the
 * connection's errors are translated: anything else (ours, a caller's `decide`) passes unchanged.
 */
export function stateFailure(t: Pick<PgTableDeps, "where">, cause: unknown): unknown {
  if (!(cause instanceof pg.DatabaseError) && !pgUnreachable(cause)) return cause;
  const { message, hint } = describePgFailure("a state statement", t.where, cause);
  return new CodexError("CONFIG_INVALID", message, { hint, cause });
}

/** One statement on the pool; a failure is a CodexError naming the database and the fix. */
export async function q<R extends pg.QueryResultRow = pg.QueryResultRow>(
  t: PgTableDeps,
  sql: string,
  params?: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await t.pool.query<R>(sql, params);
  } catch (cause) {
    throw stateFailure(t, cause);
  }
}

/**
 * Runs `work` in one transaction on a connection of its own (a pool's queries may each land on another
 * connection, so a transaction must hold one), committing when it resolves and rolling back when it throws.
 */
export async function inTransaction<T>(
  t: PgTableDeps,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await t.pool.connect();
  } catch (cause) {
    throw stateFailure(t, cause);
  }
  try {
    await client.query("BEGIN");
    const out = await work(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw stateFailure(t, err);
  } finally {
    client.release();
  }
}

/** PostgreSQL returns bigint as text (it may not fit a double); ours are counters and milliseconds, which do. */
export function num(v: string | number): number {
  return typeof v === "number" ? v : Number(v);
}
