import { existsSync } from "node:fs";
import path from "node:path";
import type { App } from "../src/app/createApp.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { LedgerEntry } from "../src/ledger/Ledger.ts";
import { type VerifyReport, verifyLedger } from "../src/ledger/verifyLedger.ts";

/** `ledger tail [-n N]`: the last N entries, oldest first. */
export function tail(n: number, app: App): LedgerEntry[] {
  requireLedger(app);
  return app.ledger().tail(n);
}

/**
 * `ledger verify`: replays the chain, rebuilds the Merkle root and checks every signed checkpoint,
 * including the copies sealed into the vault, which survive anyone rewriting the database.
 */
export async function verify(app: App): Promise<VerifyReport & { vaultCheckpoints: number }> {
  requireLedger(app);
  const vaultDir = path.join(app.home, "vault");
  const checkpoints = existsSync(path.join(vaultDir, ".git"))
    ? await (await app.vault()).readCheckpoints()
    : [];
  const report = verifyLedger({
    path: app.ledgerPath(),
    verifierKey: app.ledgerKey().verifierKey,
    checkpoints,
  });
  return { ...report, vaultCheckpoints: checkpoints.length };
}

function requireLedger(app: App): void {
  if (!existsSync(app.ledgerPath())) {
    throw new CodexError("NOT_FOUND", `there is no ledger at ${app.ledgerPath()} yet`, {
      hint: "run a stack first (maos run marketing_ops …), or point MAOS_HOME at the folder that holds ledger.db",
    });
  }
}
