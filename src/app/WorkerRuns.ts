import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CodexError } from "../core/CodexError.ts";
import type { RunControl, RunExecutor, RunJob } from "../executor/RunExecutor.ts";
import type { ProgressListener } from "../executor/RunProgress.ts";
import type { RunSummary } from "../executor/runTypes.ts";
import type { App } from "./App.ts";
import { reactToEgressRefusal } from "./recordEgressRefusal.ts";
import { errorFromWire, type FromWorker, type RunWorkerData, type ToWorker } from "./runWorkerWire.ts";

/**
 * How many run worker threads the bot starts: one fewer than the cores, at least one, at most two. A run
 * is mostly waiting (on a model, on fsync, on git), so one thread carries many runs at once; what the
 * threads take from the cores is their CPU, and one core stays for the bot's own thread (acks, the
 * heartbeat). On 2 cores: one worker. Each worker holds its own App (~60 MB), so more would cost memory
 * for little.
 */
export function defaultRunWorkers(cores = availableParallelism()): number {
  return Math.min(2, Math.max(1, cores - 1));
}

interface Pending {
  resolve(summary: RunSummary): void;
  reject(err: Error): void;
  onProgress: ProgressListener | undefined;
  onRunId: ((runId: string) => void) | undefined;
  detach(): void;
}

interface Slot {
  worker: Worker | undefined;
  pending: Map<number, Pending>;
  closed?: () => void;
}

/**
 * Runs on worker threads (runWorker.ts), started once at boot: each run goes to the thread with the
 * fewest runs in flight, so the bot's own thread stays free to ack Slack while stacks run. Progress
 * events, the run id and the summary come back as messages; an AbortSignal is forwarded as a cancel
 * message (a cancel filed in state.db reaches the run as it would any process's). A thread that dies
 * fails its runs with a coded error and is replaced.
 */
export class WorkerRuns implements RunExecutor {
  readonly kind = "worker";
  readonly #app: Pick<App, "env" | "log" | "autonomy" | "charter">;
  readonly #slots: Slot[];
  #next = 1;
  #closing = false;
  #completed = 0;

  constructor(app: Pick<App, "env" | "log" | "autonomy" | "charter">, size = defaultRunWorkers()) {
    this.#app = app;
    this.#slots = Array.from({ length: Math.max(1, size) }, () => ({
      worker: undefined,
      pending: new Map(),
    }));
  }

  /** Threads, runs in flight, and runs finished (status, tests). */
  stats(): { workers: number; running: number; completed: number } {
    return {
      workers: this.#slots.filter((s) => s.worker).length,
      running: this.#slots.reduce((n, s) => n + s.pending.size, 0),
      completed: this.#completed,
    };
  }

  start(): void {
    if (this.#closing) return;
    for (const slot of this.#slots) this.#spawn(slot);
  }

  execute(job: RunJob, onProgress?: ProgressListener, control: RunControl = {}): Promise<RunSummary> {
    if (this.#closing) {
      return Promise.reject(
        new CodexError("REFUSED", "the bot is shutting down; the run was not started", {
          hint: "run it again once the bot is back",
        }),
      );
    }
    // The least busy thread; the first on a tie.
    const slot = this.#slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const worker = this.#spawn(slot);
    const id = this.#next++;
    const { signal } = control;
    return new Promise<RunSummary>((resolve, reject) => {
      const onAbort = () =>
        worker.postMessage({ type: "cancel", id, ...reasonOf(signal) } satisfies ToWorker);
      slot.pending.set(id, {
        resolve,
        reject,
        onProgress,
        onRunId: control.onRunId,
        detach: () => signal?.removeEventListener("abort", onAbort),
      });
      worker.ref();
      const cancelled = signal?.aborted ? (reasonOf(signal).reason ?? true) : undefined;
      worker.postMessage({
        type: "run",
        id,
        job,
        ...(cancelled === undefined ? {} : { cancelled }),
      } satisfies ToWorker);
      if (signal && !signal.aborted) signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Once every run in flight is done, each thread closes its App (its closing checkpoint) and stops. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        await Promise.allSettled([...slot.pending.values()].map((p) => settled(p)));
        const worker = slot.worker;
        if (!worker) return;
        // Held while its App closes (an unref'd thread would let the process exit first).
        worker.ref();
        await new Promise<void>((resolve) => {
          slot.closed = resolve;
          worker.once("exit", () => resolve());
          worker.postMessage({ type: "close" } satisfies ToWorker);
        });
        slot.worker = undefined;
        await worker.terminate();
      }),
    );
  }

  #spawn(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const data: RunWorkerData = { env: this.#app.env, logLevel: this.#app.log.level };
    const worker = new Worker(new URL("./runWorker.ts", import.meta.url), { workerData: data });
    // Idle, it does not keep the process alive (a test's, a CLI's); a run in flight does.
    worker.unref();
    worker.on("message", (m: FromWorker) => this.#onMessage(slot, m));
    const fail = (why: string) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const err = new CodexError("RUN_FAILED", `the run worker thread stopped: ${why}`, {
        hint: "see the server log; the run's ledger entries are kept and it is settled (sealed late or aborted) at the bot's next start",
      });
      for (const p of slot.pending.values()) {
        p.detach();
        p.reject(err);
      }
      slot.pending.clear();
      if (!this.#closing) {
        this.#app.log.error({ why }, "a run worker thread stopped; starting another");
        this.#spawn(slot);
      }
    };
    worker.on("error", (err) => {
      this.#app.log.error({ err }, "a run worker thread failed");
      fail(err.message);
    });
    worker.on("exit", (code) => fail(`it exited with code ${code}`));
    slot.worker = worker;
    return worker;
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case "ready":
        return;
      case "closed":
        slot.closed?.();
        return;
      case "egress-refused":
        reactToEgressRefusal(this.#app, m.refusal, m.seq).catch((err: unknown) =>
          this.#app.log.error({ err }, "could not apply STOP–RESET–REALIGN after a refused egress"),
        );
        return;
    }
    const p = slot.pending.get(m.id);
    if (!p) return;
    if (m.type === "runId") {
      p.onRunId?.(m.runId);
      return;
    }
    if (m.type === "progress") {
      try {
        p.onProgress?.(m.event);
      } catch (err) {
        this.#app.log.warn({ err }, "a run progress listener failed");
      }
      return;
    }
    slot.pending.delete(m.id);
    p.detach();
    if (slot.pending.size === 0) slot.worker?.unref();
    if (m.type === "done") {
      this.#completed++;
      p.resolve(m.summary);
    } else p.reject(errorFromWire(m.error));
  }
}

function reasonOf(signal: AbortSignal | undefined): { reason?: string } {
  return typeof signal?.reason === "string" ? { reason: signal.reason } : {};
}

/** A run's promise, settled either way. */
function settled(p: Pending): Promise<void> {
  return new Promise((resolve) => {
    const { resolve: res, reject: rej } = p;
    p.resolve = (s) => {
      res(s);
      resolve();
    };
    p.reject = (e) => {
      rej(e);
      resolve();
    };
  });
}
