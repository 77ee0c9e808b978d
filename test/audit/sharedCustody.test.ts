/**
 * Custody across replicas: the heartbeat's check (VaultWatch) on a replica whose clone sealed nothing.
 * The sealer pushes, then RUN_SEALED is written to the shared ledger (one ledger here). A check between
 * the push and the entry, and one between the entry and this clone's sync, both pass: the check notes
 * the ledger's last seq, then syncs, then reads entries up to that seq. The verified mark survives the
 * fast-forwards (every check after the first is incremental).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { SharedSealing } from "../../src/vault/Vault.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { testApp } from "../helpers/testApp.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "../vault/vaultTestKit.ts";

function inProcessLock(): SharedSealing {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    lock<T>(fn: () => Promise<T>): Promise<T> {
      const next = tail.then(fn);
      tail = next.catch(() => {});
      return next;
    },
  };
}

describe("custody on a replica that did not seal", () => {
  const tmp = tempDir("shared-custody");
  after(() => tmp.cleanup());

  it("passes between the sealer's push and its RUN_SEALED entry, and between the entry and the sync", async () => {
    const bare = join(tmp.dir, "remote.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const sealer = testApp();
    const sealerVault = await Vault.open({
      dir: join(tmp.dir, "a"),
      clock: sealer.clock,
      remote: bare,
      shared,
    });
    const checkerVault = await Vault.open({
      dir: join(tmp.dir, "c"),
      clock: sealer.clock,
      remote: bare,
      shared,
    });
    // The checker's app: its ledger stands in for the shared ledger the sealer writes to.
    const checker = testApp({}, { vault: checkerVault });
    after(async () => {
      await checker.cleanup();
      await sealer.cleanup();
    });
    const ledger = checker.app.ledger();
    const watch = checker.app.vaultWatch();
    const first = await watch.check();
    assert.deepEqual([first.mode, first.ok], ["full", true], JSON.stringify(first.problems));

    for (let i = 1; i <= 2; i++) {
      const runId = `aaaa000${i}-run`;
      const sealed = await sealerVault.sealRun({
        runId,
        stack: "marketing_ops",
        startedAt: sealer.clock.now(),
        files: sampleRunFiles(),
        ledger: ledgerState(i + 1),
      });
      // Pushed, not yet recorded: the checker fast-forwards to a commit no entry names yet.
      const between = await watch.check();
      assert.deepEqual([between.mode, between.ok], ["incremental", true], JSON.stringify(between.problems));
      assert.equal(between.head, sealed.commit);
      await ledger.append({
        eventType: "RUN_SEALED",
        actor: "system:maos-codex",
        correlationId: `corr-${i}`,
        payload: {
          runId,
          vaultPath: sealed.relPath,
          commit: sealed.commit,
          sealRoot: sealed.seal.root,
          files: sealed.seal.files.length,
          pushed: sealed.pushed,
          checkpointSize: i + 1,
        },
      });
      // Recorded; the next seal lands on the remote before this clone syncs (the check syncs first).
      await sealerVault.commitFiles({ [`notes/${i}.md`]: `note ${i}\n` }, `note ${i}`);
      const after = await watch.check();
      assert.deepEqual(
        [after.mode, after.ok, after.runs],
        ["incremental", true, i],
        JSON.stringify(after.problems),
      );
      assert.equal(after.head, await sealerVault.headCommit());
    }
    // A full pass (every entry, git status over every committed folder) agrees on the clone.
    const full = await watch.check({ full: "test" });
    assert.deepEqual([full.mode, full.ok, full.runs], ["full", true, 2], JSON.stringify(full.problems));
  });
});
