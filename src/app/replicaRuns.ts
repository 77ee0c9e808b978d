import { ledgerRunState } from "../executor/queue/ledgerRunState.ts";
import type { PgRunQueue } from "../executor/queue/PgRunQueue.ts";
import { QueueRuns } from "../executor/queue/QueueRuns.ts";
import { scheduledRuns } from "../executor/queue/runSchedules.ts";
import { sealedRunSummary } from "../executor/queue/sealedRunSummary.ts";
import { workRunQueue } from "../executor/queue/workRunQueue.ts";
import type { RunControl, RunExecutor, RunJob } from "../executor/RunExecutor.ts";
import type { ProgressListener } from "../executor/RunProgress.ts";
import { settleOpenRun } from "../executor/reconcileRuns.ts";
import type { RunSummary } from "../executor/runTypes.ts";
import type { MirroredLedger } from "../ledger/pg/MirroredLedger.ts";
import { findStack } from "../stacks/findStack.ts";
import { loadStacks } from "../stacks/loadStacks.ts";
import type { App } from "./App.ts";

/**
 * A bot replica's runs (DATABASE_URL): what it acks goes to the shared run queue (QueueRuns), and its
 * worker takes jobs from every replica and runs them on this replica's run worker threads (`local`),
 * within the charter's per-stack caps; the charter's and the stacks' schedules are set on the queue at start.
 */
export class ReplicaRuns implements RunExecutor {
  readonly kind = "queue";
  readonly #app: App;
  readonly #queue: PgRunQueue;
  readonly #local: RunExecutor;
  readonly #sender: QueueRuns;
  /** The shared ledger: its mirror is pulled before a retried job's earlier attempt is judged. */
  readonly #ledger: MirroredLedger;
  #worker: Promise<{ stop(): Promise<void> } | undefined> | undefined;

  constructor(app: App, queue: PgRunQueue, local: RunExecutor, ledger: MirroredLedger) {
    this.#app = app;
    this.#queue = queue;
    this.#local = local;
    this.#ledger = ledger;
    this.#sender = new QueueRuns(queue, {
      charter: app.charter(),
      secrets: app.secrets,
      requestCancel: (runId, by) => app.state().requestCancel(runId, by, "run queue"),
      local,
    });
  }

  execute(job: RunJob, onProgress?: ProgressListener, control?: RunControl): Promise<RunSummary> {
    return this.#sender.execute(job, onProgress, control);
  }

  start(): void {
    this.#local.start();
    this.#worker ??= this.#startWorker();
  }

  async #startWorker(): Promise<{ stop(): Promise<void> } | undefined> {
    const app = this.#app;
    const charter = app.charter();
    try {
      const worker = await workRunQueue(this.#queue, this.#local, {
        limits: charter.runs,
        // The mirror first takes in what other replicas wrote: a dead replica's run is in the shared ledger.
        runState: async (runId) => {
          await this.#ledger.refresh();
          return ledgerRunState(this.#ledger, runId);
        },
        abortRun: (runId, reason) =>
          settleOpenRun(
            app.ledger(),
            () => app.vault(),
            runId,
            reason,
            () => this.#ledger.refresh(),
          ),
        // A run a dead replica sealed but could not report: its result, from the shared ledger and vault
        // (the mirror is current: runState refreshed it just before, when it found the run sealed).
        sealedSummary: (runId) => sealedRunSummary(this.#ledger, () => app.vault(), runId),
        loadStack: (name) => findStack(app.stacksDir, name),
      });
      // The charter's schedules and each stack's own `schedule:` (a stack that does not load is not scheduled).
      const { stacks } = loadStacks(app.stacksDir);
      await this.#queue.setSchedules(scheduledRuns(charter.runs.schedules, stacks), charter.file);
      return worker;
    } catch (err) {
      app.log.error({ err }, "the run queue's worker could not start: this replica acks runs but runs none");
      return undefined;
    }
  }

  async close(): Promise<void> {
    await (await this.#worker)?.stop();
    await this.#sender.close();
    await this.#local.close();
  }
}
