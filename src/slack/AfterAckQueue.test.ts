import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { AfterAckQueue } from "./AfterAckQueue.ts";

/** Event-loop turns by hand: `defer` queues, `turn()` runs what was queued before it. */
function turns() {
  let queued: (() => void)[] = [];
  return {
    defer: (fn: () => void) => {
      queued.push(fn);
    },
    turn() {
      const now = queued;
      queued = [];
      for (const fn of now) fn();
    },
    get pending() {
      return queued.length;
    },
  };
}

function setup(opts: { quietMs?: number; maxHoldMs?: number } = {}) {
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
  const loop = turns();
  const queue = new AfterAckQueue({ clock, defer: loop.defer, ...opts });
  const started: string[] = [];
  const job = (name: string) => () => {
    started.push(name);
    return Promise.resolve(name);
  };
  return { clock, loop, queue, started, job };
}

describe("AfterAckQueue", () => {
  test("nothing starts in the caller's turn; then one job per event-loop turn, in order", () => {
    const { loop, queue, started, job } = setup();
    void queue.run(job("a"));
    void queue.run(job("b"));
    void queue.run(job("c"));
    assert.deepEqual(started, []);
    assert.equal(queue.waiting, 3);
    loop.turn();
    assert.deepEqual(started, ["a"]);
    loop.turn();
    assert.deepEqual(started, ["a", "b"]);
    loop.turn();
    assert.deepEqual(started, ["a", "b", "c"]);
    assert.equal(queue.waiting, 0);
    loop.turn();
    assert.equal(loop.pending, 0, "an empty queue schedules nothing");
  });

  test("while a request waits for its ack no job starts; after its response and a quiet spell, work resumes", async () => {
    const { clock, loop, queue, started, job } = setup({ quietMs: 10, maxHoldMs: 100 });
    queue.requestStarted();
    void queue.run(job("run"));
    loop.turn();
    loop.turn();
    assert.deepEqual(started, [], "held while the ack is owed");

    await clock.advance(5);
    queue.requestFinished();
    loop.turn();
    assert.deepEqual(started, [], "5 ms after the last arrival: the burst may go on");

    // A second request of the same burst arrives and is answered.
    queue.requestStarted();
    queue.requestFinished();
    loop.turn();
    await clock.advance(9);
    loop.turn();
    assert.deepEqual(started, [], "quiet is counted from the latest arrival");

    await clock.advance(1);
    loop.turn();
    assert.deepEqual(started, ["run"]);
  });

  test("a hold lasts at most maxHoldMs, then jobs start one per turn even while requests keep coming", async () => {
    const { clock, loop, queue, started, job } = setup({ quietMs: 10, maxHoldMs: 30 });
    queue.requestStarted(); // never answered: a stalled client
    void queue.run(job("a"));
    void queue.run(job("b"));
    loop.turn();
    await clock.advance(29);
    loop.turn();
    assert.deepEqual(started, []);
    await clock.advance(1);
    loop.turn();
    assert.deepEqual(started, ["a"]);
    queue.requestStarted();
    loop.turn();
    assert.deepEqual(started, ["a", "b"], "past the cap, new arrivals do not hold again");
  });

  test("a new hold starts once the requests have gone quiet", async () => {
    const { clock, loop, queue, started, job } = setup({ quietMs: 10, maxHoldMs: 30 });
    void queue.run(job("a"));
    loop.turn();
    assert.deepEqual(started, ["a"]);
    queue.requestStarted();
    void queue.run(job("b"));
    loop.turn();
    assert.deepEqual(started, ["a"], "held again for the new request");
    queue.requestFinished();
    await clock.advance(10);
    loop.turn();
    assert.deepEqual(started, ["a", "b"]);
  });

  test("run settles as the job does, a synchronous throw included", async () => {
    const { loop, queue } = setup();
    const ok = queue.run(async () => 42);
    const failed = queue.run(() => Promise.reject(new Error("slack said no")));
    const threw = queue.run((): Promise<void> => {
      throw new Error("thrown before any await");
    });
    loop.turn();
    loop.turn();
    loop.turn();
    assert.equal(await ok, 42);
    await assert.rejects(failed, /slack said no/);
    await assert.rejects(threw, /thrown before any await/);
  });
});
