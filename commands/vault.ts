import type { App } from "../src/app/createApp.ts";
import type { VaultVerifyReport } from "../src/vault/Vault.ts";

/** `vault verify [RUN_ID…]`: re-hashes sealed run folders against their SEAL.json. */
export async function verifyVault(runIds: string[], app: App): Promise<VaultVerifyReport> {
  const vault = await app.vault();
  return vault.verify(runIds.length > 0 ? runIds : undefined);
}
