import type { Env } from "../config/loadEnv.ts";
import type { WireError } from "../core/wireError.ts";
import type { EgressRefusal } from "../egress/EgressGuard.ts";
import type { RunJob } from "../executor/RunExecutor.ts";
import type { RunProgress } from "../executor/RunProgress.ts";
import type { RunSummary } from "../executor/runTypes.ts";

export { errorFromWire, errorToWire, type WireError } from "../core/wireError.ts";

// The messages between the bot's thread and a run worker (WorkerRuns ⇄ runWorker.ts): plain data only.

/** What a run worker is started with: the bot's loaded environment, so both build the same App. */
export interface RunWorkerData {
  env: Env;
  logLevel: string;
}

export type ToWorker =
  /** `cancelled`: the caller's signal was aborted before the run was handed over (its reason, or true). */
  | { type: "run"; id: number; job: RunJob; cancelled?: string | true }
  | { type: "cancel"; id: number; reason?: string }
  | { type: "close" };

export type FromWorker =
  | { type: "ready" }
  | { type: "runId"; id: number; runId: string }
  | { type: "progress"; id: number; event: RunProgress }
  | { type: "done"; id: number; summary: RunSummary }
  | { type: "failed"; id: number; error: WireError }
  /** A refused egress the worker recorded at `seq`; the bot's kernel applies STOP–RESET–REALIGN. */
  | { type: "egress-refused"; refusal: EgressRefusal; seq: number }
  | { type: "closed" };
