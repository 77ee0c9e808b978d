import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SerialQueue } from "./SerialQueue.ts";

describe("SerialQueue", () => {
  it("runs tasks one at a time in call order, a failure not blocking the next", async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    let running = 0;
    const task =
      (name: string, fail = false) =>
      async () => {
        running++;
        assert.equal(running, 1, "two tasks overlapped");
        events.push(`start ${name}`);
        await Promise.resolve();
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`end ${name}`);
        running--;
        if (fail) throw new Error(`${name} failed`);
        return name;
      };
    const results = await Promise.allSettled([
      queue.run(task("a")),
      queue.run(task("b", true)),
      queue.run(task("c")),
    ]);
    assert.deepEqual(events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
  });
});
