import path from "node:path";
import type { LedgerHandle } from "../../ledger/LedgerHandle.ts";
import type { Vault } from "../../vault/Vault.ts";
import type { RunSummary } from "../runTypes.ts";
import { runIdOf, runThread } from "./ledgerRunState.ts";

const ENDS = new Set(["RUN_COMPLETED", "RUN_FAILED", "RUN_CANCELLED"]);

/**
 * The summary of a run a replica sealed but died before reporting, read back from what its seal left:
 * the ledger's thread of the run (its end: status, score, pass; RUN_SEALED: the folder, the commit, the
 * seal's root) and the sealed folder's run.json and codex_evaluation.json as that commit holds them (a
 * shared vault is brought up to date with its remote first). So the person who asked sees the run's
 * result, not an error. Undefined when any part is missing: the caller then says where the result is.
 */
export async function sealedRunSummary(
  ledger: Pick<LedgerHandle, "query" | "byCorrelation">,
  vault: () => Promise<Pick<Vault, "dir" | "sync" | "readCommitted">>,
  runId: string,
): Promise<RunSummary | undefined> {
  const thread = runThread(ledger, runId);
  if (!thread) return undefined;
  const end = thread.find((e) => ENDS.has(e.eventType) && runIdOf(e) === runId);
  const sealed = thread.find((e) => e.eventType === "RUN_SEALED" && runIdOf(e) === runId);
  if (!end || !sealed) return undefined;
  const seal = sealed.payload as {
    vaultPath: string;
    commit: string;
    sealRoot: string | null;
    pushed: boolean | "no-remote";
  };
  const outcome = end.payload as { score: number; pass: boolean };
  const v = await vault();
  await v.sync();
  const runFile = `${seal.vaultPath}/run.json`;
  const evaluationFile = `${seal.vaultPath}/codex_evaluation.json`;
  const files = await v.readCommitted(seal.commit, [runFile, evaluationFile]);
  const runJson = files.get(runFile);
  if (runJson === undefined) return undefined;
  const run = JSON.parse(runJson) as RunRecord;
  const evaluation = files.get(evaluationFile);
  return {
    runId,
    correlationId: run.correlationId,
    stack: run.stack,
    status: run.status,
    score: outcome.score,
    pass: outcome.pass,
    steps: run.steps,
    evaluation: evaluation === undefined ? undefined : JSON.parse(evaluation),
    lessonsApplied: run.lessonsApplied,
    memoryUsed: run.memoryUsed,
    // Where this replica holds the folder, as a run it sealed itself reports it.
    vault: { path: path.join(v.dir, seal.vaultPath), commit: seal.commit, pushed: seal.pushed },
    seal: { root: seal.sealRoot ?? "" },
    ledger: { size: sealed.seq + 1, head: sealed.entryHash },
    startedAt: run.startedAtUtc,
    finishedAt: run.finishedAtUtc,
    ms: run.ms,
    ...(run.error ? { error: run.error } : {}),
    ...(run.cancelled ? { cancelled: run.cancelled } : {}),
  };
}

/** The fields of a sealed folder's run.json the summary takes (executor/sealRunFolder writes it). */
type RunRecord = Pick<
  RunSummary,
  | "correlationId"
  | "stack"
  | "status"
  | "steps"
  | "lessonsApplied"
  | "memoryUsed"
  | "ms"
  | "error"
  | "cancelled"
> & { startedAtUtc: string; finishedAtUtc: string };
