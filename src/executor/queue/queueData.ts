import type { WireError } from "../../core/wireError.ts";
import type { RunJob } from "../RunExecutor.ts";
import type { RunProgress } from "../RunProgress.ts";
import type { RunSummary } from "../runTypes.ts";

// What the run queue stores, as plain JSON: pg-boss job data, and the rows that carry a run's progress
// and result back to the replica that acked it.

/** pg-boss's queue of runs, and the queue a job goes to when every attempt was lost. */
export const RUN_QUEUE = "maos-runs";
export const DEAD_RUN_QUEUE = "maos-runs-dead";
/** NOTIFY channel of run_queue_events; the payload is only the job id. */
export const EVENTS_CHANNEL = "maos_run_events";

/**
 * A queued run. `run`: sent by a replica that waits for it (`watch`: it relays progress), its inputs
 * already screened (no secret is stored). `scheduled`: sent by pg-boss's cron, the stack named and
 * loaded by the worker that takes it, so a stack edited after the schedule was set runs as it is now.
 */
export type RunJobData =
  | { kind: "run"; job: RunJob; watch: boolean; sentBy: string }
  | { kind: "scheduled"; stack: string; inputs: Record<string, string>; cron: string; timezone: string };

/** One row of run_queue_events. */
export type QueueEvent =
  | { t: "runId"; runId: string; attempt: number; replica: string }
  | { t: "progress"; event: RunProgress }
  | { t: "done"; summary: RunSummary }
  | { t: "failed"; error: WireError };

/** What a job's completion records (pg-boss output), for a waiter that missed the events. */
export type JobOutput = { runId: string; summary?: RunSummary; error?: WireError };

/** What the ledger says of a run: sealed, aborted, started and not settled, or not there at all. */
export type RunState = "sealed" | "aborted" | "open" | "unknown";
