/**
 * A leader elected after another replica's loop (DATABASE_URL) takes the loop's lease whoever holds it,
 * and its first beat counts the beats missed since the last leader's last beat as late: a drift signal,
 * as any late tick is. Without the election, a live lease of another host still refuses the loop.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { testApp } from "../helpers/testApp.ts";

const t = testApp();
after(t.cleanup);

test("the elected leader takes the loop and its first beat is late by the handover", async () => {
  const { app, clock } = t;
  const lastBeat = clock.now();
  await app.state().setValue("loop.lease", {
    pid: 4_000_000,
    host: "replica-that-died",
    mode: "slack",
    startedAt: lastBeat.toISOString(),
    lastBeatAt: lastBeat.toISOString(),
    relayPort: null,
    slack: true,
    intervalSeconds: 60,
  });
  // 100 s after its last beat: the dead leader's lease still looks live (two intervals and a margin).
  await clock.advance(100_000);
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless" });
  assert.equal(await kernel.startLoop(), false, "no election: the lease of another host refuses");
  assert.equal(await kernel.startLoop({ takeover: true }), true, "elected: the loop starts here");
  await kernel.idle();
  if (app.ledger().query({ eventType: "HEARTBEAT" }).length === 0) {
    await clock.advance(60_000);
    await kernel.idle();
  }
  const beat = app.ledger().query({ eventType: "HEARTBEAT" })[0]?.payload as {
    tick: { late: boolean; lateMs: number; missedSlots: number };
    drift: { components: { name: string; points: number; detail: string }[] };
  };
  assert.equal(beat.tick.late, true);
  assert.ok(beat.tick.lateMs >= 40_000, `late by the handover: ${beat.tick.lateMs} ms`);
  assert.equal(app.ledger().query({ eventType: "HEARTBEAT_LATE" }).length, 1);
  const hb = beat.drift.components.find((c) => c.name === "heartbeat");
  assert.ok(hb && hb.points > 0, `the heartbeat component carries it: ${hb?.detail}`);
  const lease = await app.state().getValue<{ pid: number }>("loop.lease");
  assert.equal(lease?.pid, process.pid, "the lease is this process's now");
  await kernel.stopLoop();
});
