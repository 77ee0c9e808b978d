import type { AgentHub } from "../agents/AgentHub.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import type { VaultWatch } from "../audit/vaultWatch.ts";
import type { ClientMatrix } from "../clients/ClientMatrix.ts";
import type { Env } from "../config/loadEnv.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Charter } from "../governance/charter.ts";
import type { EffectiveRoles } from "../governance/roleGrants.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { LedgerWatchReport } from "../ledger/LedgerWatch.ts";
import type { LedgerKey } from "../ledger/ledgerKey.ts";
import type { MemoryIndex } from "../memory/MemoryIndex.ts";
import type { Relays } from "../relays/Relays.ts";
import type { StateApi } from "../state/StateApi.ts";
import type { Vault } from "../vault/Vault.ts";

/**
 * Everything the autonomy folder may reach, built by the composition root (src/app/createApp.ts).
 * Each part takes a `Pick` of it, so its constructor says what it uses. Members are functions where
 * the piece is built on first use (the ledger, state.db, the vault), as in the App.
 */
export interface AutonomyDeps {
  readonly env: Env;
  readonly clock: Clock;
  readonly log: Logger;
  readonly home: string;
  readonly stacksDir: string;
  charter(): Charter;
  extraRoles(): RoleMembers;
  effectiveRoles(): EffectiveRoles;
  state(): StateApi;
  ledger(): LedgerHandle;
  ledgerPath(): string;
  ledgerKey(): LedgerKey;
  /** Custody as of now, checked incrementally (see App.custody). */
  custody(): Promise<LedgerWatchReport>;
  vault(): Promise<Vault>;
  vaultWatch(): Pick<VaultWatch, "check">;
  approvals(): Pick<ApprovalService, "request" | "approverRoles" | "decide" | "consume" | "get">;
  relays(): Pick<
    Relays,
    "deadLetterCount" | "notionOff" | "teamworkOff" | "counts" | "teamworkLive" | "notionLive"
  >;
  clients(): Pick<ClientMatrix, "kpiLayer">;
  memory(): MemoryIndex;
  hub(): Pick<AgentHub, "probe">;
  /**
   * Signs a checkpoint over every ledger entry so far, kept in state.db and staged in the vault
   * (audit/checkpointKeeper's anchorInVault).
   */
  anchor(opts: { commitIfSealUnanchored?: boolean; ifVaultFree?: boolean }): Promise<unknown>;
}

/** The configuration files whose hashes are frozen and sealed. */
export type ConfigDeps = Pick<AutonomyDeps, "env" | "stacksDir">;

export type TelemetryDeps = Pick<
  AutonomyDeps,
  | "env"
  | "stacksDir"
  | "clock"
  | "home"
  | "charter"
  | "state"
  | "ledger"
  | "custody"
  | "vaultWatch"
  | "relays"
>;

export type IncidentDeps = Pick<AutonomyDeps, "clock" | "state" | "ledger" | "approvals">;

export type SealDeps = Pick<
  AutonomyDeps,
  | "env"
  | "stacksDir"
  | "clock"
  | "home"
  | "charter"
  | "state"
  | "ledger"
  | "ledgerPath"
  | "ledgerKey"
  | "vault"
  | "memory"
  | "hub"
  | "relays"
  | "clients"
>;

export type SnapshotDeps = Pick<
  AutonomyDeps,
  "env" | "clock" | "charter" | "state" | "ledger" | "vault" | "relays"
>;

/** What writing ROLE_GRANTS needs. */
export type RoleGrantDeps = Pick<AutonomyDeps, "ledger" | "effectiveRoles">;
