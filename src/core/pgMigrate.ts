import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { CodexError } from "./CodexError.ts";

/** One lock for every migrator of one database: replicas starting together apply each file once. */
const MIGRATION_LOCK = 0x4d414f53_01;

/**
 * Applies the plain SQL files of `dir` (`NNNN_name.sql`, in number order) that `component` has not applied
 * yet, each in its own transaction, under a transaction-level advisory lock, and records them in
 * `schema_migrations` with their SHA-256. A recorded file whose bytes changed since is refused: a
 * migration is history, fixed once applied; a change is a new file.
 */
export async function migratePg(client: pg.ClientBase, component: string, dir: string): Promise<number[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  await inLockedTransaction(client, () =>
    client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_utc timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
  )`),
  );
  const applied: number[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    const sql = readFileSync(path.join(dir, file), "utf8");
    const sha256 = createHash("sha256").update(sql).digest("hex");
    const didApply = await inLockedTransaction(client, async () => {
      const done = await client.query<{ sha256: string }>(
        "SELECT sha256 FROM schema_migrations WHERE component = $1 AND version = $2",
        [component, version],
      );
      const row = done.rows[0];
      if (row) {
        if (row.sha256 !== sha256) {
          throw new CodexError(
            "CONFIG_INVALID",
            `migration ${component}/${file} was changed after it was applied to this database`,
            {
              hint: "applied migrations are never edited: restore the file from the release that applied it and put the change in a new numbered file",
            },
          );
        }
        return false;
      }
      await client.query(sql);
      await client.query(
        "INSERT INTO schema_migrations (component, version, name, sha256) VALUES ($1, $2, $3, $4)",
        [component, version, file, sha256],
      );
      return true;
    });
    if (didApply) applied.push(version);
  }
  return applied;
}

async function inLockedTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    const out = await work();
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
