import pg from "pg";
import { CodexError } from "../../core/CodexError.ts";

/** The key the replicas' vault writes take (see withAdvisoryLock): one vault write at a time across the cluster. */
export const VAULT_LOCK = 0x4d414f53_05;

/**
 * Runs `fn` while this process holds the PostgreSQL session advisory lock `key`, waiting for it as long
 * as another session holds it. The lock lives on a connection of its own (taken from `pool`, or opened
 * to `url`), released when `fn` settles, or by the server when the session dies (kill -9 of the holder):
 * it can never outlive its holder. A server that cannot be reached is a CodexError naming DATABASE_URL.
 */
export async function withAdvisoryLock<T>(
  db: string | pg.Pool,
  key: number,
  fn: () => Promise<T>,
): Promise<T> {
  const r = await locked(db, key, "wait", fn);
  if (!r.ran) throw new CodexError("INTERNAL", "a waiting advisory lock returned without running");
  return r.value;
}

/** withAdvisoryLock, but only if no other session holds `key` now: `{ ran: false }` at once otherwise. */
export function tryWithAdvisoryLock<T>(
  db: string | pg.Pool,
  key: number,
  fn: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  return locked(db, key, "try", fn);
}

async function locked<T>(
  db: string | pg.Pool,
  key: number,
  how: "wait" | "try",
  fn: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  let client: pg.Client | pg.PoolClient;
  try {
    if (typeof db === "string") {
      const own = new pg.Client({ connectionString: db, application_name: "maos-advisory-lock" });
      own.on("error", () => {});
      await own.connect();
      client = own;
    } else {
      client = await db.connect();
    }
  } catch (cause) {
    throw new CodexError(
      "CONFIG_INVALID",
      `cannot reach PostgreSQL (DATABASE_URL) to take a lock: ${text(cause)}`,
      {
        hint: "check that the server named by DATABASE_URL is up and reachable from this replica",
        cause,
      },
    );
  }
  let broken = false;
  try {
    if (how === "wait") {
      await client.query("SELECT pg_advisory_lock($1)", [key]);
    } else {
      const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [key]);
      if (!got.rows[0]?.ok) return { ran: false };
    }
    try {
      return { ran: true, value: await fn() };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => {
        // The session is gone, and the lock with it; a pooled client is not given back.
        broken = true;
      });
    }
  } finally {
    if ("release" in client) client.release(broken);
    else await client.end().catch(() => {});
  }
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
