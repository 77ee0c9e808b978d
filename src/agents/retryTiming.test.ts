import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay, nextDelay, RETRY_AFTER_CAP_MS, retryAfterMs } from "./retryTiming.ts";

test("backoff is full jitter under a doubling, capped ceiling", () => {
  const top = () => 0.999999;
  assert.equal(backoffDelay(1, 500, 8000, top), 499);
  assert.equal(backoffDelay(2, 500, 8000, top), 999);
  assert.equal(backoffDelay(4, 500, 8000, top), 3999);
  assert.equal(backoffDelay(6, 500, 8000, top), 7999); // 500·2^5 = 16000 capped at 8000
  assert.equal(
    backoffDelay(3, 500, 8000, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, 500, 8000, () => 0.5),
    1000,
  );
});

test("Retry-After is read as seconds, an HTTP date, or retry-after-ms", () => {
  const now = new Date("2026-11-21T15:00:00.000Z");
  assert.equal(retryAfterMs({ retryAfter: "2" }, now), 2000);
  assert.equal(retryAfterMs({ retryAfter: "1.5" }, now), 1500);
  assert.equal(retryAfterMs({ retryAfter: "Sat, 21 Nov 2026 15:00:07 GMT" }, now), 7000);
  assert.equal(retryAfterMs({ retryAfter: "Sat, 21 Nov 2026 14:00:00 GMT" }, now), 0);
  assert.equal(retryAfterMs({ retryAfterMs: "250", retryAfter: "9" }, now), 250);
  assert.equal(retryAfterMs({ retryAfter: "soon" }, now), undefined);
  assert.equal(retryAfterMs({}, now), undefined);
});

test("the next delay honours Retry-After up to the cap", () => {
  assert.equal(nextDelay(300, undefined), 300);
  assert.equal(nextDelay(300, 2000), 2000);
  assert.equal(nextDelay(5000, 2000), 5000);
  assert.equal(nextDelay(300, 3_600_000), RETRY_AFTER_CAP_MS);
});
