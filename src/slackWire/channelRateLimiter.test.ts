import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { webApi } from "@slack/bolt";
import { ManualClock } from "../core/clock.ts";
import { ChannelRateLimiter, retryAfterMs } from "./channelRateLimiter.ts";

/** Lets queued promise callbacks run; no time passes. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("ChannelRateLimiter", () => {
  test("runs one channel's calls in order, spaced 1 s apart through the clock", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    const starts: [string, number][] = [];
    const call = (name: string) => async () => {
      starts.push([name, clock.monotonic()]);
      return name;
    };
    const t0 = clock.monotonic();
    const results = await Promise.all([
      limiter.schedule("C1", call("a")),
      limiter.schedule("C1", call("b")),
      limiter.schedule("C1", call("c")),
    ]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(starts, [
      ["a", t0],
      ["b", t0 + 1000],
      ["c", t0 + 2000],
    ]);
    assert.deepEqual(clock.sleeps, [1000, 1000]);
  });

  test("a call that took longer than the interval lets the next start at once", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    await limiter.schedule("C1", () => clock.sleep(1500));
    await limiter.schedule("C1", async () => "next");
    assert.deepEqual(clock.sleeps, [1500], "no spacing sleep after a slow call");
  });

  test("the interval is configurable", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock, intervalMs: 250 });
    await Promise.all([limiter.schedule("C1", async () => 1), limiter.schedule("C1", async () => 2)]);
    assert.deepEqual(clock.sleeps, [250]);
  });

  test("channels run concurrently; a waiting channel does not hold up another", async () => {
    const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
    const limiter = new ChannelRateLimiter({ clock });
    const started: string[] = [];
    const call = (name: string) => async () => {
      started.push(name);
    };
    const all = Promise.all([
      limiter.schedule("A", call("A1")),
      limiter.schedule("A", call("A2")),
      limiter.schedule("B", call("B1")),
      limiter.schedule("B", call("B2")),
      limiter.schedule("C", call("C1")),
    ]);
    await tick();
    assert.deepEqual(started.sort(), ["A1", "B1", "C1"]);
    assert.equal(limiter.pending(), 2);
    assert.equal(limiter.pending("A"), 1);
    await clock.advance(999);
    assert.equal(started.length, 3, "not before a full second");
    await clock.advance(1);
    await all;
    assert.deepEqual(started.slice(3).sort(), ["A2", "B2"]);
    assert.equal(limiter.pending(), 0);
  });

  test("a 429's Retry-After is waited out through the clock and the same call retried", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    let calls = 0;
    const result = await limiter.schedule("C1", async () => {
      calls++;
      if (calls === 1) throw new webApi.WebAPIRateLimitedError(2);
      return "posted";
    });
    assert.equal(result, "posted");
    assert.equal(calls, 2);
    assert.deepEqual(clock.sleeps, [2000], "Retry-After 2 s, and no extra spacing on top");
  });

  test("a raw HTTP 429 with a Retry-After header is honoured too", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    let calls = 0;
    await limiter.schedule("C1", async () => {
      if (calls++ === 0) throw new webApi.WebAPIHTTPError(429, "Too Many Requests", { "retry-after": "3" });
    });
    assert.deepEqual(clock.sleeps, [3000]);
  });

  test("calls behind a rate-limited one wait for it, in order", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    const order: string[] = [];
    let limited = true;
    await Promise.all([
      limiter.schedule("C1", async () => {
        if (limited) {
          limited = false;
          order.push("first (429)");
          throw new webApi.WebAPIRateLimitedError(5);
        }
        order.push("first");
      }),
      limiter.schedule("C1", async () => {
        order.push("second");
      }),
    ]);
    assert.deepEqual(order, ["first (429)", "first", "second"]);
    assert.deepEqual(clock.sleeps, [5000, 1000]);
  });

  test("gives up after maxAttempts and rethrows the rate-limit error", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock, maxAttempts: 3 });
    let calls = 0;
    await assert.rejects(
      limiter.schedule("C1", async () => {
        calls++;
        throw new webApi.WebAPIRateLimitedError(1);
      }),
      (err: unknown) => err instanceof webApi.WebAPIRateLimitedError,
    );
    assert.equal(calls, 3);
    assert.deepEqual(clock.sleeps, [1000, 1000]);
  });

  test("a Retry-After beyond maxRetryAfterMs is not waited out", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock, maxRetryAfterMs: 30_000 });
    await assert.rejects(
      limiter.schedule("C1", async () => {
        throw new webApi.WebAPIRateLimitedError(120);
      }),
      webApi.WebAPIRateLimitedError,
    );
    assert.deepEqual(clock.sleeps, []);
  });

  test("other errors are rethrown at once and the channel carries on", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    let calls = 0;
    const failing = limiter.schedule("C1", async () => {
      calls++;
      throw new Error("channel_not_found");
    });
    const next = limiter.schedule("C1", async () => "ok");
    await assert.rejects(failing, /channel_not_found/);
    assert.equal(await next, "ok");
    assert.equal(calls, 1);
  });
});

describe("retryAfterMs", () => {
  test("reads web-api's rate-limit and HTTP 429 errors, nothing else", () => {
    assert.equal(retryAfterMs(new webApi.WebAPIRateLimitedError(7)), 7000);
    assert.equal(retryAfterMs({ code: "slack_webapi_rate_limited_error", retryAfter: 0 }), 0);
    assert.equal(
      retryAfterMs(new webApi.WebAPIHTTPError(429, "Too Many Requests", { "retry-after": "4" })),
      4000,
    );
    assert.equal(retryAfterMs(new webApi.WebAPIHTTPError(429, "Too Many Requests", {})), undefined);
    assert.equal(
      retryAfterMs(new webApi.WebAPIHTTPError(500, "Server Error", { "retry-after": "4" })),
      undefined,
    );
    assert.equal(retryAfterMs(new Error("boom")), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs({ code: "slack_webapi_rate_limited_error", retryAfter: "5" }), undefined);
  });
});
