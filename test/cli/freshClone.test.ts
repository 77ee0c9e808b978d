/**
 * Issue 8's check: from a clone of the repository's committed HEAD in a temporary folder, the headline
 * usage `npx maos run marketing_ops --json` runs with no inputs. No network: the clone gets this
 * checkout's node_modules by a symbolic link instead of an `npm install`, and npx runs the project's
 * own `maos` bin (package.json "bin"), so it has nothing to fetch; npm_config_offline makes sure of it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";

let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "maos-clone-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const npx = spawnSync("npx", ["--version"], { encoding: "utf8" });

test("a fresh clone runs `npx maos run marketing_ops --json` with no inputs", {
  skip: npx.status === 0 ? false : "needs environment: npx (it ships with npm) on PATH",
}, () => {
  const clone = path.join(tmp, "maos-codex");
  const git = spawnSync("git", ["clone", "--quiet", "--no-hardlinks", REPO, clone], { encoding: "utf8" });
  assert.equal(git.status, 0, git.stderr);
  symlinkSync(path.join(REPO, "node_modules"), path.join(clone, "node_modules"), "dir");
  const home = path.join(tmp, "home");

  const r = spawnSync("npx", ["maos", "run", "marketing_ops", "--json"], {
    cwd: clone,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmp,
      MAOS_HOME: home,
      npm_config_offline: "true",
      npm_config_update_notifier: "false",
      npm_config_cache: path.join(tmp, "npm-cache"),
    },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  for (const k of ["runId", "correlationId", "stack", "status", "score", "pass", "steps"])
    assert.ok(k in doc, k);
  assert.equal(doc.stack, "marketing_ops");
  assert.equal(doc.status, "completed");
  assert.ok(doc.score >= 0 && doc.score <= 1);
  assert.equal(typeof doc.pass, "boolean");
  assert.ok(doc.steps.length >= 3);
  for (const s of doc.steps)
    for (const k of ["agent", "provider", "attempts", "tokens", "ms"]) assert.ok(k in s, k);
  assert.ok(doc.vault.path.startsWith(path.join(home, "vault")), doc.vault.path);
  assert.match(doc.vault.commit, /^[0-9a-f]{40}$/);
  assert.match(doc.seal.root, /^[0-9a-f]{64}$/);
  assert.ok(doc.ledger.size > 0);
  assert.match(doc.ledger.head, /^[0-9a-f]{64}$/);
});
