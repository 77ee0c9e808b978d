import type { App } from "../src/app/App.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { LedgerEntry } from "../src/ledger/ledgerEntry.ts";
import { tailEntries } from "../src/ledger/ledgerQueries.ts";
import { openLedgerReadOnly } from "../src/ledger/openReadOnly.ts";
import { requireLedger } from "./requireLedger.ts";

/**
 * `ledger tail [-n N]`: the last N entries, oldest first. A read: the file is opened read-only (no key,
 * no charter, no writer's Merkle state, no closing checkpoint), so it costs the same at 1M entries as at
 * ten and writes nothing. A live ledger's newest commits are read from its `-wal`.
 */
export function tail(n: number, app: Pick<App, "env" | "ledgerPath" | "ledger">): LedgerEntry[] {
  // With DATABASE_URL, ledger.db is this replica's mirror of the shared ledger, pulled when the app
  // connected; a connection that failed is reported (app.ledger() throws why), never a stale mirror read.
  if (app.env.DATABASE_URL) app.ledger();
  requireLedger(app);
  const { db } = openLedgerReadOnly(app.ledgerPath());
  try {
    return tailEntries(db, n);
  } finally {
    db.close();
  }
}

export function tailReply(entries: LedgerEntry[]): Reply {
  const lines = entries.map(
    (e) =>
      `${String(e.seq).padStart(5)}  ${e.timestampCt}  ${e.eventType.padEnd(20)} ${e.level.padEnd(5)} ${e.actorIdentity}  ${e.entryHash.slice(0, 12)}`,
  );
  return {
    summary: `the last ${entries.length} ledger entries`,
    ephemeral: true,
    parts: [
      { kind: "header", text: `Ledger: last ${entries.length} entries` },
      { kind: "text", text: `\`\`\`\n${lines.join("\n")}\n\`\`\`` },
      { kind: "context", text: "seq · time (America/Chicago) · event · level · actor · entry hash" },
    ],
  };
}
