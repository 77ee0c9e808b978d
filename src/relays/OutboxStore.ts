import type { Awaitable } from "../ledger/LedgerStore.ts";
import type { SinkName } from "./evidenceBody.ts";
import type { OutboxCounts, OutboxRow } from "./Outbox.ts";

/**
 * The evidence outbox's store, whichever backend holds it: `Outbox` (the table in ledger.db, answering
 * at once) and `PgOutbox` (the table in the shared PostgreSQL ledger, answering later) both are one.
 * The dispatcher awaits every call, so it delivers from either.
 */
export interface OutboxStore {
  get(id: number): Awaitable<OutboxRow | undefined>;
  head(sink: SinkName): Awaitable<OutboxRow | undefined>;
  claim(id: number, owner: string, leaseMs?: number): Awaitable<boolean>;
  startAttempt(id: number): Awaitable<number>;
  saveProgress(id: number, remoteId: string | undefined, progress: unknown): Awaitable<void>;
  delivered(id: number, remoteId: string): Awaitable<void>;
  retryLater(id: number, atMs: number, error: string, failedAtMs?: number): Awaitable<void>;
  deadLetter(id: number, error: string): Awaitable<void>;
  redrive(ids?: readonly number[]): Awaitable<OutboxRow[]>;
  deadLetters(limit?: number): Awaitable<OutboxRow[]>;
  pending(limit?: number): Awaitable<OutboxRow[]>;
  byLedgerSeq(seq: number): Awaitable<OutboxRow[]>;
  deliveredSince(sink: SinkName, sinceUtc: string): Awaitable<number>;
  counts(): Awaitable<OutboxCounts>;
}
