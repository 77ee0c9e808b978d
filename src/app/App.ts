import type { Client as NotionClient } from "@notionhq/client";
import type { AgentHub } from "../agents/AgentHub.ts";
import type { Provider } from "../agents/Provider.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import type { VaultWatch } from "../audit/vaultWatch.ts";
import type { AutonomyKernel } from "../autonomy/AutonomyKernel.ts";
import type { ClientMatrix } from "../clients/ClientMatrix.ts";
import type { Env } from "../config/loadEnv.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { EgressGuard } from "../egress/EgressGuard.ts";
import type { RunExecutor } from "../executor/RunExecutor.ts";
import type { Reconciliation } from "../executor/reconcileRuns.ts";
import type { RunDeps } from "../executor/runStack.ts";
import type { Charter } from "../governance/charter.ts";
import type { EffectiveRoles } from "../governance/roleGrants.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { LedgerWatchReport, VerifyCallOptions } from "../ledger/LedgerWatch.ts";
import type { LedgerKey } from "../ledger/ledgerKey.ts";
import type { MemoryIndex } from "../memory/MemoryIndex.ts";
import type { Relays } from "../relays/Relays.ts";
import type { StateApi } from "../state/StateApi.ts";
import type { Vault } from "../vault/Vault.ts";

/** Everything a command or adapter may use. Built once, here; tests override any piece. */
export interface App {
  readonly env: Env;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stacksDir: string;
  readonly home: string;
  /** Exact secret values (API keys, tokens): scrubbed from everything the app writes. */
  readonly secrets: readonly string[];
  charter(): Charter;
  /**
   * With DATABASE_URL set: connects to PostgreSQL and opens the ledger (pulling this replica's mirror),
   * the state and the outbox every replica shares; every entry point awaits it before the app is used.
   * Never throws: a failure (server down, no MAOS_LEDGER_KEY) is thrown by the first use of the ledger,
   * state or outbox, so commands that need none (`maos stacks list`, `maos ledger export`) still work.
   * Without DATABASE_URL: nothing (SQLite files open on first use).
   */
  connect(): Promise<void>;
  /** Role members added by MAOS_ROLES on top of the charter (checked against the charter's roles). */
  extraRoles(): RoleMembers;
  /** Every role grant in force with its source (charter, MAOS_ROLES from .env or the environment, client matrix), and their digest. */
  effectiveRoles(): EffectiveRoles;
  /** Mutable operational state beside the ledger: MAOS_HOME/state.db. */
  state(): StateApi;
  /** The approval mechanism shared by Slack reactions and buttons and typed approvals. */
  approvals(): ApprovalService;
  /** The autonomy kernel: heartbeat loop, telemetry, drift, STOP–RESET–REALIGN, incidents, seals, snapshots. */
  autonomy(): AutonomyKernel;
  /** The one outbound HTTP path (allowlisted hosts only); every SDK and client gets `egress().fetch`. */
  egress(): EgressGuard;
  /** The shared Notion client (API 2025-09-03, paced at ~3 req/s), when NOTION_TOKEN is set. */
  notion(): NotionClient | undefined;
  /** The evidence relays: the outbox, its dispatcher and sinks, the publisher the kernel uses. */
  relays(): Relays;
  /** The Client Intelligence Layer (the MASTER CLIENT OPERATIONAL MATRIX). */
  clients(): ClientMatrix;
  ledgerKey(): LedgerKey;
  ledger(): LedgerHandle;
  /** Path of the ledger file, for read-only verification. */
  ledgerPath(): string;
  /**
   * Custody as of now, cheaply: the shared incremental verifier (new entries, new checkpoints
   * including the vault's copies, a full pass hourly or on any anomaly). Heartbeats, `status` and the
   * App Home use it; `maos ledger verify` always runs the full verification. `periodic: false` (status)
   * skips a full pass that is only due by the schedule (see VerifyCallOptions).
   */
  custody(opts?: VerifyCallOptions): Promise<LedgerWatchReport>;
  vault(): Promise<Vault>;
  /** The vault's custody, checked incrementally from a verified mark kept in state.db (heartbeats). */
  vaultWatch(): VaultWatch;
  /** Memory Pack v1: the search index derived from the ledger and the vault (MAOS_HOME/memory.db). */
  memory(): MemoryIndex;
  hub(): AgentHub;
  providerFor(spec: string): Provider;
  runDeps(): Promise<RunDeps>;
  /**
   * Where runs execute: on this thread (the CLI, the shell, tests), or on the run worker threads the
   * bot starts at boot (createApp's `runWorkers`), so a run's CPU never delays a Slack ack.
   */
  runExecutor(): RunExecutor;
  /**
   * Settles runs a stopped process left without RUN_SEALED (once per start): sealed late when their
   * folder was committed or is complete, else aborted. See reconcileRuns.
   */
  reconcileRuns(): Promise<Reconciliation>;
  /** reconcileRuns, returning the correlation ids of the runs it marked aborted. */
  recoverAbortedRuns(): Promise<string[]>;
  close(): Promise<void>;
}
