import type { EvidenceBody, SinkName } from "./evidenceBody.ts";

/** What a sink knows about an item's earlier attempts, and how it records progress as it goes. */
export interface DeliveryContext {
  /** Tries so far, this one included: above 1, an earlier try may have reached the service. */
  attempt: number;
  /** The remote id an earlier try stored (a Notion page, a Teamwork task or comment, a Slack ts). */
  remoteId: string | undefined;
  /** Sink-specific progress an earlier try stored (blocks appended, messages posted). */
  progress: unknown;
  /**
   * Persists the remote id and progress; awaited before the next remote call, so a crash after this
   * point never repeats the step (on PostgreSQL the write is a round trip).
   */
  save(remoteId: string | undefined, progress: unknown): Promise<void>;
}

export interface Delivered {
  remoteId: string;
  /** Extra fields for the EVIDENCE_POSTED ledger entry (a Slack channel and ts, a Notion url). */
  details?: Record<string, unknown>;
}

/** One destination of the evidence outbox. `deliver` throws DeliveryError (or anything: retried). */
export interface EvidenceSink {
  readonly name: SinkName;
  deliver(body: EvidenceBody, ctx: DeliveryContext): Promise<Delivered>;
}
