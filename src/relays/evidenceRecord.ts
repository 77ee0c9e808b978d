import { CodexError } from "../core/CodexError.ts";
import type { EvidenceRecord } from "../ledger/events.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidenceDraft } from "./EvidencePublisher.ts";

/**
 * What a causing ledger entry records about one evidence item, in its payload's `evidence` list (the
 * shape is the ledger catalogue's, where readers of the entry find it too).
 */
export type { EvidenceRecord };

/** The payload field of a causing entry that holds its EvidenceRecords. */
export const EVIDENCE_FIELD = "evidence";

export function asDrafts(items: EvidenceDraft | readonly EvidenceDraft[]): readonly EvidenceDraft[] {
  return Array.isArray(items) ? items : [items as EvidenceDraft];
}

/** The record fields every publisher writes, from the item (title as given: scrub it before if needed). */
export function recordBase(
  d: Pick<EvidenceDraft, "kind" | "title" | "channel" | "threadKey">,
): Omit<EvidenceRecord, "sinks"> {
  return {
    kind: d.kind,
    title: d.title,
    channel: d.channel,
    ...(d.threadKey ? { threadKey: d.threadKey } : {}),
  };
}

/** `cause` with `records` under its payload's `evidence`; unchanged when there are none. */
export function withEvidence(cause: LedgerAppend, records: readonly EvidenceRecord[]): LedgerAppend {
  if (records.length === 0) return cause;
  const payload = cause.payload ?? {};
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new CodexError(
      "INTERNAL",
      `${cause.eventType}: evidence needs an object payload to record itself in`,
      {
        hint: "give the causing ledger entry a payload object",
      },
    );
  }
  if (EVIDENCE_FIELD in payload) {
    throw new CodexError("INTERNAL", `${cause.eventType}: the payload already has an "evidence" field`, {
      hint: "rename that field; the evidence publisher records its items under payload.evidence",
    });
  }
  return { ...cause, payload: { ...payload, [EVIDENCE_FIELD]: records } };
}

/** The evidence an entry caused, as its payload records it (none for entries without evidence). */
export function evidenceRecords(e: LedgerEntry | undefined): EvidenceRecord[] {
  const p = e?.payload;
  if (!p || typeof p !== "object") return [];
  const list = (p as Record<string, unknown>)[EVIDENCE_FIELD];
  return Array.isArray(list)
    ? list.filter((r): r is EvidenceRecord => typeof r === "object" && r !== null && Array.isArray(r.sinks))
    : [];
}
