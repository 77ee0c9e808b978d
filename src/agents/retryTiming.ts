import { backoffMs, parseRetryAfter, parseRetryAfterMs } from "../core/retryPolicy.ts";

/** How long the hub waits between attempts on one provider. */

/** A provider's Retry-After is honoured up to this; beyond it we wait this long and try again. */
export const RETRY_AFTER_CAP_MS = 60_000;

/**
 * Capped exponential backoff with full jitter (the providers' policy in core/retryPolicy):
 *   delay = floor(random() * min(maxMs, baseMs * 2^(attempt - 1)))
 * where `attempt` is the 1-based number of the attempt that just failed and random() is in [0, 1).
 * Full jitter spreads simultaneous retriers across the whole window instead of bunching them.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return backoffMs(attempt, random, { baseMs, capMs: maxMs, jitter: "full" });
}

/**
 * What the server asked us to wait, in ms, or undefined. `retry-after-ms` (OpenAI, Anthropic) wins over
 * `Retry-After`, which is either delta-seconds or an HTTP date (RFC 9110 §10.2.3) resolved against `now`.
 */
export function retryAfterMs(
  headers: { retryAfter?: string | undefined; retryAfterMs?: string | undefined },
  now: Date,
): number | undefined {
  return parseRetryAfterMs(headers.retryAfterMs) ?? parseRetryAfter(headers.retryAfter, now.getTime());
}

/** The wait before the next attempt: the jittered backoff, but never less than the (capped) Retry-After. */
export function nextDelay(backoffMs: number, serverAskedMs: number | undefined): number {
  if (serverAskedMs === undefined) return backoffMs;
  return Math.max(backoffMs, Math.min(serverAskedMs, RETRY_AFTER_CAP_MS));
}
