import type { LedgerHandle } from "../../ledger/LedgerHandle.ts";
import type { LedgerEntry } from "../../ledger/ledgerEntry.ts";
import type { RunState } from "./queueData.ts";

/** How far back a run id is looked for among RUN_STARTED entries. */
const SCAN = 2000;

/**
 * What the ledger says of a run id, for the run queue's retries: RUN_SEALED (sealed), RUN_ABORTED
 * (aborted), RUN_STARTED only (open: its process may be dead), or no RUN_STARTED (unknown: it never
 * began). Reads the replica's local copy; on a shared ledger, refresh it first.
 */
export function ledgerRunState(
  ledger: Pick<LedgerHandle, "query" | "byCorrelation">,
  runId: string,
): RunState {
  const thread = runThread(ledger, runId);
  if (!thread) return "unknown";
  if (thread.some((e) => e.eventType === "RUN_SEALED")) return "sealed";
  if (thread.some((e) => e.eventType === "RUN_ABORTED")) return "aborted";
  return "open";
}

/** Every entry of a run's correlation thread, oldest first; undefined when no recent RUN_STARTED names it. */
export function runThread(
  ledger: Pick<LedgerHandle, "query" | "byCorrelation">,
  runId: string,
): LedgerEntry[] | undefined {
  const started = ledger
    .query({ eventType: "RUN_STARTED", newestFirst: true, limit: SCAN })
    .find((e) => runIdOf(e) === runId);
  return started ? ledger.byCorrelation(started.correlationId) : undefined;
}

/** The run id an entry of a run's thread names (its payload's runId). */
export function runIdOf(e: LedgerEntry): unknown {
  return (e.payload as { runId?: unknown }).runId;
}
