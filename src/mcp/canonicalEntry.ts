import Database from "better-sqlite3";
import type { App } from "../app/App.ts";
import { CodexError } from "../core/CodexError.ts";

/** Entry `seq`'s exact canonical bytes as stored (what its hash covers), read from a read-only handle. */
export function canonicalEntryText(app: Pick<App, "ledger" | "ledgerPath">, seq: number): string {
  const db = new Database(app.ledgerPath(), { readonly: true, fileMustExist: true });
  try {
    const text = db.prepare("SELECT canonical FROM ledger WHERE seq = ?").pluck().get(seq);
    if (typeof text !== "string") {
      throw new CodexError("NOT_FOUND", `the ledger has no entry ${seq} (it has ${app.ledger().size()})`);
    }
    return text;
  } finally {
    db.close();
  }
}
