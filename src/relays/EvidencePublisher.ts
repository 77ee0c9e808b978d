import type { Reply } from "../core/Reply.ts";
import type { EvidenceKind } from "../ledger/events.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";

/** What a piece of evidence is about; the outbox of the evidence relays routes on this. */
export type { EvidenceKind };

/**
 * One piece of evidence (activation start/success, drift alert/recovery, seal confirmation, incidents,
 * the daily summary), in every form a sink needs: Slack shows `reply`, Notion and Teamwork take
 * `markdown`. `ledgerSeq` is the ledger entry that caused it (written with it), so every sink can
 * cross-link to it.
 */
export interface EvidenceItem {
  kind: EvidenceKind;
  title: string;
  /** What Slack shows. */
  reply: Reply;
  /** The full body for Notion and Teamwork. */
  markdown: string;
  correlationId: string;
  ledgerSeq: number;
  sealVersion?: string;
  drift?: number;
  governanceStatus?: string;
  vaultCommit?: string;
  occurredAt: Date;
  channel: "signals" | "evidence";
  /** E.g. the incident id: the first item with a key opens a thread, later ones go in it. */
  threadKey?: string;
  /** The thread's first message as it now stands (an incident approved or resolved); Slack updates it in place. */
  rootReply?: Reply;
}

/**
 * An item before its causing entry exists: the publisher appends that entry and the item's seq is the
 * entry's. Its text therefore cannot quote that seq; sinks show `ledgerSeq` themselves.
 */
export type EvidenceDraft = Omit<EvidenceItem, "ledgerSeq">;

/**
 * Where evidence goes: the durable outbox of the evidence relays (OutboxPublisher) or, with no relays, a
 * note in the ledger (LedgerNotePublisher). `publish` appends `cause` (the entry the evidence is about:
 * ACTIVATION_STARTED, SEAL_CREATED, …) with every item recorded under its payload's `evidence`, and the
 * outbox rows in the same transaction, so a crash keeps both or neither. It resolves with the entry;
 * a sink being down never makes it fail, only a ledger that cannot be written does.
 */
export interface EvidencePublisher {
  publish(items: EvidenceDraft | readonly EvidenceDraft[], cause: LedgerAppend): Promise<LedgerEntry>;
}
