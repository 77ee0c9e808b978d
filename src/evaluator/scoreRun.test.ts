import assert from "node:assert/strict";
import { test } from "node:test";
import { deterministicChecks } from "./deterministicChecks.ts";
import { scoreRun } from "./scoreRun.ts";

const criteria = [
  { id: "clarity", description: "", weight: 3, score: 1, rationale: "" },
  { id: "fit", description: "", weight: 1, score: 0.6, rationale: "" },
];

test("score is the weighted mean when every check passes", () => {
  const v = scoreRun(criteria, [{ id: "a", passed: true, detail: "" }], 0.8);
  assert.equal(v.score, 0.9);
  assert.equal(v.pass, true);
});

test("a failed deterministic check scales the score and fails the verdict", () => {
  const checks = [
    { id: "a", passed: true, detail: "" },
    { id: "b", passed: false, detail: "" },
  ];
  const v = scoreRun(criteria, checks, 0.1);
  assert.equal(v.score, 0.45);
  assert.equal(v.pass, false);
});

test("out-of-range judge scores are clamped", () => {
  const v = scoreRun([{ id: "x", description: "", weight: 1, score: 7, rationale: "" }], [], 0.5);
  assert.equal(v.score, 1);
});

test("deterministic checks find sections, lengths and banned phrases", () => {
  const text = "# Plan\nbody\n## Timeline **\nact now, guaranteed results";
  const results = deterministicChecks(text, {
    requiredSections: ["Plan", "Timeline", "Budget"],
    minChars: 10,
    maxChars: 20,
    bannedPhrases: ["guaranteed results"],
  });
  const failed = results.filter((r) => !r.passed).map((r) => r.id);
  assert.deepEqual(failed, ["section:Budget", "length:max", "banned:guaranteed results"]);
});
