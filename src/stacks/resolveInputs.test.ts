import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { resolveInputs } from "./resolveInputs.ts";
import { validateStackText } from "./validateStack.ts";

const stack = validateStackText(
  `persona: demo
goal: g
inputs:
  - name: event
    required: true
  - name: region
    default: US
  - name: note
agents:
  - agent: a
    role: r
`,
  "demo.yaml",
);

test("given values win, defaults fill in, unset optional inputs are left out, in declared order", () => {
  assert.deepEqual(resolveInputs(stack, { region: "EU", event: "Expo" }), { event: "Expo", region: "EU" });
  assert.deepEqual(Object.keys(resolveInputs(stack, { note: "n", event: "e" })), ["event", "region", "note"]);
});

test("a missing required input is a USAGE error naming the --input to add", () => {
  assert.throws(
    () => resolveInputs(stack, {}),
    (e) =>
      e instanceof CodexError &&
      e.code === "USAGE" &&
      e.message.includes("event") &&
      /--input event=/.test(e.hint ?? ""),
  );
});

test("an undeclared input is a USAGE error with a suggestion", () => {
  assert.throws(
    () => resolveInputs(stack, { event: "x", regoin: "EU" }),
    (e) => e instanceof CodexError && e.code === "USAGE" && e.message.includes('did you mean "region"'),
  );
});
