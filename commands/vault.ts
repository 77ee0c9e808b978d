import { existsSync } from "node:fs";
import type { App } from "../src/app/App.ts";
import { checkVaultCustody, readLedgerLinks, type VaultCustodyReport } from "../src/audit/vaultCustody.ts";
import { openLedgerReadOnly } from "../src/ledger/openReadOnly.ts";
import type { VaultVerifyReport } from "../src/vault/Vault.ts";

/**
 * `vault verify [RUN_ID…]`: re-hashes sealed run folders against their SEAL.json and, by default, checks
 * the vault against the ledger: every run a RUN_SEALED entry names is in HEAD with the recorded seal root,
 * at the recorded commit (or one whose tree holds the same folder), and commits are signed by the vault
 * key the ledger recorded. A consistent rewrite of a file and its SEAL.json fails here, naming the run.
 */
export async function verifyVault(
  runIds: string[],
  app: Pick<App, "vault" | "ledgerPath">,
): Promise<VaultVerifyReport & { custody?: VaultCustodyReport }> {
  const vault = await app.vault();
  // The ledger before the vault: every RUN_SEALED entry read names a commit already in the vault (with
  // replicas, already on MAOS_VAULT_REMOTE, which verify() fetches and fast-forwards to first).
  let links: ReturnType<typeof readLedgerLinks> | undefined;
  if (existsSync(app.ledgerPath())) {
    const { db } = openLedgerReadOnly(app.ledgerPath());
    try {
      links = readLedgerLinks(db);
    } finally {
      db.close();
    }
  }
  const report = await vault.verify(runIds.length > 0 ? runIds : undefined);
  if (!links) return report;
  if (runIds.length > 0) {
    const wanted = (r: { runId: string; vaultPath: string }) =>
      runIds.some((id) => r.runId === id || r.runId.slice(0, 8) === id || r.vaultPath.endsWith(`/${id}`));
    links = { sealed: links.sealed.filter(wanted), keys: links.keys };
  }
  const custody = await checkVaultCustody(vault.dir, links);
  return { ...report, ok: report.ok && custody.ok, custody };
}
