import type { Awaitable } from "../core/awaitable.ts";
import type { ApprovalRecord, ApprovalStatus, NewApproval } from "./tables/approvals.ts";
import type { ClientRow } from "./tables/clients.ts";
import type { IncidentRow, IncidentStatus, NewIncident } from "./tables/incidents.ts";

/**
 * The operational state as the rest of the system may use it, whichever backend holds it: `StateStore`
 * (SQLite, MAOS_HOME/state.db, answers at once) and `PgStateStore` (PostgreSQL, DATABASE_URL, answers
 * with a Promise) both are one, so a caller awaits every call and works on both. Only these methods:
 * each store's table modules (its `events`, `values`, … fields) are its own implementation, not part
 * of the seam. No transaction(f) either, as one cannot span awaits: `updateValue` is the
 * read-decide-write both offer (the loop lease's, src/autonomy/loopLease.ts).
 */
export interface StateApi {
  schemaVersion(): Awaitable<number>;
  close(): Awaitable<void>;

  // Slack events.
  claimEvent(eventId: string, retentionMs?: number): Awaitable<boolean>;
  hasEvent(eventId: string): Awaitable<boolean>;
  pruneEvents(retentionMs?: number): Awaitable<number>;

  // Slack requests in the replay window.
  claimSlackRequest(key: string, windowMs: number): Awaitable<{ first: boolean; replays: number }>;

  // Cancel requests.
  requestCancel(runId: string, by: string, via: string): Awaitable<boolean>;
  cancelRequest(runId: string): Awaitable<{ by: string; at: string; via: string } | undefined>;

  // Approvals.
  insertApproval(a: NewApproval): Awaitable<ApprovalRecord>;
  getApproval(id: string): Awaitable<ApprovalRecord | undefined>;
  findApprovalByMessage(channel: string, ts: string): Awaitable<ApprovalRecord | undefined>;
  addApprovalMessage(id: string, channel: string, ts: string): Awaitable<void>;
  approvalMessages(id: string): Awaitable<{ channel: string; ts: string }[]>;
  listApprovals(opts?: { status?: ApprovalStatus; limit?: number }): Awaitable<ApprovalRecord[]>;
  attachMessage(id: string, channel: string, ts: string): Awaitable<ApprovalRecord>;
  transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision?: { by?: string; byKey?: string; via?: string },
  ): Awaitable<ApprovalRecord | undefined>;

  // Small current values, by key.
  getValue<T>(key: string): Awaitable<T | undefined>;
  setValue(key: string, value: unknown): Awaitable<void>;
  deleteValue(key: string): Awaitable<void>;
  /** Reads, decides and writes one value atomically; true when this call wrote. */
  updateValue<T>(key: string, decide: (current: T | undefined) => T | undefined): Awaitable<boolean>;

  // Incidents.
  insertIncident(i: NewIncident): Awaitable<IncidentRow>;
  getIncident(id: string): Awaitable<IncidentRow | undefined>;
  listIncidents(opts?: { status?: IncidentStatus; limit?: number }): Awaitable<IncidentRow[]>;
  setIncidentOpenedSeq(id: string, seq: number): Awaitable<void>;
  setIncidentApproval(id: string, approvalId: string): Awaitable<void>;
  resolveIncident(id: string, resolution: string, by: string): Awaitable<boolean>;

  // Seals.
  insertSeal(version: string, record: unknown): Awaitable<void>;
  latestSeal<T>(version?: string): Awaitable<{ version: string; record: T; sealedAt: string } | undefined>;

  // Evidence threads.
  getThread(threadKey: string): Awaitable<{ channel: string; ts: string } | undefined>;
  setThread(threadKey: string, channel: string, ts: string): Awaitable<void>;

  // The client matrix.
  replaceClients(
    rows: readonly { key: string; name: string; pageId: string; record: unknown }[],
  ): Awaitable<void>;
  listClients<T = unknown>(): Awaitable<ClientRow<T>[]>;
}
