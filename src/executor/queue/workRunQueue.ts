import { randomUUID } from "node:crypto";
import type { JobWithMetadata } from "pg-boss";
import { type Actor, SYSTEM_ACTOR } from "../../core/Actor.ts";
import type { Awaitable } from "../../core/awaitable.ts";
import { CodexError } from "../../core/CodexError.ts";
import { errorToWire, type WireError } from "../../core/wireError.ts";
import type { Stack } from "../../stacks/index.ts";
import type { RunExecutor, RunJob } from "../RunExecutor.ts";
import type { RunSummary } from "../runTypes.ts";
import { PgRunQueue } from "./PgRunQueue.ts";
import {
  DEAD_RUN_QUEUE,
  type JobOutput,
  type QueueEvent,
  RUN_QUEUE,
  type RunJobData,
  type RunState,
} from "./queueData.ts";

export interface WorkOptions {
  /** Runs this replica takes at once (its run worker threads carry several each). */
  concurrency?: number | undefined;
  /** The charter's runs.per_stack and per_stack_default: caps across every replica. */
  limits?: { perStack: Record<string, number>; perStackDefault?: number | undefined } | undefined;
  /** What the ledger says of a run id (RUN_SEALED, RUN_ABORTED, only RUN_STARTED, nothing). */
  runState(runId: string): Awaitable<RunState>;
  /** Records RUN_ABORTED for an open run whose replica died (the shared ledger and vault reconcile it). */
  abortRun(runId: string, reason: string): Awaitable<unknown>;
  /**
   * The summary of a run a dead replica sealed before reporting (sealedRunSummary), so the one who asked
   * gets its result; undefined (or absent) reports where the result is instead. Called right after
   * runState found the run sealed, so it reads what runState read.
   */
  sealedSummary?: ((runId: string) => Promise<RunSummary | undefined>) | undefined;
  /** Loads a stack by name for a scheduled run (from this replica's stacks folder). */
  loadStack?: ((name: string) => Awaitable<Stack>) | undefined;
  /** Who a scheduled run is started by; the system by default. */
  scheduleActor?: Actor | undefined;
}

interface AttemptRow {
  attempt: number;
  run_id: string;
  replica: string;
  outcome: string | null;
  result: JobOutput | null;
}

/**
 * This replica's worker: takes run jobs (pg-boss: per-stack caps across replicas, a heartbeat while
 * running) and runs each with `local` (the bot's run worker threads). Before running, every earlier
 * attempt of the job is settled: one that finished (its result recorded, or its run sealed) completes
 * the job with that result instead of running again; one still open (its replica died mid-run) is
 * aborted first. A run's own failure is its result (the job completes; it is not retried): only a lost
 * attempt is. Jobs lost on every attempt reach the dead letter queue, where their last run is aborted.
 */
export async function workRunQueue(
  queue: PgRunQueue,
  local: RunExecutor,
  opts: WorkOptions,
): Promise<{ stop(): Promise<void> }> {
  const ids: [string, string][] = [];
  ids.push([
    RUN_QUEUE,
    await queue.boss.work(
      RUN_QUEUE,
      {
        localConcurrency: Math.max(1, opts.concurrency ?? 4),
        pollingIntervalSeconds: 2,
        // NOTIFY wakes workers for a new job, not for a slot a finished run of a capped stack frees
        // (on any replica): the poll finds those, so it stays short rather than pg-boss's 30 s.
        notifyPollingIntervalSeconds: 2,
        includeMetadata: true,
        ...PgRunQueue.groupLimits(opts.limits ?? { perStack: {} }),
      },
      async ([job]: JobWithMetadata<RunJobData>[]) => (job ? runJob(queue, local, opts, job) : { runId: "" }),
    ),
  ]);
  ids.push([
    DEAD_RUN_QUEUE,
    await queue.boss.work(
      DEAD_RUN_QUEUE,
      { includeMetadata: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10 },
      async ([job]: JobWithMetadata<RunJobData>[]) => (job ? buryJob(queue, opts, job) : { runId: "" }),
    ),
  ]);
  // Rows no replica will read (its waiter stopped first) and old attempts: swept hourly by every worker.
  const sweep = setInterval(() => void sweepOld(queue), 3_600_000);
  sweep.unref();
  return {
    async stop() {
      clearInterval(sweep);
      for (const [name, id] of ids) await queue.boss.offWork(name, { id, wait: true }).catch(() => {});
    },
  };
}

async function sweepOld(queue: PgRunQueue): Promise<void> {
  try {
    await queue.pool.query("DELETE FROM run_queue_events WHERE created_utc < now() - interval '1 day'");
    // pg-boss keeps a finished job 7 days; its attempts are kept longer, then go too.
    await queue.pool.query("DELETE FROM run_queue_attempts WHERE started_utc < now() - interval '30 days'");
  } catch (err) {
    queue.log?.warn({ err: String(err) }, "run queue: sweeping old rows failed");
  }
}

async function attemptsOf(queue: PgRunQueue, jobId: string): Promise<AttemptRow[]> {
  const r = await queue.pool.query<AttemptRow>(
    "SELECT attempt, run_id, replica, outcome, result FROM run_queue_attempts WHERE job_id = $1 ORDER BY attempt",
    [jobId],
  );
  return r.rows;
}

async function settleAttempt(
  queue: PgRunQueue,
  jobId: string,
  attempt: number,
  outcome: string,
  result?: JobOutput,
) {
  await queue.pool.query(
    "UPDATE run_queue_attempts SET outcome = $3, result = $4 WHERE job_id = $1 AND attempt = $2",
    [jobId, attempt, outcome, result === undefined ? null : JSON.stringify(result)],
  );
}

/** The outcome a finished earlier attempt left, or undefined when the job must run (again). */
async function settleEarlier(
  queue: PgRunQueue,
  opts: WorkOptions,
  jobId: string,
  rows: AttemptRow[],
  nextAttempt: number,
): Promise<JobOutput | undefined> {
  for (const row of rows) {
    if (row.result) return row.result;
    if (row.outcome === "aborted") continue;
    let state = await opts.runState(row.run_id);
    if (state === "open") {
      await opts.abortRun(
        row.run_id,
        `replica ${row.replica} stopped during attempt ${row.attempt} of run queue job ${jobId}; the job is run again as attempt ${nextAttempt} by ${queue.replica}`,
      );
      state = await opts.runState(row.run_id);
    }
    if (state === "sealed") {
      // Finished on the dead replica (sealed, or sealed late while aborting): never run twice.
      const summary = await opts.sealedSummary?.(row.run_id).catch((err: unknown) => {
        queue.log?.warn({ err, runId: row.run_id }, "run queue: could not read back a sealed run's summary");
        return undefined;
      });
      if (summary) {
        const found: JobOutput = { runId: row.run_id, summary };
        await settleAttempt(queue, jobId, row.attempt, "sealed", found);
        return found;
      }
      const output: JobOutput = {
        runId: row.run_id,
        error: errorToWire(
          new CodexError(
            "RUN_FAILED",
            `run ${row.run_id} finished and was sealed on replica ${row.replica}, which stopped before reporting its result`,
            {
              hint: `its result is in the ledger and the vault: maos status, or the vault folder of run ${row.run_id}`,
            },
          ),
        ),
      };
      await settleAttempt(queue, jobId, row.attempt, "sealed", output);
      return output;
    }
    await settleAttempt(queue, jobId, row.attempt, "aborted");
  }
  return undefined;
}

function withoutStack(w: WireError): WireError {
  const { stack: _stack, ...rest } = w;
  return rest;
}

async function runJob(
  queue: PgRunQueue,
  local: RunExecutor,
  opts: WorkOptions,
  job: JobWithMetadata<RunJobData>,
): Promise<JobOutput> {
  const data = job.data;
  const watch = data.kind === "run" && data.watch;
  const rows = await attemptsOf(queue, job.id);
  const attempt = (rows.at(-1)?.attempt ?? 0) + 1;
  const earlier = await settleEarlier(queue, opts, job.id, rows, attempt);
  if (earlier) {
    if (watch) {
      await queue.publish(job.id, [
        earlier.summary
          ? { t: "done", summary: earlier.summary }
          : { t: "failed", error: earlier.error ?? { message: "the run ended without a result" } },
      ]);
    }
    return earlier;
  }
  let runJobData: RunJob;
  try {
    runJobData = data.kind === "run" ? data.job : await scheduledJob(opts, data);
  } catch (err) {
    const output: JobOutput = { runId: "", error: withoutStack(errorToWire(err)) };
    queue.log?.warn(
      { err: output.error?.message, jobId: job.id },
      "run queue: a scheduled run could not start",
    );
    return output;
  }
  // The id is recorded before the run starts: a replica killed from here on leaves a run it can name.
  const runId = randomUUID();
  await queue.pool.query(
    "INSERT INTO run_queue_attempts (job_id, attempt, run_id, replica) VALUES ($1, $2, $3, $4)",
    [job.id, attempt, runId, queue.replica],
  );
  const events = watch ? new EventRelay(queue, job.id) : undefined;
  events?.push({ t: "runId", runId, attempt, replica: queue.replica });
  let output: JobOutput;
  try {
    const summary: RunSummary = await local.execute(
      { ...runJobData, runId },
      events ? (event) => events.push({ t: "progress", event }) : undefined,
      { signal: job.signal },
    );
    output = { runId, summary };
  } catch (err) {
    const wire = errorToWire(err);
    queue.log?.warn({ err: wire.message, stack: wire.stack, runId }, "run queue: the run failed");
    output = { runId, error: withoutStack(wire) };
  }
  // Recorded before the job completes: a replica killed now leaves a result a retry reports, never re-runs.
  await settleAttempt(queue, job.id, attempt, output.error ? "failed" : "done", output);
  if (events) {
    events.push(
      output.summary
        ? { t: "done", summary: output.summary }
        : { t: "failed", error: output.error ?? { message: "the run ended without a result" } },
    );
    await events.flushed();
  }
  return output;
}

async function scheduledJob(
  opts: WorkOptions,
  data: Extract<RunJobData, { kind: "scheduled" }>,
): Promise<RunJob> {
  if (!opts.loadStack) {
    throw new CodexError(
      "CONFIG_INVALID",
      `a scheduled run of ${data.stack} reached a worker that loads no stacks`,
    );
  }
  return {
    stack: await opts.loadStack(data.stack),
    inputs: data.inputs,
    actor: opts.scheduleActor ?? SYSTEM_ACTOR,
  };
}

/** A job lost on every attempt: its last open run is aborted, and a waiting replica is told. */
async function buryJob(
  queue: PgRunQueue,
  opts: WorkOptions,
  dead: JobWithMetadata<RunJobData>,
): Promise<JobOutput> {
  const jobId = dead.sourceId ?? dead.id;
  const rows = await attemptsOf(queue, jobId);
  const earlier = await settleEarlier(queue, opts, jobId, rows, rows.length + 1);
  const last = rows.at(-1);
  const output: JobOutput = earlier ?? {
    runId: last?.run_id ?? "",
    error: errorToWire(
      new CodexError(
        "RUN_FAILED",
        `the run was lost on each of its ${rows.length} attempt(s) (the replicas running it stopped)${last ? `; its last run ${last.run_id} was aborted` : ""}`,
        { hint: "run it again; see the replicas' logs for why they stopped" },
      ),
    ),
  };
  if (dead.data.kind === "run" && dead.data.watch) {
    await queue.publish(jobId, [
      output.summary
        ? { t: "done", summary: output.summary }
        : { t: "failed", error: withoutStack(output.error ?? { message: "the run was lost" }) },
    ]);
  }
  return output;
}

/**
 * A run's events on their way to the waiting replica: pushed as they come, written in batches (one
 * statement and one NOTIFY per batch, the next while the previous is in flight), in order.
 */
class EventRelay {
  readonly #queue: PgRunQueue;
  readonly #jobId: string;
  #buffer: QueueEvent[] = [];
  #flushing: Promise<void> | undefined;

  constructor(queue: PgRunQueue, jobId: string) {
    this.#queue = queue;
    this.#jobId = jobId;
  }

  push(event: QueueEvent): void {
    this.#buffer.push(event);
    if (this.#flushing) return;
    const drain = this.#drain();
    drain.catch(() => {}); // awaited by flushed(); a lost progress batch is only logged
    this.#flushing = drain;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#buffer.length > 0) {
        const batch = this.#buffer;
        this.#buffer = [];
        await this.#queue.publish(this.#jobId, batch).catch((err: unknown) => {
          // Progress is best effort; the result is re-sent by flushed(), whose failure fails the job.
          this.#queue.log?.warn(
            { err: String(err), jobId: this.#jobId },
            "run queue: relaying progress failed",
          );
          if (batch.some((e) => e.t === "done" || e.t === "failed")) throw err;
        });
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Resolves once every pushed event is written; rejects when the final one could not be. */
  async flushed(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }
}
