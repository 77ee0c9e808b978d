import { randomUUID } from "node:crypto";
import type { EvidenceItem, EvidencePublisher } from "../autonomy/EvidencePublisher.ts";
import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import { type EvidenceBody, type SinkName, storeItem } from "./evidenceBody.ts";

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
  sinksFor: (item: EvidenceItem) => { sinks: SinkName[]; off: string[] };
  environment: string;
  /** The seal version in force now: names the Teamwork task of items without their own. */
  sealVersion: () => string;
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
 * The evidence publisher of the relays: each item is written to the outbox (one row per configured
 * sink) in the same SQLite transaction as the EVIDENCE_QUEUED ledger entry that records it, then the
 * dispatcher is woken. Delivery happens later, with retries, and survives restarts; publish itself
 * only fails when the ledger cannot be written. With no sink configured the item is noted in the ledger
 * (EVIDENCE_NOTED), saying which sinks are off and why.
 */
export class OutboxPublisher implements EvidencePublisher {
  readonly #o: OutboxPublisherOptions;

  constructor(opts: OutboxPublisherOptions) {
    this.#o = opts;
  }

  async publish(item: EvidenceItem): Promise<void> {
    const secrets = this.#o.secrets();
    const stored = storeItem(item, secrets);
    const { sinks, off } = this.#o.sinksFor(item);
    const common = {
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: item.correlationId,
      ...(item.sealVersion ? { sealVersion: item.sealVersion } : {}),
    };
    const payload = {
      kind: stored.kind,
      title: stored.title,
      ledgerSeq: item.ledgerSeq,
      channel: item.channel,
      ...(stored.threadKey ? { threadKey: stored.threadKey } : {}),
    };
    if (sinks.length === 0) {
      await this.#o.ledger.append({
        eventType: "EVIDENCE_NOTED",
        level: "info",
        ...common,
        payload: { ...payload, delivered: [], reason: `no evidence sink is configured: ${off.join("; ")}` },
      });
    } else {
      const body: EvidenceBody = {
        v: 1,
        key: randomUUID(),
        environment: this.#o.environment,
        sealVersion: this.#o.sealVersion(),
        item: stored,
      };
      const text = JSON.stringify(body);
      await this.#o.ledger.append(
        {
          eventType: "EVIDENCE_QUEUED",
          level: "info",
          ...common,
          payload: { ...payload, key: body.key, sinks, ...(off.length > 0 ? { off } : {}) },
        },
        { outbox: sinks.map((sink) => ({ sink, body: text })) },
      );
      await this.#o.deliverNow?.()?.catch(() => undefined);
    }
    this.#o.echo?.(item);
  }
}
