import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { loadStackFile } from "./loadStackFile.ts";

const shipped = path.resolve(import.meta.dirname, "../../stacks/marketing_ops.yaml");

test("a stack file read again gives the same stack, a fresh copy each time", () => {
  const a = loadStackFile(shipped);
  a.goal = "changed by a caller";
  a.agents.length = 0;
  const b = loadStackFile(shipped);
  assert.notEqual(b.goal, "changed by a caller");
  assert.ok(b.agents.length > 0);
});

test("an edited stack file is read as edited, and a broken edit is reported, not served from before", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "maos-stackfile-"));
  try {
    const file = path.join(dir, "marketing_ops.yaml");
    copyFileSync(shipped, file);
    const before = loadStackFile(file).goal;
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace(/^goal: .*$/m, "goal: A goal edited between two runs"));
    assert.equal(loadStackFile(file).goal, "A goal edited between two runs");
    assert.notEqual(before, "A goal edited between two runs");
    writeFileSync(file, `${text}\nagents: [unclosed\n`);
    assert.throws(() => loadStackFile(file), { code: "STACK_INVALID" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
