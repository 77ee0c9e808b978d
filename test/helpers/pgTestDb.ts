/**
 * A fresh, empty place per test on the run's PostgreSQL (test/helpers/pgGlobalSetup.ts): a schema of
 * its own, named in the URL's search_path (creating a database per test cost ~0.6 s each), dropped at the
 * end. `pgSkip` is the reason to skip when the run has no server (always "needs environment: …").
 */
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import pg from "pg";

export function pgSkip(): string | false {
  if (process.env.MAOS_TEST_DATABASE_URL) return false;
  return `needs environment: a PostgreSQL server (${process.env.MAOS_TEST_PG_MISSING ?? "MAOS_TEST_DATABASE_URL is not set and the test run started none"})`;
}

/**
 * Creates a schema for this test and returns a URL whose connections use only it; dropped when the test
 * ends. `ownDatabase`: a database of its own instead (slower), for a test that acts on whole sessions
 * (pg_terminate_backend by application name would reach other test files' connections in a shared one).
 */
export async function pgTestDatabase(
  t: Pick<TestContext, "after">,
  opts: { ownDatabase?: boolean } = {},
): Promise<string> {
  const base = process.env.MAOS_TEST_DATABASE_URL;
  if (!base) throw new Error("pgTestDatabase: no MAOS_TEST_DATABASE_URL (guard the test with pgSkip())");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(opts.ownDatabase ? `CREATE DATABASE ${name}` : `CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  t.after(async () => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(
        opts.ownDatabase
          ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`
          : `DROP SCHEMA IF EXISTS ${name} CASCADE`,
      );
    } finally {
      await c.end();
    }
  });
  const url = new URL(base);
  if (opts.ownDatabase) url.pathname = `/${name}`;
  else url.searchParams.set("options", `-c search_path=${name}`);
  return url.toString();
}

/** A connected client for a test's own SQL, ended when the test ends (and quiet if its backend is ended). */
export async function pgConnect(t: Pick<TestContext, "after">, url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {});
  await c.connect();
  t.after(() => c.end().catch(() => {}));
  return c;
}
