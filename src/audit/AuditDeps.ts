import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { LedgerKey } from "../ledger/ledgerKey.ts";
import type { StateApi } from "../state/StateApi.ts";
import type { Vault } from "../vault/Vault.ts";

/**
 * What the custody keepers read: the home folder, the ledger and its key, state.db and the vault.
 * Each function takes the `Pick` it uses; the composition root's App satisfies all of them.
 */
export interface AuditDeps {
  readonly home: string;
  readonly clock: Clock;
  readonly log: Logger;
  ledger(): LedgerHandle;
  ledgerPath(): string;
  ledgerKey(): LedgerKey;
  state(): StateApi;
  vault(): Promise<Vault>;
}
