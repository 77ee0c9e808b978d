import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidenceItem, EvidencePublisher } from "./EvidencePublisher.ts";

export interface LedgerNotePublisherOptions {
  ledger: { append(e: LedgerAppend): Promise<LedgerEntry> };
  /** Shows the item where the operator is (the shell prints it); nothing by default. */
  echo?: (item: EvidenceItem) => void;
  /** Why nothing is delivered, written into each note. */
  reason?: string;
}

/**
 * The publisher when no chat surface runs (headless, the shell, the CLI): each item becomes an
 * EVIDENCE_NOTED ledger entry that says it was not delivered anywhere else, and is echoed to the
 * operator when an echo is given. The ledger entry it stands for is cross-linked by seq.
 */
export class LedgerNotePublisher implements EvidencePublisher {
  readonly #opts: LedgerNotePublisherOptions;

  constructor(opts: LedgerNotePublisherOptions) {
    this.#opts = opts;
  }

  async publish(item: EvidenceItem): Promise<void> {
    await this.#opts.ledger.append({
      eventType: "EVIDENCE_NOTED",
      level: "info",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: item.correlationId,
      ...(item.sealVersion ? { sealVersion: item.sealVersion } : {}),
      payload: {
        kind: item.kind,
        title: item.title,
        ledgerSeq: item.ledgerSeq,
        channel: item.channel,
        ...(item.threadKey ? { threadKey: item.threadKey } : {}),
        delivered: [],
        reason:
          this.#opts.reason ??
          "Slack is off (SLACK_BOT_TOKEN not set); Notion and Teamwork arrive with the evidence relays",
      },
    });
    this.#opts.echo?.(item);
  }
}
