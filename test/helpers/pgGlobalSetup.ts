/**
 * `npm test`'s global setup (node --test-global-setup): one throwaway PostgreSQL cluster for the whole
 * run, unless MAOS_TEST_DATABASE_URL already names a server. The test processes inherit the URL. When no
 * cluster can start, the Postgres suites skip with "needs environment:" and the reason is printed loudly
 * here and again by the skip gate at the end.
 */
import { type PgCluster, startPgCluster } from "./pgCluster.ts";

let cluster: PgCluster | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env.MAOS_TEST_DATABASE_URL) return;
  try {
    cluster = await startPgCluster();
    process.env.MAOS_TEST_DATABASE_URL = cluster.url;
    process.stderr.write(`PostgreSQL for the tests: a throwaway cluster on 127.0.0.1:${cluster.port}\n`);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    process.env.MAOS_TEST_PG_MISSING = reason;
    process.stderr.write(
      `\n!!! PostgreSQL could not start: the Postgres suites will be SKIPPED.\n!!! ${reason}\n\n`,
    );
  }
}

export async function globalTeardown(): Promise<void> {
  cluster?.stop();
}
