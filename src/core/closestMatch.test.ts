import assert from "node:assert/strict";
import { test } from "node:test";
import { closestMatch } from "./closestMatch.ts";

const keys = ["persona", "goal", "description", "inputs", "agents", "evaluator", "depends_on"];

test("suggests the nearest key for typos, truncations and extensions", () => {
  assert.equal(closestMatch("depnds_on", keys), "depends_on");
  assert.equal(closestMatch("depends-on", keys), "depends_on");
  assert.equal(closestMatch("descr", keys), "description");
  assert.equal(closestMatch("persona_name", keys), "persona");
  assert.equal(closestMatch("Agents", keys), "agents");
});

test("suggests nothing when nothing is close", () => {
  assert.equal(closestMatch("colour", keys), undefined);
  assert.equal(closestMatch("x", []), undefined);
});
