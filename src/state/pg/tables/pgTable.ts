import type pg from "pg";
import type { Clock } from "../../../core/clock.ts";

/** What every PostgreSQL table module is built from: the store's pool and the clock its timestamps come from. */
export interface PgTableDeps {
  pool: pg.Pool;
  clock: Clock;
}

/**
 * Runs `work` in one transaction on a connection of its own (a pool's queries may each land on another
 * connection, so a transaction must hold one), committing when it resolves and rolling back when it throws.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await work(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** PostgreSQL returns bigint as text (it may not fit a double); ours are counters and milliseconds, which do. */
export function num(v: string | number): number {
  return typeof v === "number" ? v : Number(v);
}
