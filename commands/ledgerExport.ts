import type { App } from "../src/app/App.ts";
import { pgLocation } from "../src/core/pgLocation.ts";
import type { Reply } from "../src/core/Reply.ts";
import { type ExportReport, exportLedgerToSqlite, sqliteLedgerSnapshot } from "../src/ledger/exportLedger.ts";

/** What `ledger export` wrote, and from where (a database named without its password). */
export interface LedgerExport extends ExportReport {
  from: string;
}

/**
 * `ledger export --sqlite FILE`: one consistent snapshot of the ledger in use (PostgreSQL when
 * DATABASE_URL is set, else MAOS_HOME/ledger.db) as a new SQLite ledger file, which
 * `maos ledger verify --key ledger.vkey --db FILE` and the standard-tools kit check unchanged.
 */
export async function exportLedger(
  app: Pick<App, "env" | "ledgerPath">,
  file: string,
): Promise<LedgerExport> {
  const url = app.env.DATABASE_URL;
  if (url) {
    const { pgLedgerSnapshot } = await import("../src/ledger/pg/pgLedgerSnapshot.ts");
    return { ...(await exportLedgerToSqlite(await pgLedgerSnapshot(url), file)), from: pgLocation(url) };
  }
  const source = app.ledgerPath();
  return { ...(await exportLedgerToSqlite(sqliteLedgerSnapshot(source), file)), from: source };
}

export function exportReply(r: LedgerExport): Reply {
  const text = [
    `exported ${r.entries} entries and ${r.checkpoints} signed checkpoints from ${r.from} to ${r.file}`,
    `Merkle root ${r.root}`,
    `check it with the public key alone: maos ledger verify --key ledger.vkey --db ${r.file}`,
  ].join("\n");
  return { summary: `exported ${r.entries} entries to ${r.file}`, parts: [{ kind: "text", text }] };
}
