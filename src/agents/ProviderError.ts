import type { ErrorClass } from "./AttemptRecord.ts";

/**
 * A failed provider call, already classified. Providers throw it (through classifyError) so the hub can
 * decide between retry, failover and stop without knowing any SDK. The message never carries a secret.
 */
export class ProviderError extends Error {
  readonly errorClass: ErrorClass;
  readonly status: number | undefined;
  /** Raw `Retry-After` header (seconds or an HTTP date); the hub resolves it against its clock. */
  readonly retryAfter: string | undefined;
  /** Raw `retry-after-ms` header (OpenAI's and Anthropic's millisecond variant). */
  readonly retryAfterMs: string | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    opts: { status?: number; retryAfter?: string; retryAfterMs?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ProviderError";
    this.errorClass = errorClass;
    this.status = opts.status;
    this.retryAfter = opts.retryAfter;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
