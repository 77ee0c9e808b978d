import { CodexError, type ErrorCode, isCodexError } from "./CodexError.ts";

/**
 * An error as it crosses a boundary as plain data (to and from a run worker thread, through the run
 * queue's rows): a CodexError keeps its code, message, hint and details.
 */
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
  // The sender's stack, so the server log says where it failed (users see only message and hint).
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
