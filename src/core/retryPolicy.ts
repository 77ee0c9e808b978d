/**
 * One place for "how long until the next try": capped exponential backoff with the jitter each caller
 * needs, and the server's own ask (Retry-After, retry-after-ms, X-Rate-Limit-Reset) read one way. The
 * evidence sinks, the LLM providers, the Slack rate limiter and the vault's push all use it; each keeps
 * its own policy (base, cap, jitter), because their costs differ.
 */

export interface BackoffPolicy {
  /** The first retry waits about this long. */
  baseMs: number;
  /** No wait grows beyond this. */
  capMs: number;
  /**
   * `equal`: half of each step fixed, half random (a wait never collapses to zero: the sinks);
   * `full`: anywhere in [0, step) (simultaneous retriers spread over the whole window: the providers,
   * after the AWS Architecture Blog's "Exponential Backoff and Jitter"); `none`: the step itself.
   * Equal jitter when unset.
   */
  jitter?: "equal" | "full" | "none";
}

/** 1 s doubling to 5 min: an outage of about half an hour costs a dozen attempts per sink, not hundreds. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 5 * 60_000, jitter: "equal" };

/** A Retry-After longer than this is treated as this: a confused server must not park a sink for a day. */
export const MAX_SERVER_WAIT_MS = 15 * 60_000;

/** The wait before try number `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffMs(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(1, Math.max(0, random()));
  switch (policy.jitter ?? "equal") {
    case "none":
      return step;
    case "full":
      return Math.floor(r * step);
    default:
      return Math.round(step / 2 + (step / 2) * r);
  }
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

/** One header, case-insensitively, from fetch Headers or a Node/SDK header record. */
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

/**
 * A Retry-After value in ms: delta-seconds, or an HTTP date (RFC 9110 §10.2.3) when `nowMs` is given to
 * resolve it against; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs?: number): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  if (nowMs === undefined) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** `retry-after-ms` (OpenAI, Anthropic) in ms, when present and readable. */
export function parseRetryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value.trim());
  return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : undefined;
}

/** The Retry-After of a response in ms, at most `capMs`; undefined when absent or unreadable. */
export function retryAfterMs(
  headers: HeaderSource,
  nowMs: number,
  capMs = MAX_SERVER_WAIT_MS,
): number | undefined {
  const ms = parseRetryAfter(header(headers, "retry-after"), nowMs);
  return ms === undefined ? undefined : Math.min(capMs, ms);
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
