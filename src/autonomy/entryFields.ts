import type { LedgerEntry } from "../ledger/Ledger.ts";
import type { LedgerLink } from "./IncidentService.ts";

/** What an incident keeps of an entry it cites. */
export function link(e: LedgerEntry): LedgerLink {
  return { seq: e.seq, eventType: e.eventType, correlationId: e.correlationId };
}
