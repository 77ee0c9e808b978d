import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { compactUtc } from "../core/timestamps.ts";
import type { SharedSealing } from "./sharedRemote.ts";
import type { SealJson } from "./vaultFiles.ts";

export interface SealedRun {
  runId: string;
  /** Absolute path of the run folder. */
  dir: string;
  /** The run folder relative to the vault, e.g. `runs/20261121T150000Z-marketing_ops-1a2b3c4d`. */
  relPath: string;
  commit: string;
  seal: SealJson;
  pushed: boolean | "no-remote";
}

export interface VaultLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export interface VaultOpenOptions {
  dir: string;
  clock: Clock;
  /** Path to an SSH private key: commits are signed with gpg.format=ssh. */
  signingKey?: string;
  /** URL or path pushed to after each seal; never written into .git/config (it may carry a token). */
  remote?: string;
  log?: VaultLog;
  /** Default 3. */
  pushAttempts?: number;
  /**
   * Awaited before every `commitFiles` (heartbeat checkpoints, snapshots, MVP seal documents): the app
   * records the signing key in the ledger there, so a process that commits without sealing a run still
   * records a change of key (or that signing is off) before its first commit.
   */
  beforeCommit?: () => Promise<void>;
  /**
   * Several replicas (each its own MAOS_HOME) share the vault through `remote` (required): every write
   * (a seal, a document commit, a late seal, the first commit) runs under `lock`, a cluster-wide lock
   * (withAdvisoryLock in src/state/pg), and inside it fetches the remote, fast-forwards to it, commits and
   * pushes; a push that fails undoes the local commit and the write fails naming MAOS_VAULT_REMOTE.
   */
  shared?: SharedSealing;
}

/** The newest signed ledger checkpoint, staged after each one so that the vault's next commit carries it. */
export const VAULT_CHECKPOINT_FILE = "checkpoints/latest.txt";
/** Stack names and run ids become folder names, so they are held to a portable file-name alphabet. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `YYYYMMDDTHHMMSSZ-<stack>-<first 8 chars of runId>`. */
export function runFolderName(runId: string, stack: string, startedAt: Date): string {
  if (!NAME_PATTERN.test(stack)) {
    throw new CodexError("STACK_INVALID", `stack name ${JSON.stringify(stack)} cannot name a vault folder`, {
      hint: "stack names may use letters, digits, '_', '.' and '-' and must start with a letter or digit",
    });
  }
  if (!NAME_PATTERN.test(runId)) {
    throw new CodexError("REFUSED", `run id ${JSON.stringify(runId)} cannot name a vault folder`, {
      hint: "run ids may use letters, digits, '_', '.' and '-' (a UUID is fine)",
    });
  }
  if (Number.isNaN(startedAt.getTime())) {
    throw new CodexError("REFUSED", `run ${runId} has an invalid start time`, {
      hint: "pass the run's start as a valid Date",
    });
  }
  return `${compactUtc(startedAt)}-${stack}-${runId.slice(0, 8)}`;
}
