import type { Reply } from "../core/Reply.ts";

/** What a piece of evidence is about; the outbox of the evidence relays routes on this. */
export type EvidenceKind = "activation" | "seal" | "incident" | "snapshot" | "drift";

/**
 * One piece of evidence (activation start/success, drift alert/recovery, seal confirmation, incidents,
 * the daily summary), in every form a sink needs: Slack shows `reply`, Notion and Teamwork take
 * `markdown`. `ledgerSeq` is the ledger entry it stands for, so every sink can cross-link to it.
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
}

/**
 * Where evidence goes. This build posts to Slack (SlackEvidencePublisher) or only notes it in the
 * ledger (LedgerNotePublisher); the durable outbox of the evidence relays replaces both behind this
 * interface. `publish` must not throw for a sink being down: it records the failure and returns.
 */
export interface EvidencePublisher {
  publish(item: EvidenceItem): Promise<void>;
}
