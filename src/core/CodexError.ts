/**
 * Every error a user can see. `code` is stable (scripts match on it); the message says what happened
 * and `hint` how to fix it, naming the env var or file involved. Only the edges (CLI, Slack, HTTP) map
 * a code to an exit code or status.
 */
export type ErrorCode =
  | "USAGE"
  | "CONFIG_INVALID"
  | "STACK_NOT_FOUND"
  | "STACK_INVALID"
  | "CHARTER_INVALID"
  | "PROVIDER_FAILED"
  | "PROVIDER_REJECTED"
  | "GUARDRAIL_VIOLATION"
  | "INPUT_REFUSED"
  | "RUN_FAILED"
  | "LEDGER_BROKEN"
  | "VAULT_BROKEN"
  | "PERMISSION_DENIED"
  | "REFUSED"
  | "CANCELLED"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "INTERNAL";

export class CodexError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CodexError";
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  /** One or two lines for a human: what happened, then how to fix it. */
  toUserText(): string {
    return this.hint ? `${this.message}\n  fix: ${this.hint}` : this.message;
  }
}

export function isCodexError(err: unknown): err is CodexError {
  return err instanceof CodexError;
}
