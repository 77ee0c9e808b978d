import type { webApi } from "@slack/bolt";
import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { Logger } from "../core/logger.ts";
import type { Charter } from "../governance/charter.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { ChannelRateLimiter } from "../slack/channelRateLimiter.ts";
import { deliverReply, platformError } from "../slack/deliverReply.ts";
import type { StateStore } from "../state/StateStore.ts";
import type { EvidenceItem, EvidencePublisher } from "./EvidencePublisher.ts";

export interface SlackEvidencePublisherOptions {
  client: webApi.WebClient;
  /** The Slack app's limiter, so evidence shares each channel's one-message-a-second lane. */
  limiter: ChannelRateLimiter;
  log: Logger;
  charter: () => Charter;
  /** Where thread roots are remembered (state.db), so updates find their thread after a restart. */
  state: StateStore;
  ledger: { append(e: LedgerAppend): Promise<LedgerEntry> };
  /** A posted message carries Approve/Reject buttons (an incident): register it so reactions count. */
  onApprovalMessage?: (approvalId: string, channel: string, ts: string) => void;
}

/**
 * Slack SignalBot: posts evidence to the charter's channels (`signals`; `evidence` falls back to
 * `signals`). The first item with a threadKey opens a thread; later items with that key are replies
 * in it. Every post, and every failure to post, is a ledger entry; publish never throws.
 */
export class SlackEvidencePublisher implements EvidencePublisher {
  readonly #o: SlackEvidencePublisherOptions;

  constructor(opts: SlackEvidencePublisherOptions) {
    this.#o = opts;
  }

  async publish(item: EvidenceItem): Promise<void> {
    const { charter, state, log } = this.#o;
    const channels = charter().channels;
    const thread = item.threadKey ? state.getThread(item.threadKey) : undefined;
    const channel =
      thread?.channel ??
      (item.channel === "evidence" ? (channels.evidence ?? channels.signals) : channels.signals);
    if (!channel) {
      await this.#note(item, "EVIDENCE_NOTED", {
        delivered: [],
        reason: `no Slack channel for ${item.channel}: set channels.signals in ${charter().file}`,
      });
      return;
    }
    try {
      const ts = await deliverReply(
        { ...item.reply, ephemeral: false },
        { channel, user: "", threadTs: thread?.ts },
        {
          client: this.#o.client,
          limiter: this.#o.limiter,
          log,
          ...(this.#o.onApprovalMessage ? { onApprovalMessage: this.#o.onApprovalMessage } : {}),
        },
      );
      if (item.threadKey && !thread && ts) state.setThread(item.threadKey, channel, ts);
      await this.#note(item, "EVIDENCE_POSTED", {
        delivered: ["slack"],
        channel,
        ts: ts ?? null,
        ...(thread ? { threadTs: thread.ts } : {}),
      });
    } catch (err) {
      const reason = platformError(err) ?? (err instanceof Error ? err.message : String(err));
      log.warn({ err, kind: item.kind, channel }, "evidence: Slack post failed");
      await this.#note(item, "EVIDENCE_FAILED", { delivered: [], channel, reason }).catch(() => undefined);
    }
  }

  async #note(item: EvidenceItem, eventType: string, extra: Record<string, unknown>): Promise<void> {
    await this.#o.ledger.append({
      eventType,
      level: eventType === "EVIDENCE_FAILED" ? "warn" : "info",
      actor: actorIdentity(SYSTEM_ACTOR),
      correlationId: item.correlationId,
      ...(item.sealVersion ? { sealVersion: item.sealVersion } : {}),
      payload: {
        kind: item.kind,
        title: item.title,
        ledgerSeq: item.ledgerSeq,
        ...(item.threadKey ? { threadKey: item.threadKey } : {}),
        ...extra,
      },
    });
  }
}
