import { CodexError } from "../core/CodexError.ts";
import type { MirroredLedger } from "../ledger/pg/MirroredLedger.ts";

/**
 * Replicas: before a run's seal (inside the vault's cluster lock), the shared ledger is read again; a run
 * another replica's worker already aborted (this replica was cut off from the database, its job was
 * retried elsewhere) is not sealed, so a job never completes twice.
 */
export function refuseIfSettledElsewhere(ledger: MirroredLedger): (correlationId: string) => Promise<void> {
  return async (correlationId) => {
    await ledger.refresh();
    const aborted = ledger.byCorrelation(correlationId).find((e) => e.eventType === "RUN_ABORTED");
    if (!aborted) return;
    const reason = (aborted.payload as { reason?: unknown }).reason;
    throw new CodexError(
      "REFUSED",
      `this run was settled by another replica while this one could not reach the database (RUN_ABORTED at seq ${aborted.seq}${typeof reason === "string" ? `: ${reason}` : ""}); its outputs are not sealed`,
      {
        hint: "the run queue ran the job again on another replica: see /codex status for its result",
        details: { settledElsewhere: true },
      },
    );
  };
}
