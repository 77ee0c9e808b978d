import type { AgentHub } from "../agents/AgentHub.ts";
import type { Provider } from "../agents/Provider.ts";
import type { Actor } from "../core/Actor.ts";
import type { Awaitable } from "../core/awaitable.ts";
import type { Clock } from "../core/clock.ts";
import type { Evaluation } from "../evaluator/evaluateRun.ts";
import type { Charter } from "../governance/charter.ts";
import type { Checkpoint } from "../ledger/Ledger.ts";
import type { LedgerHandle } from "../ledger/LedgerHandle.ts";
import type { MemoryHit } from "../memory/MemoryIndex.ts";
import type { Stack } from "../stacks/index.ts";
import type { Vault } from "../vault/Vault.ts";

export interface RunDeps {
  ledger: LedgerHandle;
  hub: AgentHub;
  vault: Vault;
  charter: Charter;
  clock: Clock;
  /** Builds (or reuses) the provider for a per-agent or --provider override. */
  providerFor(spec: string): Provider;
  /** Exact values (API keys, tokens) that must never be written anywhere. */
  secrets: readonly string[];
  /** Told of each checkpoint the run signs (the app keeps the newest outside ledger.db). */
  onCheckpoint?: (cp: Checkpoint) => Awaitable<void>;
  /** A cancel request on file for the run (state.db: `maos cancel`, `/codex cancel` from any process). */
  cancelRequest?: (runId: string) => Awaitable<{ by: string; via: string } | undefined>;
  /**
   * Replicas: throws when the run was settled elsewhere while this replica could not reach the database
   * (another replica's worker aborted it and ran the job again), so its folder is never sealed too.
   * Called inside the vault's cluster lock, before the seal commit.
   */
  beforeSeal?: (correlationId: string) => Promise<void>;
  /** The most relevant memory for a task (Memory Pack v1), each item with its ledger seq. */
  recall?: (query: string, stack: string) => Promise<MemoryHit[]>;
}

/** What memory a run put in its agents' prompts: the digest and run.json list it. */
export interface MemoryUse {
  seq: number;
  kind: string;
  vaultPath: string | null;
  agents: string[];
}

export interface RunRequest {
  stack: Stack;
  inputs: Record<string, string>;
  actor: Actor;
  /** `--provider SPEC`: the prime for every step of this run. */
  provider?: string | undefined;
  /**
   * Aborting it cancels the run between agents (an in-process handle, e.g. the MCP adapter's); its
   * `reason`, when a string, names who cancelled.
   */
  signal?: AbortSignal | undefined;
  /**
   * The run's id, when the caller assigns it (the run queue records each attempt's id before the run
   * starts, so a replica killed mid-run leaves a run it can name); otherwise a fresh one.
   */
  runId?: string | undefined;
  /** Inputs already redacted upstream (the run queue screens before a job is stored), for RUN_STARTED. */
  inputsRedacted?: { input: string; patterns: string[] }[] | undefined;
  /** Called with the run id as soon as it exists, so the caller can offer a way to cancel it. */
  onRunId?: ((runId: string) => void) | undefined;
}

export interface StepSummary {
  agent: string;
  role: string;
  status: "completed" | "failed" | "skipped";
  provider: string;
  model: string;
  attempts: number;
  tokens: { input: number; output: number };
  ms: number;
  file?: string;
  error?: string;
}

/** The result every adapter renders; its fields are the contract's `maos run --json`. */
export interface RunSummary {
  runId: string;
  correlationId: string;
  stack: string;
  status: "completed" | "failed" | "cancelled";
  score: number;
  pass: boolean;
  steps: StepSummary[];
  evaluation: Evaluation | undefined;
  lessonsApplied: string[];
  memoryUsed: readonly MemoryUse[];
  vault: { path: string; commit: string; pushed: boolean | "no-remote" };
  seal: { root: string };
  ledger: { size: number; head: string };
  startedAt: string;
  finishedAt: string;
  ms: number;
  error?: { code: string; message: string };
  /** Who cancelled the run and how (status "cancelled"). */
  cancelled?: { by: string; via: string };
}
