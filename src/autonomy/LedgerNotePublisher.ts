import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidenceDraft, EvidenceItem, EvidencePublisher } from "../relays/EvidencePublisher.ts";
import { asDrafts, recordBase, withEvidence } from "../relays/evidenceRecord.ts";

export interface LedgerNotePublisherOptions {
  ledger: { append(e: LedgerAppend): Promise<LedgerEntry> };
  /** Shows the item where the operator is (the shell prints it); nothing by default. */
  echo?: (item: EvidenceItem) => void;
  /** Why nothing is delivered, written into each note. */
  reason?: string;
}

/**
 * The publisher when no evidence relay is wired in: the causing entry is written with a note per item
 * (under payload.evidence) saying it was queued for no sink and why, and each item is echoed to the
 * operator, with the entry's seq, when an echo is given.
 */
export class LedgerNotePublisher implements EvidencePublisher {
  readonly #opts: LedgerNotePublisherOptions;

  constructor(opts: LedgerNotePublisherOptions) {
    this.#opts = opts;
  }

  async publish(items: EvidenceDraft | readonly EvidenceDraft[], cause: LedgerAppend): Promise<LedgerEntry> {
    const drafts = asDrafts(items);
    const reason =
      this.#opts.reason ?? "no evidence relay in this process: Slack, Notion and Teamwork are all off";
    const entry = await this.#opts.ledger.append(
      withEvidence(
        cause,
        drafts.map((d) => ({ ...recordBase(d), sinks: [], reason })),
      ),
    );
    for (const d of drafts) this.#opts.echo?.({ ...d, ledgerSeq: entry.seq });
    return entry;
  }
}
