import assert from "node:assert/strict";
import { test } from "node:test";
import { shortLine } from "./shortLine.ts";

test("a short one-line value is shown whole", () => {
  assert.equal(shortLine("United States"), "United States");
  assert.equal(shortLine(""), "");
});

test("a long line is cut at the limit; a multi-line value shows its first line and its line count", () => {
  assert.equal(shortLine("a".repeat(45)), `${"a".repeat(40)}…`);
  assert.equal(shortLine("unit_id,class\nSS-101,skid steer\nSS-102,skid steer\n"), "unit_id,class (3 lines)");
  assert.equal(shortLine("one two three", 7), "one two…");
});
