import { lazyModule } from "../core/lazyModule.ts";
import type { SharedSealing } from "../vault/Vault.ts";

// pg loads only when a replica writes its vault.
const advisoryLock = lazyModule<typeof import("../state/pg/advisoryLock.ts")>(
  import.meta.url,
  "../state/pg/advisoryLock.ts",
);

/**
 * Replicas (DATABASE_URL): every vault write holds the cluster's vault lock, a PostgreSQL session
 * advisory lock, and publishes to MAOS_VAULT_REMOTE before releasing it, so the remote keeps one linear
 * history of every replica's seals. A heartbeat's anchoring only tries it, never waiting for another
 * replica's seal.
 */
export function sharedVaultLock(url: string): SharedSealing {
  return {
    lock: (fn) => advisoryLock().withAdvisoryLock(url, advisoryLock().VAULT_LOCK, fn),
    tryLock: (fn) => advisoryLock().tryWithAdvisoryLock(url, advisoryLock().VAULT_LOCK, fn),
  };
}
