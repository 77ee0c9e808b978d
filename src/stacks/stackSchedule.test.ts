import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import type { YamlProblem } from "../core/problems.ts";
import { scheduledRuns } from "../executor/queue/runSchedules.ts";
import { validateStackText } from "./index.ts";

const STACK = `persona: weekly_digest
goal: Summarise the week
inputs:
  - { name: topic, default: operations }
agents:
  - { agent: writer, role: Writer }
`;

test("a stack's schedule: a cron read in Chicago by default, inputs as text, listed with the charter's", () => {
  const stack = validateStackText(
    `${STACK}schedule:\n  cron: "0 9 * * 1"\n  inputs: { topic: 7 }\n`,
    "weekly_digest.yaml",
  );
  assert.deepEqual(stack.schedule, {
    cron: "0 9 * * 1",
    timezone: "America/Chicago",
    inputs: { topic: "7" },
  });
  const charter = [{ stack: "marketing_ops", cron: "0 8 * * *", timezone: "UTC", inputs: {} }];
  assert.deepEqual(scheduledRuns(charter, [stack, validateStackText(STACK, "plain.yaml")]), [
    charter[0],
    { stack: "weekly_digest", cron: "0 9 * * 1", timezone: "America/Chicago", inputs: { topic: "7" } },
  ]);
});

test("a stack's bad schedule is STACK_INVALID naming the file, the field and why", () => {
  let caught: unknown;
  try {
    validateStackText(
      `${STACK}schedule:\n  cron: "0 9 * *"\n  timezone: Mars/Olympus\n  inputs: { topik: x }\n`,
      "weekly_digest.yaml",
    );
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CodexError);
  assert.equal(caught.code, "STACK_INVALID");
  assert.match(caught.message, /weekly_digest\.yaml/);
  const byPath = new Map((caught.details as YamlProblem[]).map((d) => [d.path, d.message]));
  assert.match(byPath.get("schedule.cron") ?? "", /five cron fields/);
  assert.match(byPath.get("schedule.inputs.topik") ?? "", /no input "topik" in this stack \(topic\)/);
});
