import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { dependenciesOf, executionOrder, findCycle } from "./executionOrder.ts";
import type { StackAgent } from "./stackSchema.ts";

function agent(id: string, dependsOn: string[] = [], instructions?: string): StackAgent {
  return {
    id,
    role: `${id} role`,
    instructions,
    dependsOn,
    provider: undefined,
    model: undefined,
    guardrails: { blockedTerms: [], maxChars: undefined },
    output: { format: "markdown", requiredSections: [] },
  };
}

test("without dependencies agents run in file order", () => {
  assert.deepEqual(executionOrder({ agents: [agent("c"), agent("a"), agent("b")] }), ["c", "a", "b"]);
});

test("depends_on moves an agent after its dependency, ties keep file order", () => {
  const agents = [agent("writer", ["planner"]), agent("reviewer"), agent("planner")];
  assert.deepEqual(executionOrder({ agents }), ["reviewer", "planner", "writer"]);
});

test("a template reference is an implicit dependency", () => {
  const agents = [agent("summary", [], "Sum up {{agents.detail.output}}"), agent("detail")];
  assert.deepEqual(dependenciesOf(agents[0] ?? agent("x")), ["detail"]);
  assert.deepEqual(executionOrder({ agents }), ["detail", "summary"]);
});

test("a diamond resolves with ties in file order", () => {
  const agents = [agent("d", ["b", "c"]), agent("c", ["a"]), agent("b", ["a"]), agent("a")];
  assert.deepEqual(executionOrder({ agents }), ["a", "c", "b", "d"]);
});

test("findCycle names the loop, including a self-dependency", () => {
  assert.deepEqual(findCycle({ agents: [agent("a", ["b"]), agent("b", [], "{{agents.a.output}}")] }), [
    "a",
    "b",
    "a",
  ]);
  assert.deepEqual(findCycle({ agents: [agent("a", ["a"])] }), ["a", "a"]);
  assert.equal(findCycle({ agents: [agent("a"), agent("b", ["a", "ghost"])] }), undefined);
});

test("executionOrder throws STACK_INVALID on a cycle", () => {
  assert.throws(
    () => executionOrder({ agents: [agent("x"), agent("a", ["c"]), agent("b", ["a"]), agent("c", ["b"])] }),
    (e) => e instanceof CodexError && e.code === "STACK_INVALID" && e.message.includes("a → c → b → a"),
  );
});

test("a long chain neither overflows the stack nor misorders", () => {
  const agents = Array.from({ length: 64 }, (_, i) => agent(`a${i}`, i === 63 ? [] : [`a${i + 1}`]));
  const order = executionOrder({ agents });
  assert.equal(order[0], "a63");
  assert.equal(order[63], "a0");
});
