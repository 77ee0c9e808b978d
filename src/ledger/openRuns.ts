import type { LedgerEntry } from "./ledgerEntry.ts";
import type { LedgerQuery } from "./ledgerTypes.ts";

const TERMINAL_RUN = ["RUN_COMPLETED", "RUN_FAILED", "RUN_ABORTED", "RUN_CANCELLED"] as const;

/**
 * Runs whose RUN_STARTED has no completed, failed, aborted or cancelled entry yet, among the 50 newest
 * (the load signal's queue depth): a bounded read however long the history.
 */
export function openRunCount(query: (filters: LedgerQuery) => LedgerEntry[]): number {
  const ended = new Set<string>();
  for (const type of TERMINAL_RUN)
    for (const e of query({ eventType: type, newestFirst: true, limit: 200 })) ended.add(e.correlationId);
  return query({ eventType: "RUN_STARTED", newestFirst: true, limit: 50 }).filter(
    (e) => !ended.has(e.correlationId),
  ).length;
}
