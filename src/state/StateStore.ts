import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { migrate } from "./migrations.ts";
import type { StateApi } from "./StateApi.ts";
import { type ApprovalRecord, type ApprovalStatus, Approvals, type NewApproval } from "./tables/approvals.ts";
import { type ClientRow, Clients } from "./tables/clients.ts";
import { EvidenceThreads } from "./tables/evidenceThreads.ts";
import { type IncidentRow, type IncidentStatus, Incidents, type NewIncident } from "./tables/incidents.ts";
import { RunCancels } from "./tables/runCancels.ts";
import { Seals } from "./tables/seals.ts";
import { EVENT_RETENTION_MS, SlackEvents } from "./tables/slackEvents.ts";
import { SlackRequests } from "./tables/slackRequests.ts";
import { cachedStatements } from "./tables/table.ts";
import { Values } from "./tables/values.ts";

export { STATE_SCHEMA_VERSION } from "./migrations.ts";
export type { StateApi } from "./StateApi.ts";
export { type StateKey, stateKey } from "./stateKey.ts";
export type { ApprovalRecord, ApprovalStatus, NewApproval } from "./tables/approvals.ts";
export type { ClientRow } from "./tables/clients.ts";
export type { IncidentRow, IncidentStatus, NewIncident } from "./tables/incidents.ts";
export { EVENT_RETENTION_MS } from "./tables/slackEvents.ts";

/**
 * Mutable operational state that is not the ledger (`MAOS_HOME/state.db`): Slack event ids already
 * processed, approval requests, incidents, seals and the like. The ledger records what happened; this
 * records what is current. Opens the database and runs the migrations (migrations.ts); each table is
 * its own module (tables/), reachable as a field, and the methods below are the same calls by their
 * long-standing names. better-sqlite3 is synchronous, so each method is atomic within the process.
 * The app holds it as StateApi (StateApi.ts) and awaits every call, so PgStateStore can take its place.
 */
export class StateStore implements StateApi {
  readonly #db: Database.Database;
  /** `processed_events`. */
  readonly events: SlackEvents;
  /** `slack_requests`. */
  readonly slackRequests: SlackRequests;
  /** `run_cancels`. */
  readonly cancels: RunCancels;
  /** `approvals` and `approval_messages`. */
  readonly approvals: Approvals;
  /** `autonomy_kv`, by typed key. */
  readonly values: Values;
  /** `incidents`. */
  readonly incidents: Incidents;
  /** `seals`. */
  readonly seals: Seals;
  /** `evidence_threads`. */
  readonly threads: EvidenceThreads;
  /** `clients`. */
  readonly clients: Clients;

  private constructor(db: Database.Database, clock: Clock) {
    this.#db = db;
    const t = { db: cachedStatements(db), clock };
    this.events = new SlackEvents(t);
    this.slackRequests = new SlackRequests(t);
    this.cancels = new RunCancels(t);
    this.approvals = new Approvals(t);
    this.values = new Values(t);
    this.incidents = new Incidents(t);
    this.seals = new Seals(t);
    this.threads = new EvidenceThreads(t);
    this.clients = new Clients(t);
  }

  static open(path: string, clock: Clock): StateStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      // The timeout first: another process may be creating or migrating the same file right now.
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
      migrate(db);
    } catch (cause) {
      db?.close();
      if (cause instanceof CodexError) throw cause;
      throw new CodexError("CONFIG_INVALID", `cannot open the state database ${path}`, {
        hint: "check that MAOS_HOME is writable and that state.db is a SQLite database (it may be deleted: it holds no history)",
        cause,
      });
    }
    return new StateStore(db, clock);
  }

  schemaVersion(): number {
    return this.#db.pragma("user_version", { simple: true }) as number;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // Slack events (tables/slackEvents.ts).
  claimEvent(eventId: string, retentionMs: number = EVENT_RETENTION_MS): boolean {
    return this.events.claim(eventId, retentionMs);
  }
  hasEvent(eventId: string): boolean {
    return this.events.has(eventId);
  }
  pruneEvents(retentionMs: number = EVENT_RETENTION_MS): number {
    return this.events.prune(retentionMs);
  }

  // Slack requests in the replay window (tables/slackRequests.ts).
  claimSlackRequest(key: string, windowMs: number): { first: boolean; replays: number } {
    return this.slackRequests.claim(key, windowMs);
  }

  // Cancel requests (tables/runCancels.ts).
  requestCancel(runId: string, by: string, via: string): boolean {
    return this.cancels.request(runId, by, via);
  }
  cancelRequest(runId: string): { by: string; at: string; via: string } | undefined {
    return this.cancels.get(runId);
  }

  // Approvals (tables/approvals.ts).
  insertApproval(a: NewApproval): ApprovalRecord {
    return this.approvals.insert(a);
  }
  getApproval(id: string): ApprovalRecord | undefined {
    return this.approvals.get(id);
  }
  findApprovalByMessage(channel: string, ts: string): ApprovalRecord | undefined {
    return this.approvals.findByMessage(channel, ts);
  }
  addApprovalMessage(id: string, channel: string, ts: string): void {
    this.approvals.addMessage(id, channel, ts);
  }
  approvalMessages(id: string): { channel: string; ts: string }[] {
    return this.approvals.messages(id);
  }
  listApprovals(opts: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRecord[] {
    return this.approvals.list(opts);
  }
  attachMessage(id: string, channel: string, ts: string): ApprovalRecord {
    return this.approvals.attachMessage(id, channel, ts);
  }
  transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision: { by?: string; byKey?: string; via?: string } = {},
  ): ApprovalRecord | undefined {
    return this.approvals.transition(id, from, to, decision);
  }

  // Small current values (tables/values.ts); `values.get(key)` is the typed form.
  getValue<T>(key: string): T | undefined {
    return this.values.read(key) as T | undefined;
  }
  setValue(key: string, value: unknown): void {
    this.values.write(key, value);
  }
  deleteValue(key: string): void {
    this.values.remove(key);
  }
  /** Reads, decides and writes one value atomically (Values.modify); PgStateStore has the same call. */
  updateValue<T>(key: string, decide: (current: T | undefined) => T | undefined): boolean {
    return this.values.modify(key, decide as (current: unknown) => unknown);
  }

  // Incidents (tables/incidents.ts).
  insertIncident(i: NewIncident): IncidentRow {
    return this.incidents.insert(i);
  }
  getIncident(id: string): IncidentRow | undefined {
    return this.incidents.get(id);
  }
  listIncidents(opts: { status?: IncidentStatus; limit?: number } = {}): IncidentRow[] {
    return this.incidents.list(opts);
  }
  setIncidentOpenedSeq(id: string, seq: number): void {
    this.incidents.setOpenedSeq(id, seq);
  }
  setIncidentApproval(id: string, approvalId: string): void {
    this.incidents.setApproval(id, approvalId);
  }
  resolveIncident(id: string, resolution: string, by: string): boolean {
    return this.incidents.resolve(id, resolution, by);
  }

  // Seals (tables/seals.ts).
  insertSeal(version: string, record: unknown): void {
    this.seals.insert(version, record);
  }
  latestSeal<T>(version?: string): { version: string; record: T; sealedAt: string } | undefined {
    return this.seals.latest<T>(version);
  }

  // Evidence threads (tables/evidenceThreads.ts).
  getThread(threadKey: string): { channel: string; ts: string } | undefined {
    return this.threads.get(threadKey);
  }
  setThread(threadKey: string, channel: string, ts: string): void {
    this.threads.set(threadKey, channel, ts);
  }

  // The client matrix (tables/clients.ts).
  replaceClients(rows: readonly { key: string; name: string; pageId: string; record: unknown }[]): void {
    this.clients.replace(rows);
  }
  listClients<T = unknown>(): ClientRow<T>[] {
    return this.clients.list<T>();
  }
}
