import { CodexError } from "../core/CodexError.ts";

export interface DeliveryErrorOptions {
  /** Worth trying again later (a 5xx, 429, timeout, network error); otherwise the item is dead-lettered now. */
  retryable: boolean;
  status?: number | undefined;
  /** What the server asked us to wait (Retry-After, X-Rate-Limit-Reset), in ms. */
  waitMs?: number | undefined;
  hint?: string;
  cause?: unknown;
}

/**
 * A sink could not deliver an item. The code is PROVIDER_FAILED (an outside service failed: the closest
 * of CodexError's codes); `retryable` decides between a retry and a dead letter.
 */
export class DeliveryError extends CodexError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly waitMs: number | undefined;

  constructor(message: string, opts: DeliveryErrorOptions) {
    super("PROVIDER_FAILED", message, {
      ...(opts.hint ? { hint: opts.hint } : {}),
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.name = "DeliveryError";
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.waitMs = opts.waitMs;
  }
}

/** HTTP statuses worth a retry: timeouts, conflicts, rate limits and server-side failures (Notion's 529 too). */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}
