import pg from "pg";
import { CodexError } from "../../core/CodexError.ts";
import { pgErrorText, pgLocation } from "../../core/pgLocation.ts";
import type { LedgerSnapshot } from "../exportLedger.ts";
import { checkpointsAfter, rowsAfter } from "./pgLedgerQueries.ts";

/**
 * A PostgreSQL ledger's snapshot for export: one REPEATABLE READ, READ ONLY transaction, so replicas
 * appending meanwhile change nothing in it.
 */
export async function pgLedgerSnapshot(url: string): Promise<LedgerSnapshot> {
  const client = new pg.Client({ connectionString: url, application_name: "maos-ledger-export" });
  try {
    await client.connect();
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const has = await client.query("SELECT to_regclass('ledger') IS NOT NULL AS ok");
    if (!has.rows[0]?.ok) {
      throw new CodexError("NOT_FOUND", `${pgLocation(url)} holds no MAOS ledger`, {
        hint: "check DATABASE_URL: it names the database the replicas write",
      });
    }
  } catch (cause) {
    await client.end().catch(() => {});
    if (cause instanceof CodexError) throw cause;
    throw new CodexError("LEDGER_BROKEN", `cannot read the ledger database ${pgLocation(url)}`, {
      hint: `check DATABASE_URL and that PostgreSQL is up (${pgErrorText(cause).text})`,
      cause,
    });
  }
  return {
    rows: (after, limit) => rowsAfter(client, after, limit),
    checkpoints: () => checkpointsAfter(client, 0),
    async close() {
      await client.query("COMMIT").catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
