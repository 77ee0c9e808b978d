import { createHash } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { PgBoss, type WorkOptions } from "pg-boss";
import { CodexError } from "../../core/CodexError.ts";
import type { Logger } from "../../core/logger.ts";
import { describePgFailure, pgLocation } from "../../core/pgLocation.ts";
import { migratePg } from "../../core/pgMigrate.ts";
import { cronProblem, type RunSchedule } from "../../governance/charterRuns.ts";
import { DEAD_RUN_QUEUE, EVENTS_CHANNEL, type QueueEvent, RUN_QUEUE, type RunJobData } from "./queueData.ts";

export const RUN_QUEUE_MIGRATIONS = path.join(import.meta.dirname, "migrations");

export interface PgRunQueueOptions {
  /** DATABASE_URL. */
  url: string;
  /** This replica's name, recorded against each attempt it runs. */
  replica: string;
  log?: Logger | undefined;
  /** pg-boss's own schema (its tables and functions); the queue's two tables live on the URL's search_path. */
  schema?: string | undefined;
  /**
   * A worker beats every heartbeatSeconds / 2; a job whose beat stops for heartbeatSeconds is failed by
   * the next monitor pass (every `monitorSeconds`) and retried: a replica killed mid-run is noticed
   * within heartbeatSeconds + monitorSeconds. pg-boss's floor is 10 s.
   */
  heartbeatSeconds?: number | undefined;
  monitorSeconds?: number | undefined;
  /** Retries after a lost attempt (a replica that died, or lost its database); then the dead letter. */
  retryLimit?: number | undefined;
  /** How often pg-boss's cron looks for due schedules (it fires at most once per tick across replicas). */
  cronSeconds?: number | undefined;
}

export const QUEUE_DEFAULTS = { heartbeatSeconds: 30, monitorSeconds: 15, retryLimit: 2, cronSeconds: 30 };

/**
 * The run queue on DATABASE_URL: pg-boss's jobs (retries, dead letters, group concurrency, cron) plus
 * two tables of ours, the attempts of each job (run_queue_attempts) and the events a watched run sends
 * back to the replica that acked it (run_queue_events, announced by NOTIFY with the job id).
 * QueueRuns (the executor a replica sends runs through) and workRunQueue (a replica's worker) use it.
 */
export class PgRunQueue {
  readonly boss: PgBoss;
  readonly pool: pg.Pool;
  readonly where: string;
  readonly replica: string;
  readonly log: Logger | undefined;
  readonly opts: Required<Pick<PgRunQueueOptions, "heartbeatSeconds" | "monitorSeconds" | "retryLimit">>;
  #listener: pg.Client | undefined;
  #listening = new Map<string, () => void>();
  #closed = false;
  #reconnect: NodeJS.Timeout | undefined;

  private constructor(opts: PgRunQueueOptions, boss: PgBoss, pool: pg.Pool) {
    this.boss = boss;
    this.pool = pool;
    this.where = pgLocation(opts.url);
    this.replica = opts.replica;
    this.log = opts.log;
    this.opts = {
      heartbeatSeconds: opts.heartbeatSeconds ?? QUEUE_DEFAULTS.heartbeatSeconds,
      monitorSeconds: opts.monitorSeconds ?? QUEUE_DEFAULTS.monitorSeconds,
      retryLimit: opts.retryLimit ?? QUEUE_DEFAULTS.retryLimit,
    };
  }

  /** Connects, applies the queue's migrations and pg-boss's, and creates the two queues when missing. */
  static async open(opts: PgRunQueueOptions): Promise<PgRunQueue> {
    const where = pgLocation(opts.url);
    const pool = new pg.Pool({ connectionString: opts.url, max: 4 });
    pool.on("error", () => {}); // an idle client the server dropped; the next query reconnects
    const monitorSeconds = opts.monitorSeconds ?? QUEUE_DEFAULTS.monitorSeconds;
    const boss = new PgBoss({
      connectionString: opts.url,
      schema: opts.schema ?? "maos_queue",
      max: 6,
      superviseIntervalSeconds: monitorSeconds,
      monitorIntervalSeconds: monitorSeconds,
      cronMonitorIntervalSeconds: opts.cronSeconds ?? QUEUE_DEFAULTS.cronSeconds,
      cronWorkerIntervalSeconds: Math.min(5, opts.cronSeconds ?? QUEUE_DEFAULTS.cronSeconds),
      useListenNotify: true,
      registerInstance: false,
      persistWarnings: false,
    });
    // pg-boss reports each failed internal query: while the database is down that is several a second,
    // so the first is logged, then one a minute with how many were left out.
    let lastLogged = 0;
    let quiet = 0;
    boss.on("error", (err) => {
      const now = Date.now();
      if (now - lastLogged < 60_000) {
        quiet++;
        return;
      }
      opts.log?.warn({ err, alsoSince: quiet }, "run queue: pg-boss error (the run queue retries)");
      lastLogged = now;
      quiet = 0;
    });
    const queue = new PgRunQueue(opts, boss, pool);
    try {
      const client = await pool.connect();
      try {
        await migratePg(client, "run_queue", RUN_QUEUE_MIGRATIONS);
      } finally {
        client.release();
      }
      await boss.start();
      await queue.#ensureQueues();
      await queue.#listen();
    } catch (cause) {
      await queue.close().catch(() => {});
      if (cause instanceof CodexError) throw cause;
      throw queueFailure("opening the run queue", where, cause);
    }
    return queue;
  }

  async #ensureQueues(): Promise<void> {
    const settings = {
      heartbeatSeconds: this.opts.heartbeatSeconds,
      retryLimit: this.opts.retryLimit,
      retryDelay: 0,
      // A run may take long (a slow model, approvals are not inside runs); the heartbeat finds dead ones.
      expireInSeconds: 24 * 3600,
      deadLetter: DEAD_RUN_QUEUE,
    };
    for (const [name, options] of [
      [DEAD_RUN_QUEUE, { notify: true }],
      [RUN_QUEUE, { ...settings, notify: true }],
    ] as const) {
      if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, options);
      // Replicas starting together: whoever created it, every replica's settings are the same build's.
      else if (name === RUN_QUEUE) {
        const { heartbeatSeconds: _fixedAtCreation, ...updatable } = settings;
        await this.boss.updateQueue(name, updatable);
      }
    }
  }

  /** One connection LISTENs for every waiter of this replica; a dropped one reconnects and re-reads. */
  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.pool.options.connectionString });
    client.on("notification", (n) => {
      if (n.payload) this.#listening.get(n.payload)?.();
    });
    client.on("error", (err) => {
      this.log?.warn({ err: String(err) }, "run queue: the events listener lost its connection");
      if (this.#listener === client) this.#listener = undefined;
      client.end().catch(() => {});
      this.#scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.#listener = client;
    // Whatever was written while not listening.
    for (const wake of this.#listening.values()) wake();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnect) return;
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      this.#listen().catch(() => this.#scheduleReconnect());
    }, 1000);
    this.#reconnect.unref();
  }

  /** Calls `wake` whenever events for the job are written (and once after a reconnect). */
  watch(jobId: string, wake: () => void): () => void {
    this.#listening.set(jobId, wake);
    return () => this.#listening.delete(jobId);
  }

  /** Appends a job's events in order and NOTIFYs its id, in one statement (one transaction). */
  async publish(jobId: string, events: QueueEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.pool.query(
      `WITH ins AS (
         INSERT INTO run_queue_events (job_id, body)
         SELECT $1, e.body FROM unnest($2::jsonb[]) WITH ORDINALITY AS e(body, n) ORDER BY e.n
         RETURNING 1)
       SELECT pg_notify('${EVENTS_CHANNEL}', $1) FROM (SELECT count(*) FROM ins) c`,
      [jobId, events.map((e) => JSON.stringify(e))],
    );
  }

  /** A job's events after `afterId`, oldest first. */
  async eventsAfter(jobId: string, afterId: string): Promise<{ id: string; body: QueueEvent }[]> {
    const r = await this.pool.query<{ id: string; body: QueueEvent }>(
      // By the column, not the text output `id` ("10" < "9"): progress must arrive in the order it was made.
      "SELECT id::text AS id, body FROM run_queue_events WHERE job_id = $1 AND id > $2::bigint ORDER BY run_queue_events.id",
      [jobId, afterId],
    );
    return r.rows;
  }

  async dropEvents(jobId: string): Promise<void> {
    await this.pool.query("DELETE FROM run_queue_events WHERE job_id = $1", [jobId]);
  }

  /** Stores a run job; `group` is the stack, so the charter's per-stack caps hold across replicas. */
  async send(jobId: string, data: RunJobData, stack: string): Promise<void> {
    try {
      await this.boss.send(RUN_QUEUE, data, { id: jobId, group: { id: stack, tier: stack } });
    } catch (cause) {
      throw queueFailure("queueing the run", this.where, cause);
    }
  }

  /**
   * Sets the schedules (the charter's `runs.schedules`) and removes schedules no longer listed. Every
   * replica may call it at start: pg-boss keeps one schedule per key and sends one job per tick.
   */
  async setSchedules(schedules: readonly RunSchedule[], file: string): Promise<void> {
    const keys = new Set<string>();
    for (const [i, s] of schedules.entries()) {
      const why = cronProblem(s.cron, s.timezone);
      if (why) {
        throw new CodexError("CHARTER_INVALID", `${file}: runs.schedules[${i}] (${s.stack}): ${why}`, {
          hint: `fix the cron of that schedule in ${file}, or remove it`,
        });
      }
      const key = scheduleKey(s);
      keys.add(key);
      const data: RunJobData = {
        kind: "scheduled",
        stack: s.stack,
        inputs: s.inputs,
        cron: s.cron,
        timezone: s.timezone,
      };
      await this.boss.schedule(RUN_QUEUE, s.cron, data, {
        tz: s.timezone,
        key,
        group: { id: s.stack, tier: s.stack },
      });
    }
    for (const old of await this.boss.getSchedules(RUN_QUEUE)) {
      if (!keys.has(old.key)) await this.boss.unschedule(RUN_QUEUE, old.key);
    }
  }

  /** pg-boss work options for the per-stack caps (the charter's runs.per_stack and per_stack_default). */
  static groupLimits(limits: {
    perStack: Record<string, number>;
    perStackDefault?: number | undefined;
  }): Pick<WorkOptions, "groupConcurrency"> {
    if (Object.keys(limits.perStack).length === 0 && limits.perStackDefault === undefined) return {};
    // No default cap: a number no replica set reaches.
    return {
      groupConcurrency: { default: limits.perStackDefault ?? 1_000_000, tiers: { ...limits.perStack } },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconnect) clearTimeout(this.#reconnect);
    await this.boss.stop({ graceful: true, timeout: 30_000 }).catch(() => {});
    await this.#listener?.end().catch(() => {});
    this.#listener = undefined;
    await this.pool.end().catch(() => {});
  }
}

/** pg-boss keys allow letters, digits, _ - . /: the stack and a short hash of its cron and zone. */
export function scheduleKey(s: RunSchedule): string {
  return `${s.stack}.${createHash("sha256").update(`${s.cron} ${s.timezone}`).digest("hex").slice(0, 12)}`;
}

/** A failed queue statement: what, where (no password), PostgreSQL's words and the fix naming DATABASE_URL. */
export function queueFailure(what: string, where: string, cause: unknown): CodexError {
  const { message, hint } = describePgFailure(what, where, cause);
  return new CodexError("RUN_FAILED", `${message} (the run queue, DATABASE_URL)`, { hint, cause });
}
