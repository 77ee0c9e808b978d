/**
 * A large memory (over 500 items) is searched on the reader's thread, so a run's recall does not hold
 * the event loop that acks Slack; the ids it returns must still lead to the right rows.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { memoryPath } from "../../src/memory/openMemory.ts";
import { testApp } from "../helpers/testApp.ts";

const SEARCH_ALONE = path.join(import.meta.dirname, "searchAlone.ts");

test("memory: a search over more than 500 items (on the reader's thread) finds the rare lesson first", async () => {
  const t = testApp();
  try {
    const ledger = t.app.ledger();
    for (let run = 0; run < 30; run++) {
      const lessons = Array.from({ length: 20 }, (_, i) =>
        run === 17 && i === 3
          ? "Name the zephyrine deadline in the subject line when the expo is less than a week away."
          : `Lesson ${i} of run ${run}: keep the subject line short and name the event and its city.`,
      );
      await ledger.append({
        eventType: "WISDOM_RECORDED",
        actor: "system",
        correlationId: `run-${run}`,
        payload: { runId: `run-${run}`, stack: "marketing_ops", score: 0.8, lessons },
      });
    }
    const memory = t.app.memory();
    await memory.sync(t.app.ledgerPath(), path.join(t.home, "vault"));

    const rare = await memory.search({ query: "zephyrine deadline for the expo", stack: "marketing_ops" });
    assert.equal(rare.mode, "keyword");
    assert.match(rare.hits[0]?.text ?? "", /zephyrine/);
    assert.equal(rare.hits.length, 5);

    const common = await memory.search({
      query: "subject line event city",
      stack: "marketing_ops",
      limit: 7,
    });
    assert.equal(common.hits.length, 7);
    assert.ok(common.hits.every((h) => h.stack === "marketing_ops" && h.kind === "lesson"));
    // Scores come out best first, as BM25 ranked them on the other thread.
    const scores = common.hits.map((h) => h.score);
    assert.deepEqual(
      scores,
      [...scores].sort((x, y) => y - x),
    );

    // A process with nothing else to do waits for the reader's answer (a CLI run waiting on its recall).
    const alone = spawnSync(process.execPath, [SEARCH_ALONE, memoryPath(t.home), "zephyrine deadline"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(alone.status, 0, alone.stderr);
    assert.match(alone.stdout, /zephyrine/);
  } finally {
    t.app.memory().close();
    await t.cleanup();
  }
});
