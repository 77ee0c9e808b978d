import { existsSync } from "node:fs";
import type { App } from "../src/app/App.ts";
import { CodexError } from "../src/core/CodexError.ts";

/** The home's ledger file must exist: a read never creates it (nor a key, nor a genesis entry). */
export function requireLedger(app: Pick<App, "ledgerPath">): void {
  if (!existsSync(app.ledgerPath())) {
    throw new CodexError("NOT_FOUND", `there is no ledger at ${app.ledgerPath()} yet`, {
      hint: "run a stack first (maos run marketing_ops …), or point MAOS_HOME at the folder that holds ledger.db",
    });
  }
}
