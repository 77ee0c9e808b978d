import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { LedgerLink } from "./IncidentService.ts";

/** A ledger entry's payload as a record (empty when it has none). */
export function obj(e: LedgerEntry | undefined): Record<string, unknown> {
  const p = e?.payload;
  return p && typeof p === "object" ? (p as Record<string, unknown>) : {};
}

/** What an incident keeps of an entry it cites. */
export function link(e: LedgerEntry): LedgerLink {
  return { seq: e.seq, eventType: e.eventType, correlationId: e.correlationId };
}
