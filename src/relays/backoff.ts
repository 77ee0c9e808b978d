/**
 * How long a sink waits before trying an item again: capped exponential backoff with equal jitter
 * (half the step fixed, half random), so a sink that is down is not hammered and retries of many items
 * spread out, while a wait never collapses to zero. The server's own ask (Retry-After,
 * X-Rate-Limit-Reset) is a floor.
 */
export interface BackoffPolicy {
  /** The first retry waits about this long. */
  baseMs: number;
  /** No wait grows beyond this. */
  capMs: number;
}

/** 1 s doubling to 5 min: an outage of about half an hour costs a dozen attempts per sink, not hundreds. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 5 * 60_000 };

/** A Retry-After longer than this is treated as this: a confused server must not park a sink for a day. */
export const MAX_SERVER_WAIT_MS = 15 * 60_000;

/** The wait before try number `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffMs(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * Math.min(1, Math.max(0, random())));
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

export function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== want) continue;
    if (Array.isArray(v)) return typeof v[0] === "string" ? v[0] : undefined;
    return typeof v === "string" ? v : undefined;
  }
  return undefined;
}

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(headers: HeaderSource, nowMs: number): number | undefined {
  const raw = header(headers, "retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.min(MAX_SERVER_WAIT_MS, Math.round(Number(raw) * 1000));
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_SERVER_WAIT_MS, Math.max(0, at - nowMs));
}

/**
 * When X-Rate-Limit-Remaining says the budget is spent, how long until X-Rate-Limit-Reset refills it.
 * Teamwork sends the reset as seconds from now; a value that looks like a Unix time (past 2001) is read
 * as one.
 */
export function rateLimitWaitMs(headers: HeaderSource, nowMs: number): number | undefined {
  const remaining = header(headers, "x-rate-limit-remaining");
  if (remaining === undefined || Number(remaining) > 0) return undefined;
  const reset = Number(header(headers, "x-rate-limit-reset"));
  if (!Number.isFinite(reset) || reset < 0) return undefined;
  const ms = reset > 1_000_000_000 ? reset * 1000 - nowMs : reset * 1000;
  return Math.min(MAX_SERVER_WAIT_MS, Math.max(0, Math.round(ms)));
}

/** What the server asks for, whichever header says it: the longer of Retry-After and the rate-limit reset. */
export function serverWaitMs(headers: HeaderSource, nowMs: number): number | undefined {
  const a = retryAfterMs(headers, nowMs);
  const b = rateLimitWaitMs(headers, nowMs);
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
