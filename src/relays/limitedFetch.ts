import type { Clock } from "../core/clock.ts";
import { rateLimitWaitMs, retryAfterMs } from "../core/retryPolicy.ts";
import type { SinkLimiter } from "./SinkLimiter.ts";

/**
 * A fetch paced by a SinkLimiter that also listens to the answer: a 429/503/529 with Retry-After, or an
 * exhausted X-Rate-Limit-Remaining, holds the limiter, so the next request of any caller sharing it
 * (the relay, the secrets loader, the client-matrix sync) waits as the server asked.
 */
export function limitedFetch(base: typeof fetch, limiter: SinkLimiter, clock: Clock): typeof fetch {
  const wrapped = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    await limiter.acquire();
    const res = await base(input, init);
    const now = clock.now().getTime();
    const wait = [429, 503, 529].includes(res.status) ? retryAfterMs(res.headers, now) : undefined;
    const budget = rateLimitWaitMs(res.headers, now);
    const hold = Math.max(wait ?? 0, budget ?? 0);
    if (hold > 0) limiter.holdFor(hold);
    return res;
  };
  return wrapped as typeof fetch;
}
