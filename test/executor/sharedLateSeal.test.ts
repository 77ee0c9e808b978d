/**
 * A shared vault whose remote does not answer when a run seals (issue 15, "Vault across replicas"): the
 * run fails naming MAOS_VAULT_REMOTE, nothing is committed, no RUN_ABORTED settles it, and its complete
 * folder stays on disk; the next process to start on that home, with the remote back, seals it late
 * (pushed first, then RUN_SEALED, late), on the remote's one history.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { testApp } from "../helpers/testApp.ts";
import { git } from "../vault/vaultTestKit.ts";

const RECONCILER = join(import.meta.dirname, "sharedReconciler.ts");

test("a seal the remote did not take is sealed late by the next start, once the remote answers", async () => {
  const root = mkdtempSync(join(tmpdir(), "maos-shared-late-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, "home");
  const bare = join(root, "remote.git");
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  const start = async (what: "run" | "reconcile"): Promise<string> => {
    const { stdout } = await promisify(execFile)(process.execPath, [RECONCILER, home, bare, what]);
    return stdout.trim().split("\n").pop() as string;
  };
  // The first process opens the vault (its first commit is pushed), then runs with the remote gone.
  await start("reconcile");
  const before = git(bare, "rev-parse", "main").trim();
  renameSync(bare, `${bare}.away`);
  const failed = await start("run");
  assert.match(failed, /MAOS_VAULT_REMOTE/);
  const first = testApp({ MAOS_HOME: home });
  const ledger = first.app.ledger();
  const started = ledger.query({ eventType: "RUN_STARTED" });
  assert.equal(started.length, 1);
  assert.equal(ledger.query({ eventType: "RUN_ABORTED" }).length, 0, "left open, not aborted");
  assert.equal(ledger.query({ eventType: "RUN_SEALED" }).length, 0);
  await first.cleanup();
  assert.equal(git(join(home, "vault"), "rev-parse", "HEAD").trim(), before, "nothing committed");
  const folders = readdirSync(join(home, "vault", "runs"));
  assert.equal(folders.length, 1);
  assert.ok(
    existsSync(join(home, "vault", "runs", folders[0] as string, "SEAL.json")),
    "the complete folder is kept",
  );
  renameSync(`${bare}.away`, bare);

  const { stdout } = await promisify(execFile)(process.execPath, [RECONCILER, home, bare]);
  const settled = JSON.parse(stdout.trim().split("\n").pop() as string) as {
    aborted: string[];
    sealedLate: string[];
  };
  assert.deepEqual(settled, { aborted: [], sealedLate: [started[0]?.correlationId] });

  const again = testApp({ MAOS_HOME: home });
  try {
    const late = again.app.ledger().query({ eventType: "RUN_SEALED" });
    assert.equal(late.length, 1);
    const p = late[0]?.payload as { late?: boolean; commit: string; vaultPath: string };
    assert.equal(p.late, true);
    assert.equal(p.vaultPath, `runs/${folders[0]}`);
    assert.equal(git(bare, "rev-parse", "main").trim(), p.commit, "pushed before it was recorded");
    assert.equal(git(bare, "rev-list", "--merges", "--count", "main").trim(), "0");
  } finally {
    await again.cleanup();
  }
});
