import { randomUUID } from "node:crypto";
import type { Awaitable } from "../../core/awaitable.ts";
import { CodexError, isCodexError } from "../../core/CodexError.ts";
import { scrubValues } from "../../core/scrubValues.ts";
import { errorFromWire } from "../../core/wireError.ts";
import type { Charter } from "../../governance/charter.ts";
import { screenInputs } from "../../governance/screenInputs.ts";
import { resolveInputs } from "../../stacks/index.ts";
import type { RunControl, RunExecutor, RunJob } from "../RunExecutor.ts";
import type { ProgressListener } from "../RunProgress.ts";
import type { RunSummary } from "../runTypes.ts";
import { type PgRunQueue, queueFailure } from "./PgRunQueue.ts";
import { type JobOutput, RUN_QUEUE, type RunJobData } from "./queueData.ts";

export interface QueueRunsOptions {
  /** The charter's guardrails (secret patterns, secret_inputs) and file: inputs are screened before storing. */
  charter: Pick<Charter, "guardrails" | "file">;
  /** Exact secret values (API keys, tokens) that must never be stored. */
  secrets: readonly string[];
  /**
   * Files a cancel for a run (the shared state's cancel request, read by the run between agents on
   * whichever replica runs it): how `control.signal` crosses replicas.
   */
  requestCancel(runId: string, by: string): Awaitable<unknown>;
  /**
   * Where a run whose inputs the charter refuses goes instead of the queue (it is never stored): this
   * replica's own executor, which refuses it as always (INPUT_REFUSED in the ledger, the same error).
   */
  local?: RunExecutor | undefined;
  /** How often a waiting run also reads its job's state, in case its events never come (ms). */
  backstopMs?: number | undefined;
}

interface Waiter {
  jobId: string;
  lastId: string;
  runId: string | undefined;
  cancelBy: string | undefined;
  settled: boolean;
  pulling: boolean;
  again: boolean;
  onProgress: ProgressListener | undefined;
  control: RunControl;
  resolve(summary: RunSummary): void;
  reject(err: Error): void;
}

/**
 * The run executor of a replica on DATABASE_URL (kind "queue"): `execute` stores the run as a pg-boss
 * job and waits; whichever replica's worker takes it (workRunQueue) runs it with its own executor and
 * writes the run id, the progress and the result as rows this replica reads on NOTIFY. The caller sees
 * what any executor gives: progress events, the RunSummary, or the run's CodexError.
 */
export class QueueRuns implements RunExecutor {
  readonly kind = "queue";
  readonly #queue: PgRunQueue;
  readonly #opts: QueueRunsOptions;
  readonly #waiters = new Set<Waiter>();
  #closing = false;

  constructor(queue: PgRunQueue, opts: QueueRunsOptions) {
    this.#queue = queue;
    this.#opts = opts;
  }

  start(): void {}

  /** Runs this replica waits for (status, tests). */
  waiting(): number {
    return this.#waiters.size;
  }

  async execute(job: RunJob, onProgress?: ProgressListener, control: RunControl = {}): Promise<RunSummary> {
    if (this.#closing) {
      throw new CodexError("REFUSED", "this replica is shutting down; the run was not queued", {
        hint: "run it again: another replica, or this one once it is back, takes it",
      });
    }
    const stored = this.#storable(job);
    if (!stored) {
      // Refused inputs: the local executor records the refusal and throws it (never queued, never stored).
      if (this.#opts.local) return this.#opts.local.execute(job, onProgress, control);
      throw new CodexError("INPUT_REFUSED", "the run's inputs cannot be queued", {
        hint: `see guardrails.secret_inputs in ${this.#opts.charter.file}`,
      });
    }
    const jobId = randomUUID();
    return new Promise<RunSummary>((resolve, reject) => {
      const w: Waiter = {
        jobId,
        lastId: "0",
        runId: undefined,
        cancelBy: undefined,
        settled: false,
        pulling: false,
        again: false,
        onProgress,
        control,
        resolve,
        reject,
      };
      this.#waiters.add(w);
      const unwatch = this.#queue.watch(jobId, () => this.#pull(w));
      const onAbort = () => {
        const reason = control.signal?.reason;
        w.cancelBy = typeof reason === "string" ? reason : "an in-process caller";
        if (w.runId) this.#cancel(w);
      };
      control.signal?.addEventListener("abort", onAbort, { once: true });
      const backstop = setInterval(() => void this.#backstop(w), this.#opts.backstopMs ?? 5000);
      backstop.unref();
      const done = () => {
        w.settled = true;
        unwatch();
        clearInterval(backstop);
        control.signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(w);
        this.#queue.dropEvents(jobId).catch(() => {});
      };
      w.resolve = (s) => {
        done();
        resolve(s);
      };
      w.reject = (e) => {
        done();
        reject(e);
      };
      const data: RunJobData = { kind: "run", job: stored, watch: true, sentBy: this.#queue.replica };
      this.#queue.send(jobId, data, job.stack.name).then(
        () => {
          if (control.signal?.aborted) onAbort();
        },
        (err: unknown) => w.reject(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /**
   * The job as it may be stored: inputs with defaults, screened by the charter's secret patterns
   * (`redact`: redacted, and named for RUN_STARTED) and scrubbed of known secret values; undefined when
   * the charter refuses them.
   */
  #storable(job: RunJob): RunJob | undefined {
    let screened: ReturnType<typeof screenInputs>;
    try {
      screened = screenInputs(
        resolveInputs(job.stack, job.inputs),
        { ...this.#opts.charter.guardrails, file: this.#opts.charter.file },
        this.#opts.secrets,
      );
    } catch (err) {
      if (isCodexError(err) && err.code === "INPUT_REFUSED") return undefined;
      throw err;
    }
    const redacted = [...screened.redacted];
    const inputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(screened.inputs)) {
      inputs[k] = scrubValues(v, this.#opts.secrets);
      if (inputs[k] !== v && !redacted.some((r) => r.input === k)) {
        redacted.push({ input: k, patterns: ["known secret value"] });
      }
    }
    return { ...job, inputs, ...(redacted.length > 0 ? { inputsRedacted: redacted } : {}) };
  }

  #cancel(w: Waiter): void {
    if (!w.runId || !w.cancelBy) return;
    Promise.resolve(this.#opts.requestCancel(w.runId, w.cancelBy)).catch((err: unknown) =>
      this.#queue.log?.warn({ err: String(err), runId: w.runId }, "run queue: filing a cancel failed"),
    );
  }

  /** Reads the job's new rows in order; one read at a time per run, another after it when woken meanwhile. */
  #pull(w: Waiter): void {
    if (w.settled) return;
    if (w.pulling) {
      w.again = true;
      return;
    }
    w.pulling = true;
    void (async () => {
      try {
        do {
          w.again = false;
          const rows = await this.#queue.eventsAfter(w.jobId, w.lastId);
          for (const { id, body } of rows) {
            w.lastId = id;
            if (w.settled) return;
            if (body.t === "runId") {
              w.runId = body.runId;
              w.control.onRunId?.(body.runId);
              this.#cancel(w);
            } else if (body.t === "progress") {
              w.onProgress?.(body.event);
            } else if (body.t === "done") {
              w.resolve(body.summary);
            } else {
              w.reject(errorFromWire({ ...body.error }));
            }
          }
        } while (w.again && !w.settled);
      } catch (err) {
        this.#queue.log?.warn({ err: String(err), jobId: w.jobId }, "run queue: reading run events failed");
      } finally {
        w.pulling = false;
      }
    })();
  }

  /** A job that ended without its final event (lost on every attempt, or cancelled in pg-boss). */
  async #backstop(w: Waiter): Promise<void> {
    if (w.settled) return;
    this.#pull(w);
    let job: Awaited<ReturnType<PgRunQueue["boss"]["findJobs"]>>[number] | undefined;
    try {
      [job] = await this.#queue.boss.findJobs(RUN_QUEUE, { id: w.jobId });
    } catch (cause) {
      this.#queue.log?.warn(
        { err: queueFailure("reading a run's job", this.#queue.where, cause).message },
        "run queue: backstop read failed",
      );
      return;
    }
    if (!job || w.settled || !["failed", "cancelled"].includes(job.state)) return;
    // One more read: the final event may have been written just before the state changed.
    const rows = await this.#queue.eventsAfter(w.jobId, w.lastId).catch(() => []);
    if (rows.some((r) => r.body.t === "done" || r.body.t === "failed")) return this.#pull(w);
    const output = (job.output ?? {}) as Partial<JobOutput> & { message?: string };
    w.reject(
      new CodexError(
        "RUN_FAILED",
        `the run's queue job ${w.jobId} ended ${job.state} after ${job.retryCount + 1} attempt(s)${output.message ? `: ${output.message}` : ""}${w.runId ? `; its last run ${w.runId} was aborted` : ""}`,
        { hint: "the replicas that took it stopped mid-run; run it again, and see the replicas' logs" },
      ),
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
  }
}
