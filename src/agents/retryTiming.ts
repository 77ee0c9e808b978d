/** How long the hub waits between attempts on one provider. */

/** A provider's Retry-After is honoured up to this; beyond it we wait this long and try again. */
export const RETRY_AFTER_CAP_MS = 60_000;

/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 *   delay = floor(random() * min(maxMs, baseMs * 2^(attempt - 1)))
 * where `attempt` is the 1-based number of the attempt that just failed and random() is in [0, 1).
 * Full jitter spreads simultaneous retriers across the whole window instead of bunching them.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * What the server asked us to wait, in ms, or undefined. `retry-after-ms` (OpenAI, Anthropic) wins over
 * `Retry-After`, which is either delta-seconds or an HTTP date (RFC 9110 §10.2.3) resolved against `now`.
 */
export function retryAfterMs(
  headers: { retryAfter?: string | undefined; retryAfterMs?: string | undefined },
  now: Date,
): number | undefined {
  if (headers.retryAfterMs !== undefined) {
    const ms = Number(headers.retryAfterMs.trim());
    if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  }
  const value = headers.retryAfter?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** The wait before the next attempt: the jittered backoff, but never less than the (capped) Retry-After. */
export function nextDelay(backoffMs: number, serverAskedMs: number | undefined): number {
  if (serverAskedMs === undefined) return backoffMs;
  return Math.max(backoffMs, Math.min(serverAskedMs, RETRY_AFTER_CAP_MS));
}
