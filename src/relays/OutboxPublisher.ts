import { randomUUID } from "node:crypto";
import type { Awaitable } from "../core/awaitable.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidenceDraft, EvidenceItem, EvidencePublisher } from "./EvidencePublisher.ts";
import type { QueuedEvidenceBody, SinkName } from "./evidenceBody.ts";
import { storeItem } from "./evidenceBody.ts";
import { asDrafts, type EvidenceRecord, recordBase, withEvidence } from "./evidenceRecord.ts";

/** A row for Ledger.append to insert into the outbox in the same transaction as its entry. */
export interface OutboxInsert {
  sink: string;
  body: string;
}

/** The part of the Ledger the publisher needs: an append that takes outbox rows along. */
export interface QueueingLedger {
  append(e: LedgerAppend, opts?: { outbox?: readonly OutboxInsert[] }): Promise<LedgerEntry>;
}

export interface OutboxPublisherOptions {
  ledger: QueueingLedger;
  /** The sinks configured for this item (Slack needs a channel; Notion and Teamwork their ids). */
  sinksFor: (
    item: Pick<EvidenceDraft, "channel" | "threadKey">,
  ) => Awaitable<{ sinks: SinkName[]; off: string[] }>;
  environment: string;
  /** The seal version in force now: names the Teamwork task of items without their own. */
  sealVersion: () => Awaitable<string>;
  /** Exact secret values, scrubbed from everything stored. */
  secrets: () => readonly string[];
  /**
   * Rows were queued: a process running the dispatcher delivers now and resolves after that one pass
   * (failures are left to its retries), so evidence shows up as the kernel goes; elsewhere undefined.
   */
  deliverNow?: () => Promise<unknown> | undefined;
  /** Shows the item where the operator is (the shell prints it). */
  echo?: (item: EvidenceItem) => void;
}

/**
 * The evidence publisher of the relays: the causing entry and each item's outbox rows (one per
 * configured sink, referencing the entry's seq) are written in ONE SQLite transaction, so a crash keeps
 * both or neither; the entry's payload.evidence records each item's key and sinks, or, with no sink
 * configured, which sinks are off and why. Then the dispatcher is woken. Delivery happens later, with
 * retries, and survives restarts; publish itself only fails when the ledger cannot be written.
 */
export class OutboxPublisher implements EvidencePublisher {
  readonly #o: OutboxPublisherOptions;

  constructor(opts: OutboxPublisherOptions) {
    this.#o = opts;
  }

  async publish(items: EvidenceDraft | readonly EvidenceDraft[], cause: LedgerAppend): Promise<LedgerEntry> {
    const drafts = asDrafts(items);
    const secrets = this.#o.secrets();
    const records: EvidenceRecord[] = [];
    const rows: OutboxInsert[] = [];
    for (const draft of drafts) {
      const stored = storeItem(draft, secrets);
      const { sinks, off } = await this.#o.sinksFor(draft);
      const base = recordBase(stored);
      if (sinks.length === 0) {
        records.push({ ...base, sinks: [], reason: `no evidence sink is configured: ${off.join("; ")}` });
        continue;
      }
      const body: QueuedEvidenceBody = {
        v: 1,
        key: randomUUID(),
        environment: this.#o.environment,
        sealVersion: await this.#o.sealVersion(),
        item: stored,
      };
      const text = JSON.stringify(body);
      for (const sink of sinks) rows.push({ sink, body: text });
      records.push({ ...base, key: body.key, sinks, ...(off.length > 0 ? { off } : {}) });
    }
    const entry = await this.#o.ledger.append(
      withEvidence(cause, records),
      rows.length > 0 ? { outbox: rows } : undefined,
    );
    if (rows.length > 0) await this.#o.deliverNow?.()?.catch(() => undefined);
    for (const draft of drafts) this.#o.echo?.({ ...draft, ledgerSeq: entry.seq });
    return entry;
  }
}
