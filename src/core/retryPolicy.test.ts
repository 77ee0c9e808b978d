import assert from "node:assert/strict";
import { test } from "node:test";
import {
  backoffMs,
  DEFAULT_BACKOFF,
  MAX_SERVER_WAIT_MS,
  rateLimitWaitMs,
  retryAfterMs,
  serverWaitMs,
} from "./retryPolicy.ts";

test("backoff doubles from the base, is capped, and keeps half of each step fixed (equal jitter)", () => {
  const at = (attempt: number, r: number) => backoffMs(attempt, () => r);
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => at(a, 0)),
    [500, 1000, 2000, 4000],
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => at(a, 1)),
    [1000, 2000, 4000, 8000],
  );
  assert.equal(at(30, 1), DEFAULT_BACKOFF.capMs);
  assert.equal(at(30, 0), DEFAULT_BACKOFF.capMs / 2);
  // Random values outside [0, 1] cannot push a wait outside its band.
  assert.equal(at(1, 7), 1000);
  assert.equal(at(1, -3), 500);
});

test("Retry-After is read as seconds or as an HTTP date, and capped", () => {
  const now = Date.parse("2026-11-21T15:00:00Z");
  assert.equal(retryAfterMs(new Headers({ "retry-after": "7" }), now), 7000);
  assert.equal(retryAfterMs({ "Retry-After": "1.5" }, now), 1500);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "Sat, 21 Nov 2026 15:00:30 GMT" }), now), 30_000);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "86400" }), now), MAX_SERVER_WAIT_MS);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "soon" }), now), undefined);
  assert.equal(retryAfterMs(new Headers(), now), undefined);
});

test("an exhausted X-Rate-Limit budget waits for its reset (seconds, or a Unix time)", () => {
  const now = Date.parse("2026-11-21T15:00:00Z");
  const h = (remaining: string, reset: string) =>
    new Headers({
      "x-rate-limit-limit": "150",
      "x-rate-limit-remaining": remaining,
      "x-rate-limit-reset": reset,
    });
  assert.equal(rateLimitWaitMs(h("0", "42"), now), 42_000);
  assert.equal(rateLimitWaitMs(h("0", String(now / 1000 + 12)), now), 12_000);
  assert.equal(rateLimitWaitMs(h("3", "42"), now), undefined, "budget left: no wait");
  assert.equal(
    serverWaitMs(
      new Headers({ "retry-after": "5", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "9" }),
      now,
    ),
    9000,
  );
});
