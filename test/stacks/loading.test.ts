import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CodexError } from "../../src/core/CodexError.ts";
import type { YamlProblem } from "../../src/core/problems.ts";
import { loadCharter } from "../../src/governance/charter.ts";
import { findStack } from "../../src/stacks/findStack.ts";
import { loadStackFile } from "../../src/stacks/loadStackFile.ts";
import { loadStacks } from "../../src/stacks/loadStacks.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures");
const SEED_DIR = join(FIXTURES, "stacks/seed");
const MIXED_DIR = join(FIXTURES, "stacks/mixed");
const tmp = mkdtempSync(join(tmpdir(), "maos-stacks-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function codexError(fn: () => unknown, code: string): CodexError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodexError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test("findStack accepts the persona name and the seed's *_stack.yaml naming", () => {
  for (const name of [
    "marketing_ops",
    "marketing_ops_stack",
    "marketing_ops_stack.yaml",
    "stacks/marketing_ops.yaml",
  ]) {
    const s = findStack(SEED_DIR, name);
    assert.equal(s.name, "marketing_ops", name);
    assert.equal(s.file, join(SEED_DIR, "marketing_ops_stack.yaml"));
  }
});

test("findStack falls back to the persona when it differs from the file name", () => {
  assert.equal(findStack(MIXED_DIR, "weekly_digest").file, join(MIXED_DIR, "a_weekly_digest.yaml"));
});

test("STACK_NOT_FOUND lists the available stacks and names MAOS_STACKS", () => {
  const err = codexError(() => findStack(MIXED_DIR, "no_such"), "STACK_NOT_FOUND");
  assert.match(err.message, /no stack named "no_such"/);
  assert.match(err.message, /available: weekly_digest/);
  assert.match(err.message, /2 stack file\(s\) are invalid/);
  assert.match(err.hint ?? "", /MAOS_STACKS/);
});

test("loadStacks keeps good stacks and collects each bad file's error", () => {
  const { stacks, errors } = loadStacks(MIXED_DIR);
  assert.deepEqual(
    stacks.map((s) => s.name),
    ["weekly_digest"],
  );
  assert.equal(errors.length, 2);
  const unknown = errors[0]?.details as YamlProblem[];
  assert.equal(unknown[0]?.file, join(MIXED_DIR, "b_unknown_key.yaml"));
  assert.equal(unknown[0]?.path, "agents[0].dependson");
  assert.match(
    errors[0]?.message ?? "",
    /b_unknown_key\.yaml:6:5: agents\[0\]\.dependson: unknown key .* did you mean "depends_on"/,
  );
  assert.match(
    errors[1]?.message ?? "",
    /z_duplicate_persona\.yml:1:1: persona: "weekly_digest" is already defined/,
  );
});

test("a missing stacks folder is reported, not thrown", () => {
  const { stacks, errors } = loadStacks(join(tmp, "nope"));
  assert.deepEqual(stacks, []);
  assert.equal(errors[0]?.code, "STACK_NOT_FOUND");
  assert.match(errors[0]?.hint ?? "", /MAOS_STACKS/);
});

test("a missing stack file is STACK_NOT_FOUND", () => {
  codexError(() => loadStackFile(join(tmp, "missing.yaml")), "STACK_NOT_FOUND");
});

test("hostile file: the billion-laughs fixture is refused quickly", () => {
  const start = performance.now();
  const err = codexError(
    () => loadStackFile(join(FIXTURES, "stacks/hostile/billion_laughs.yaml")),
    "STACK_INVALID",
  );
  assert.ok(performance.now() - start < 500);
  assert.match(err.message, /billion_laughs\.yaml:\d+:\d+: .*more than 16 YAML aliases/);
});

test("hostile file: a 5 MiB file is refused by size before it is read whole", () => {
  const file = join(tmp, "huge.yaml");
  writeFileSync(file, `persona: huge\ngoal: g\n# ${"x".repeat(5 * 1024 * 1024)}\n`);
  const start = performance.now();
  const err = codexError(() => loadStackFile(file), "STACK_INVALID");
  assert.ok(performance.now() - start < 500);
  assert.match(err.message, /huge\.yaml:1:1: \(top level\): file is 5120\.0 KiB, over the 256 KiB cap/);
});

test("hostile file: an endless device is refused without reading it all", {
  skip: existsSync("/dev/zero") ? false : "needs environment: /dev/zero, an endless device",
}, () => {
  const err = codexError(() => loadStackFile("/dev/zero"), "STACK_INVALID");
  assert.match(err.message, /file is over the 256 KiB cap/);
});

test("hostile file: deep nesting on disk is refused quickly", () => {
  const file = join(tmp, "deep.yaml");
  writeFileSync(file, `persona: deep\ngoal: ${"{a: ".repeat(50_000)}1${"}".repeat(50_000)}\n`);
  const start = performance.now();
  const err = codexError(() => loadStackFile(file), "STACK_INVALID");
  assert.ok(performance.now() - start < 500);
  assert.match(err.message, /deep\.yaml:2:\d+: .*deeper than 64 levels/);
});

test("charter fixtures: a minimal charter fills defaults, an unknown key is pinned", () => {
  const c = loadCharter(join(FIXTURES, "charter/minimal.yml"));
  assert.deepEqual(c.roles.operator?.members, ["U0123OPS", "S0456ONCALL"]);
  assert.deepEqual(c.permissions.run, ["member"]);
  const err = codexError(() => loadCharter(join(FIXTURES, "charter/unknown_key.yml")), "CHARTER_INVALID");
  assert.match(
    err.message,
    /unknown_key\.yml:5:3: approvals\.self_aproval: unknown key "self_aproval"; did you mean "self_approval"/,
  );
  const missing = codexError(() => loadCharter(join(tmp, "charter.yml")), "CHARTER_INVALID");
  assert.match(missing.message, /does not exist/);
  assert.match(missing.hint ?? "", /MAOS_CHARTER/);
});
