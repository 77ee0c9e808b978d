import type { ProgressListener } from "./RunProgress.ts";
import type { RunRequest, RunSummary } from "./runTypes.ts";

/**
 * What a run is, as plain data: the loaded stack, the inputs as given, who asked, and the provider
 * override. Plain so that it can cross to another thread (the run worker) or, later, onto a job queue.
 */
export type RunJob = Omit<RunRequest, "signal" | "onRunId">;

/** `signal` cancels the run between agents (an in-process handle); `onRunId` learns its id at once. */
export interface RunControl {
  signal?: AbortSignal;
  onRunId?: (runId: string) => void;
}

/**
 * Where runs execute. The command path (commands/run.ts) checks, validates and reconciles, then hands
 * the run to the app's executor: in this thread (the CLI, the shell, tests with an injected clock), or
 * on the run worker thread (the bot: Slack and headless), so a run's CPU never holds the event loop
 * that acks Slack. Whatever the executor, progress arrives as RunProgress events, the result as the
 * RunSummary, and a failure as the CodexError the run threw (code, message and hint kept).
 */
export interface RunExecutor {
  /** "thread" or "worker": for status, logs and tests. */
  readonly kind: string;
  execute(job: RunJob, onProgress?: ProgressListener, control?: RunControl): Promise<RunSummary>;
  /** Readies the executor before the first run (the worker pool starts its threads at boot). */
  start(): void;
  /** Stops it once its runs are done; closes what it opened. */
  close(): Promise<void>;
}
