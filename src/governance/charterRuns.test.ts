import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import type { YamlProblem } from "../core/problems.ts";
import { parseCharter } from "./charter.ts";
import { cronProblem } from "./charterRuns.ts";

const parse = (text: string) => parseCharter(new TextEncoder().encode(text), "/etc/maos/charter.yml");

test("runs: absent means no caps and no schedules", () => {
  assert.deepEqual(parse("").runs, { perStack: {}, perStackDefault: undefined, schedules: [] });
});

test("runs: per-stack caps and a schedule, inputs as text, Chicago by default", () => {
  const c = parse(`runs:
  per_stack: { marketing_ops: 1 }
  per_stack_default: 3
  schedules:
    - { stack: marketing_ops, cron: "0 9 * * 1-5", inputs: { count: 3 } }
    - { stack: field_estimator, cron: "*/15 * * * *", timezone: UTC }
`);
  assert.deepEqual(c.runs.perStack, { marketing_ops: 1 });
  assert.equal(c.runs.perStackDefault, 3);
  assert.deepEqual(c.runs.schedules, [
    { stack: "marketing_ops", cron: "0 9 * * 1-5", timezone: "America/Chicago", inputs: { count: "3" } },
    { stack: "field_estimator", cron: "*/15 * * * *", timezone: "UTC", inputs: {} },
  ]);
});

test("runs: a bad cron, a bad zone and a zero cap are CHARTER_INVALID naming the file and the field", () => {
  let caught: unknown;
  try {
    parse(`runs:
  per_stack: { marketing_ops: 0 }
  schedules:
    - { stack: marketing_ops, cron: "0 9 * *" }
    - { stack: marketing_ops, cron: "0 9 * * *", timezone: Mars/Olympus }
`);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CodexError);
  assert.equal(caught.code, "CHARTER_INVALID");
  assert.match(caught.message, /\/etc\/maos\/charter\.yml/);
  const paths = (caught.details as YamlProblem[]).map((d) => d.path);
  assert.ok(paths.includes("runs.per_stack.marketing_ops"), paths.join(", "));
});

test("cronProblem: five fields, a known zone, a readable pattern", () => {
  assert.equal(cronProblem("0 9 * * 1-5", "America/Chicago"), undefined);
  assert.match(cronProblem("0 9 * *", "UTC") ?? "", /five cron fields/);
  assert.match(cronProblem("0 0 9 * * 1", "UTC") ?? "", /five cron fields/);
  assert.match(cronProblem("0 9 * * *", "Mars/Olympus") ?? "", /unknown time zone "Mars\/Olympus"/);
  assert.match(cronProblem("99 9 * * *", "UTC") ?? "", /not a valid cron expression/);
});
