import { isCodexError } from "../core/CodexError.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import { isRemoteUnreachable, type SealedRun, VAULT_CHECKPOINT_FILE } from "../vault/Vault.ts";
import { digestReport } from "./digestReport.ts";
import { asRunError, type RunScope, sumTokens } from "./runScope.ts";
import type { RunSummary } from "./runTypes.ts";

/** The run's result before its seal: everything RunSummary holds but the vault, seal and ledger heads. */
export type RunOutcome = Omit<RunSummary, "vault" | "seal" | "ledger">;

/**
 * Seals the run folder: the agents' files plus run.json, the evaluation and the digest report, committed
 * to the vault under the ledger's checkpoint (RUN_SEALED; RUN_ABORTED with the cause when the seal
 * fails, so no run is left in limbo). The checkpoint that then covers RUN_SEALED is staged in the vault
 * for the next commit.
 */
export async function sealRunFolder(
  scope: RunScope,
  run: { outcome: RunOutcome; files: Record<string, string>; startedAt: Date; finishedAt: Date },
): Promise<SealedRun> {
  const { deps, stack, scrub, append, onProgress } = scope;
  const { outcome, startedAt, finishedAt } = run;
  const files = { ...run.files };
  onProgress({ type: "sealing" });
  files["run.json"] = `${JSON.stringify(
    {
      runId: scope.runId,
      correlationId: scope.correlationId,
      stack: stack.name,
      stackFile: stack.file,
      stackHash: stack.hash,
      charterHash: deps.charter.hash,
      actor: scope.actor,
      status: outcome.status,
      inputs: scope.scrubbedInputs,
      providers: { prime: scope.primeSpec, backup: deps.hub.backup?.spec ?? null },
      startedAtUtc: utcIso(startedAt),
      startedAtCt: chicagoIso(startedAt),
      finishedAtUtc: utcIso(finishedAt),
      finishedAtCt: chicagoIso(finishedAt),
      ms: outcome.ms,
      tokens: sumTokens(outcome.steps),
      steps: outcome.steps,
      lessonsApplied: outcome.lessonsApplied,
      memoryUsed: outcome.memoryUsed,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.cancelled ? { cancelled: outcome.cancelled } : {}),
    },
    null,
    2,
  )}\n`;
  if (outcome.evaluation) files["codex_evaluation.json"] = `${JSON.stringify(outcome.evaluation, null, 2)}\n`;
  files["codex_digest_report.md"] = scrub(digestReport({ ...outcome, stackGoal: stack.goal, finishedAt }));

  const checkpoint = await deps.ledger.checkpoint();
  let sealed: SealedRun;
  try {
    sealed = await deps.vault.sealRun({
      runId: scope.runId,
      stack: stack.name,
      startedAt,
      files,
      ledger: {
        size: checkpoint.size,
        head: deps.ledger.head().hash,
        root: checkpoint.root,
        checkpoint: checkpoint.note,
      },
      ...(deps.beforeSeal
        ? { guard: () => (deps.beforeSeal as (c: string) => Promise<void>)(scope.correlationId) }
        : {}),
    });
  } catch (err) {
    // A shared vault whose remote did not answer kept the complete folder: the run stays open, and
    // reconcileRuns seals it late (RUN_SEALED, late) at the next start once the remote answers.
    if (isRemoteUnreachable(err) && err.details.keptRunFolder) throw err;
    // Settled by another replica (its RUN_ABORTED is the run's last word): nothing more to record.
    if (isCodexError(err) && (err.details as { settledElsewhere?: boolean } | undefined)?.settledElsewhere)
      throw err;
    // Never left in limbo: a run whose seal failed is settled here, with the cause.
    const e = asRunError(err);
    await append("RUN_ABORTED", { reason: `its seal failed: ${scrub(e.message)}`, code: e.code }, "error");
    throw err;
  }
  await append("RUN_SEALED", {
    vaultPath: sealed.relPath,
    commit: sealed.commit,
    sealRoot: sealed.seal.root,
    files: sealed.seal.files.length,
    pushed: sealed.pushed,
    checkpointSize: checkpoint.size,
  });
  await pausePoint("run:sealed");
  // Attest the entries written after the sealed checkpoint too (RUN_SEALED among them), and stage that
  // checkpoint in the vault: the next commit (the next run's seal, or the next heartbeat) carries it.
  const final = await deps.ledger.checkpoint();
  await deps.onCheckpoint?.(final);
  await deps.vault.stageFiles({ [VAULT_CHECKPOINT_FILE]: final.note });
  onProgress({ type: "sealed", path: sealed.dir, commit: sealed.commit });
  return sealed;
}
