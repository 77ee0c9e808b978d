import assert from "node:assert/strict";
import { test } from "node:test";
import { rankLessons } from "./rankLessons.ts";

test("repeated lessons rank first, then the newest", () => {
  const ranked = rankLessons(
    [
      { runId: "3", lessons: ["Name the venue", "Add a deadline"] },
      { runId: "2", lessons: ["add a  deadline", "Shorter subject lines"] },
      { runId: "1", lessons: ["Old lesson"] },
    ],
    3,
  );
  assert.deepEqual(ranked, ["Add a deadline", "Name the venue", "Shorter subject lines"]);
});

test("no records, no lessons", () => {
  assert.deepEqual(rankLessons([]), []);
});
