import path from "node:path";
import type { Env } from "../config/loadEnv.ts";
import type { Clock } from "../core/clock.ts";
import { lazyModule } from "../core/lazyModule.ts";
import type { Logger } from "../core/logger.ts";
import type { Vault } from "../vault/Vault.ts";
import { sharedVaultLock } from "./sharedVaultLock.ts";

// Loaded on first use: a command that never touches the vault does not load git's client.
const vaultModule = lazyModule<typeof import("../vault/Vault.ts")>(import.meta.url, "../vault/Vault.ts");

/**
 * Opens MAOS_HOME/vault as the environment configures it: signed commits (MAOS_VAULT_SIGNING_KEY), a
 * remote every replica pushes to (MAOS_VAULT_REMOTE), the cluster's vault lock on DATABASE_URL.
 */
export function openAppVault(o: {
  env: Env;
  home: string;
  clock: Clock;
  log: Logger;
  beforeCommit: () => Promise<void>;
}): Promise<Vault> {
  const { env } = o;
  return vaultModule().Vault.open({
    dir: path.join(o.home, "vault"),
    clock: o.clock,
    log: o.log,
    ...(env.MAOS_VAULT_SIGNING_KEY ? { signingKey: env.MAOS_VAULT_SIGNING_KEY } : {}),
    ...(env.MAOS_VAULT_REMOTE ? { remote: env.MAOS_VAULT_REMOTE } : {}),
    // Replicas: every vault write holds the cluster's vault lock (sharedVaultLock).
    ...(env.DATABASE_URL ? { shared: sharedVaultLock(env.DATABASE_URL) } : {}),
    beforeCommit: o.beforeCommit,
  });
}
