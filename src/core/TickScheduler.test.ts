import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "./clock.ts";
import { cronSchedule, intervalSchedule, type Tick, TickScheduler } from "./TickScheduler.ts";

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("TickScheduler", () => {
  test("fires on the interval through the injected clock, and reports lateness and missed slots", async () => {
    const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
    const ticks: Tick[] = [];
    const s = new TickScheduler({
      clock,
      next: intervalSchedule(60),
      onTick: async (t) => {
        ticks.push(t);
      },
      lateToleranceMs: 6000,
    });
    s.start();
    await settle();
    assert.equal(s.nextAt()?.toISOString(), "2026-11-21T15:01:00.000Z");
    await clock.advance(59_999);
    assert.equal(ticks.length, 0, "not before it is due");
    await clock.advance(1);
    assert.equal(ticks.length, 1);
    assert.deepEqual([ticks[0]?.lateMs, ticks[0]?.missedSlots, ticks[0]?.late], [0, 0, false]);
    await clock.advance(60_000 + 7000);
    assert.deepEqual([ticks[1]?.lateMs, ticks[1]?.missedSlots, ticks[1]?.late], [7000, 0, true], "7 s late");
    await clock.advance(10 * 60_000);
    assert.equal(ticks.length, 3, "a long stall is one late tick, never a catch-up burst");
    assert.equal(ticks[2]?.missedSlots, 9);
    await s.stop();
    assert.equal(s.nextAt(), undefined);
  });

  test("ticks never overlap: one still running makes the next one skip (croner's protect)", async () => {
    const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
    let release: () => void = () => undefined;
    const started: Tick[] = [];
    const skipped: Tick[] = [];
    const s = new TickScheduler({
      clock,
      next: intervalSchedule(60),
      onTick: (t) => {
        started.push(t);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      onSkip: (t) => {
        skipped.push(t);
      },
      lateToleranceMs: 6000,
    });
    s.start();
    await settle();
    await clock.advance(60_000);
    await clock.advance(60_000);
    assert.equal(started.length, 1);
    assert.equal(skipped.length, 1);
    assert.equal(s.skipped, 1);
    release();
    await s.idle();
    await clock.advance(60_000);
    assert.equal(started.length, 2, "the next slot runs once the previous tick finished");
    release();
    await s.stop();
  });

  test("cron schedules are read in America/Chicago", () => {
    const next = cronSchedule("0 18 * * *");
    // 15:00Z is 09:00 in Chicago (CST, UTC−6): 18:00 CST is 00:00Z the next day.
    assert.equal(next(new Date("2026-11-21T15:00:00.000Z")).toISOString(), "2026-11-22T00:00:00.000Z");
    // In July Chicago is on CDT (UTC−5).
    assert.equal(next(new Date("2026-07-01T12:00:00.000Z")).toISOString(), "2026-07-01T23:00:00.000Z");
  });
});
