import { readdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { CodexError } from "../../core/CodexError.ts";
import type { Clock } from "../../core/clock.ts";
import { pgErrorText, pgLocation } from "../../core/pgLocation.ts";
import { migratePg } from "../../core/pgMigrate.ts";
import type { StateApi } from "../StateApi.ts";
import type { ApprovalRecord, ApprovalStatus, NewApproval } from "../tables/approvals.ts";
import type { ClientRow } from "../tables/clients.ts";
import type { IncidentRow, IncidentStatus, NewIncident } from "../tables/incidents.ts";
import { EVENT_RETENTION_MS } from "../tables/slackEvents.ts";
import { PgApprovals } from "./tables/approvals.ts";
import { PgClients } from "./tables/clients.ts";
import { PgEvidenceThreads } from "./tables/evidenceThreads.ts";
import { PgIncidents } from "./tables/incidents.ts";
import { PgRunCancels } from "./tables/runCancels.ts";
import { PgSeals } from "./tables/seals.ts";
import { PgSlackEvents } from "./tables/slackEvents.ts";
import { PgSlackRequests } from "./tables/slackRequests.ts";
import { PgValues } from "./tables/values.ts";

const MIGRATIONS = path.join(import.meta.dirname, "migrations");

/** The state schema this build writes on PostgreSQL: its newest migration file's number. */
export const PG_STATE_SCHEMA_VERSION = Math.max(
  0,
  ...readdirSync(MIGRATIONS)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .map((f) => Number(f.slice(0, 4))),
);

export interface PgStateStoreOptions {
  /** DATABASE_URL: postgres://user:password@host:port/database. */
  url: string;
  clock: Clock;
  /** Connections in the pool (each transaction holds one while it runs). */
  connections?: number;
}

/**
 * The operational state (what `state.db` holds) on PostgreSQL (`DATABASE_URL`), shared by every
 * replica: the same tables, the same methods by the same names, each returning a Promise. Each table is
 * its own module (tables/), reachable as a field. SQLite's store is atomic because one process writes
 * at a time; here every claim and transition is one statement or one transaction that holds while
 * other replicas run the same at the same moment: unique keys with `INSERT … ON CONFLICT` (a Slack
 * event or request delivered to two replicas is processed by one), `UPDATE … WHERE status = … RETURNING`
 * (one decider wins), `SELECT … FOR UPDATE` (`updateValue`, the compare-and-set the loop lease takes).
 * Migrations are plain SQL files (migrations/), applied with migratePg as component `state`.
 */
export class PgStateStore implements StateApi {
  /** The database, without its password: what messages name. */
  readonly path: string;
  readonly #pool: pg.Pool;
  /** `processed_events`. */
  readonly events: PgSlackEvents;
  /** `slack_requests`. */
  readonly slackRequests: PgSlackRequests;
  /** `run_cancels`. */
  readonly cancels: PgRunCancels;
  /** `approvals` and `approval_messages`. */
  readonly approvals: PgApprovals;
  /** `autonomy_kv`, by typed key. */
  readonly values: PgValues;
  /** `incidents`. */
  readonly incidents: PgIncidents;
  /** `seals`. */
  readonly seals: PgSeals;
  /** `evidence_threads`. */
  readonly threads: PgEvidenceThreads;
  /** `clients`. */
  readonly clients: PgClients;
  #closed = false;

  private constructor(pool: pg.Pool, clock: Clock, where: string) {
    this.#pool = pool;
    this.path = where;
    const t = { pool, clock, where };
    this.events = new PgSlackEvents(t);
    this.slackRequests = new PgSlackRequests(t);
    this.cancels = new PgRunCancels(t);
    this.approvals = new PgApprovals(t);
    this.values = new PgValues(t);
    this.incidents = new PgIncidents(t);
    this.seals = new PgSeals(t);
    this.threads = new PgEvidenceThreads(t);
    this.clients = new PgClients(t);
  }

  /** Connects and applies the state's migrations (once across replicas starting together). */
  static async open(opts: PgStateStoreOptions): Promise<PgStateStore> {
    const where = pgLocation(opts.url);
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.connections ?? 4,
      application_name: "maos-state",
    });
    // An idle pooled connection the server dropped must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    try {
      const client = await pool.connect().catch((cause: unknown) => {
        throw new CodexError("CONFIG_INVALID", `cannot connect to the state database ${where}`, {
          hint: `check DATABASE_URL and that PostgreSQL is up and reachable (${pgErrorText(cause).text})`,
          cause,
        });
      });
      try {
        await migratePg(client, "state", MIGRATIONS);
        const version = await schemaVersionOf(client);
        if (version > PG_STATE_SCHEMA_VERSION) {
          throw new CodexError(
            "CONFIG_INVALID",
            `the state in ${where} has schema version ${version}, newer than this build understands (${PG_STATE_SCHEMA_VERSION})`,
            {
              hint: "run the newer build on every replica, or point DATABASE_URL at the database this build created",
            },
          );
        }
      } finally {
        client.release();
      }
    } catch (cause) {
      await pool.end().catch(() => {});
      if (cause instanceof CodexError) throw cause;
      throw new CodexError("CONFIG_INVALID", `cannot open the state database ${where}`, {
        hint: `check that DATABASE_URL names a database this role may create tables in (${pgErrorText(cause).text})`,
        cause,
      });
    }
    return new PgStateStore(pool, opts.clock, where);
  }

  /** The newest state migration applied to the database. */
  async schemaVersion(): Promise<number> {
    return schemaVersionOf(this.#pool);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  // Slack events (tables/slackEvents.ts).
  claimEvent(eventId: string, retentionMs: number = EVENT_RETENTION_MS): Promise<boolean> {
    return this.events.claim(eventId, retentionMs);
  }
  hasEvent(eventId: string): Promise<boolean> {
    return this.events.has(eventId);
  }
  pruneEvents(retentionMs: number = EVENT_RETENTION_MS): Promise<number> {
    return this.events.prune(retentionMs);
  }

  // Slack requests in the replay window (tables/slackRequests.ts).
  claimSlackRequest(key: string, windowMs: number): Promise<{ first: boolean; replays: number }> {
    return this.slackRequests.claim(key, windowMs);
  }

  // Cancel requests (tables/runCancels.ts).
  requestCancel(runId: string, by: string, via: string): Promise<boolean> {
    return this.cancels.request(runId, by, via);
  }
  cancelRequest(runId: string): Promise<{ by: string; at: string; via: string } | undefined> {
    return this.cancels.get(runId);
  }

  // Approvals (tables/approvals.ts).
  insertApproval(a: NewApproval): Promise<ApprovalRecord> {
    return this.approvals.insert(a);
  }
  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.approvals.get(id);
  }
  findApprovalByMessage(channel: string, ts: string): Promise<ApprovalRecord | undefined> {
    return this.approvals.findByMessage(channel, ts);
  }
  addApprovalMessage(id: string, channel: string, ts: string): Promise<void> {
    return this.approvals.addMessage(id, channel, ts);
  }
  approvalMessages(id: string): Promise<{ channel: string; ts: string }[]> {
    return this.approvals.messages(id);
  }
  listApprovals(opts: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    return this.approvals.list(opts);
  }
  attachMessage(id: string, channel: string, ts: string): Promise<ApprovalRecord> {
    return this.approvals.attachMessage(id, channel, ts);
  }
  transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision: { by?: string; byKey?: string; via?: string } = {},
  ): Promise<ApprovalRecord | undefined> {
    return this.approvals.transition(id, from, to, decision);
  }

  // Small current values (tables/values.ts); `values.get(key)` is the typed form.
  async getValue<T>(key: string): Promise<T | undefined> {
    return (await this.values.read(key)) as T | undefined;
  }
  setValue(key: string, value: unknown): Promise<void> {
    return this.values.write(key, value);
  }
  deleteValue(key: string): Promise<void> {
    return this.values.remove(key);
  }
  /**
   * A synchronous transaction cannot span awaits, so the read-decide-write the loop lease's `take`
   * needs (src/autonomy/loopLease.ts) is this one call, atomic across replicas (PgValues.modify). `decide` gets the current value and
   * returns the next one, or undefined to leave it; true when this call wrote.
   */
  updateValue<T>(key: string, decide: (current: T | undefined) => T | undefined): Promise<boolean> {
    return this.values.modify(key, decide as (current: unknown) => unknown);
  }

  // Incidents (tables/incidents.ts).
  insertIncident(i: NewIncident): Promise<IncidentRow> {
    return this.incidents.insert(i);
  }
  getIncident(id: string): Promise<IncidentRow | undefined> {
    return this.incidents.get(id);
  }
  listIncidents(opts: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRow[]> {
    return this.incidents.list(opts);
  }
  setIncidentOpenedSeq(id: string, seq: number): Promise<void> {
    return this.incidents.setOpenedSeq(id, seq);
  }
  setIncidentApproval(id: string, approvalId: string): Promise<void> {
    return this.incidents.setApproval(id, approvalId);
  }
  resolveIncident(id: string, resolution: string, by: string): Promise<boolean> {
    return this.incidents.resolve(id, resolution, by);
  }

  // Seals (tables/seals.ts).
  insertSeal(version: string, record: unknown): Promise<void> {
    return this.seals.insert(version, record);
  }
  latestSeal<T>(version?: string): Promise<{ version: string; record: T; sealedAt: string } | undefined> {
    return this.seals.latest<T>(version);
  }

  // Evidence threads (tables/evidenceThreads.ts).
  getThread(threadKey: string): Promise<{ channel: string; ts: string } | undefined> {
    return this.threads.get(threadKey);
  }
  setThread(threadKey: string, channel: string, ts: string): Promise<void> {
    return this.threads.set(threadKey, channel, ts);
  }

  // The client matrix (tables/clients.ts).
  replaceClients(
    rows: readonly { key: string; name: string; pageId: string; record: unknown }[],
  ): Promise<void> {
    return this.clients.replace(rows);
  }
  listClients<T = unknown>(): Promise<ClientRow<T>[]> {
    return this.clients.list<T>();
  }
}

async function schemaVersionOf(q: pg.Pool | pg.ClientBase): Promise<number> {
  const r = await q.query<{ v: number | null }>(
    "SELECT max(version) AS v FROM schema_migrations WHERE component = 'state'",
  );
  return r.rows[0]?.v ?? 0;
}
