/**
 * The vault's cross-process lock after a holder died inside its section: what that process left half
 * done in git (an index.lock no git process holds, a run folder staged but never committed) is repaired
 * before the next change, so the next seal commit carries its own run only.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "./vaultTestKit.ts";

test("a stale index.lock and a staged orphan folder left by a dead holder are cleared; the next seal is its own", async (t) => {
  const { dir: home, cleanup } = tempDir("crashlock");
  t.after(cleanup);
  const dir = join(home, "vault");
  const clock = new ManualClock("2026-11-21T15:00:00.000Z");
  const vault = await Vault.open({ dir, clock });

  // What a process killed between `git add` and `git commit` leaves: a staged folder, the lock's owner
  // file (it never released), and, if git itself was killed, an index.lock.
  const orphan = join(dir, "runs", "20261121T145900Z-marketing_ops-deadbeef");
  mkdirSync(orphan, { recursive: true });
  writeFileSync(join(orphan, "run.json"), "{}\n");
  git(dir, "add", "--force", "--", "runs/20261121T145900Z-marketing_ops-deadbeef");
  writeFileSync(
    join(home, ".vault.lock.owner"),
    `${JSON.stringify({ pid: 999999, host: "gone", since: "x" })}\n`,
  );
  writeFileSync(join(dir, ".git", "index.lock"), "");

  const sealed = await vault.sealRun({
    runId: "0a1b2c3d-0000-4000-8000-000000000001",
    stack: "marketing_ops",
    startedAt: clock.now(),
    files: sampleRunFiles(),
    ledger: ledgerState(12),
  });
  const files = git(dir, "show", "--name-only", "--format=", sealed.commit).trim().split("\n");
  assert.ok(files.length > 0);
  assert.ok(
    files.every((f) => f.startsWith(`${sealed.relPath}/`)),
    `the seal commit carries only its run: ${files.join(", ")}`,
  );
  assert.equal(git(dir, "status", "--porcelain", "--", ".git/index.lock"), "");
});
