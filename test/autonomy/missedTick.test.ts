import assert from "node:assert/strict";
import { after, test } from "node:test";
import { testApp } from "../helpers/testApp.ts";

const t = testApp();
after(t.cleanup);

test("a missed tick (the clock jumps 5 minutes) becomes a drift signal", async () => {
  const { app, clock } = t;
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless" });
  assert.equal(await kernel.startLoop(), true);
  const start = clock.now().getTime();
  assert.equal(
    kernel.nextHeartbeatAt()?.getTime(),
    start + 60_000,
    "croner puts the first beat one interval out",
  );

  for (let i = 0; i < 2; i++) {
    await clock.advance(60_000);
    await kernel.idle();
  }
  let beats = app.ledger().query({ eventType: "HEARTBEAT" });
  assert.equal(beats.length, 2);
  for (const b of beats) {
    const p = b.payload as {
      tick: { lateMs: number; missedSlots: number; late: boolean };
      drift: { score: number };
    };
    assert.deepEqual([p.tick.lateMs, p.tick.missedSlots, p.tick.late], [0, 0, false]);
    assert.equal(p.drift.score, 0);
  }

  // The machine sleeps through five slots: one jump of 5 minutes past the due time.
  await clock.advance(5 * 60_000);
  await kernel.idle();
  beats = app.ledger().query({ eventType: "HEARTBEAT" });
  assert.equal(beats.length, 3, "one late heartbeat, not a burst of catch-up beats");
  const late = beats[2]?.payload as {
    tick: { lateMs: number; missedSlots: number; late: boolean };
    drift: { score: number; band: string; components: { name: string; points: number; detail: string }[] };
  };
  assert.equal(late.tick.lateMs, 4 * 60_000);
  assert.equal(late.tick.missedSlots, 4);
  assert.equal(late.tick.late, true);
  const hb = late.drift.components.find((c) => c.name === "heartbeat");
  assert.ok(hb && hb.points > 0, "the heartbeat component carries the miss");
  assert.match(hb.detail, /4 missed, 1 late in the last 3 heartbeats \(window 10\)/);
  // (4 missed + 0.5 × 1 late) / 10 heartbeats × weight 25 = 11.25 points: yellow.
  assert.equal(hb.points, 11.3);
  assert.equal(late.drift.band, "yellow");
  assert.ok(late.drift.score > 0);
  assert.equal(app.ledger().query({ eventType: "HEARTBEAT_LATE" }).length, 1);
  const band = app.ledger().query({ eventType: "DRIFT_BAND_CHANGED" }).at(-1)?.payload as {
    from: string;
    to: string;
  };
  assert.deepEqual([band.from, band.to], ["green", "yellow"]);
  // The next beat is one interval after the late one, on the clock's new time.
  assert.equal(kernel.nextHeartbeatAt()?.getTime(), clock.now().getTime() + 60_000);
  await kernel.stopLoop();
});
