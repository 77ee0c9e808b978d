import type { Env } from "../config/loadEnv.ts";
import { CodexError, type ErrorCode, isCodexError } from "../core/CodexError.ts";
import type { EgressRefusal } from "../egress/EgressGuard.ts";
import type { RunJob } from "../executor/RunExecutor.ts";
import type { RunProgress } from "../executor/RunProgress.ts";
import type { RunSummary } from "../executor/runTypes.ts";

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

/** An error as it crosses the thread boundary: a CodexError keeps its code, message, hint and details. */
export interface WireError {
  code?: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
  /** For the server log only (never shown to a user). */
  stack?: string;
}

export function errorToWire(err: unknown): WireError {
  if (isCodexError(err)) {
    return {
      code: err.code,
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.details === undefined ? {} : { details: cloneable(err.details) }),
      ...(err.stack ? { stack: err.stack } : {}),
    };
  }
  if (err instanceof Error) return { message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { message: String(err) };
}

export function errorFromWire(w: WireError): Error {
  const err = w.code
    ? new CodexError(w.code, w.message, {
        ...(w.hint ? { hint: w.hint } : {}),
        ...(w.details === undefined ? {} : { details: w.details }),
      })
    : new Error(w.message);
  // The worker's stack, so the server log says where it failed (users see only message and hint).
  if (w.stack) err.stack = w.stack;
  return err;
}

/** Details that can be posted to another thread, or none (they are never needed to tell the user). */
function cloneable(details: unknown): unknown {
  try {
    return structuredClone(details);
  } catch {
    return undefined;
  }
}
