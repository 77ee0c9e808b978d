import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "./vaultTestKit.ts";

/** Collects what the vault logs, to check a failed push is reported. */
function recordingLog() {
  const warnings: { o: object; m?: string }[] = [];
  return {
    warnings,
    log: { info: () => {}, warn: (o: object, m?: string) => void warnings.push({ o, m }) },
  };
}

describe("Vault push", () => {
  const tmp = tempDir("push");
  after(() => tmp.cleanup());

  it("pushes each seal to a local bare repository", async () => {
    const bare = join(tmp.dir, "remote.git");
    git(tmp.dir, "init", "--quiet", "--bare", bare);
    const clock = new ManualClock();
    const vault = await Vault.open({ dir: join(tmp.dir, "vault"), clock, remote: bare });
    const sealed = await vault.sealRun({
      runId: "0f0f0f0f-push",
      stack: "marketing_ops",
      startedAt: clock.now(),
      files: sampleRunFiles(),
      ledger: ledgerState(2),
    });
    assert.equal(sealed.pushed, true);
    assert.equal(git(bare, "rev-parse", "refs/heads/main").trim(), sealed.commit);
    assert.deepEqual(clock.sleeps, []);
    // The remote URL is used directly, never stored in the vault's config (it may carry a token).
    assert.equal(git(vault.dir, "remote").trim(), "");
    const doc = await vault.commitFiles(
      { "checkpoints/000002.txt": ledgerState(2).checkpoint },
      "checkpoint: 2",
    );
    assert.deepEqual(await vault.push(), { pushed: true, attempts: 1 });
    assert.equal(git(bare, "rev-parse", "refs/heads/main").trim(), doc);
  });

  it("keeps the local commit and reports the failure after N attempts with clock backoff", async () => {
    const clock = new ManualClock();
    const { log, warnings } = recordingLog();
    const remote = join(tmp.dir, "does-not-exist.git");
    const vault = await Vault.open({ dir: join(tmp.dir, "offline"), clock, remote, log, pushAttempts: 4 });
    const before = clock.now().getTime();
    const sealed = await vault.sealRun({
      runId: "0e0e0e0e-nopush",
      stack: "marketing_ops",
      startedAt: clock.now(),
      files: sampleRunFiles(),
      ledger: ledgerState(2),
    });
    assert.equal(sealed.pushed, false);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000]);
    assert.equal(clock.now().getTime() - before, 7000);
    assert.equal(await vault.headCommit(), sealed.commit);
    assert.equal(git(vault.dir, "rev-parse", "HEAD").trim(), sealed.commit);
    assert.equal((await vault.verify()).ok, true);
    const last = warnings.at(-1);
    assert.match(last?.m ?? "", /push failed; the commit is kept locally/);

    const again = await vault.push();
    assert.equal(again.pushed, false);
    assert.equal(again.attempts, 4);
    assert.match(again.error ?? "", /does-not-exist\.git/);
  });

  it("reports no-remote when none is configured", async () => {
    const clock = new ManualClock();
    const vault = await Vault.open({ dir: join(tmp.dir, "local-only"), clock });
    assert.deepEqual(await vault.push(), { pushed: "no-remote", attempts: 0 });
  });
});
