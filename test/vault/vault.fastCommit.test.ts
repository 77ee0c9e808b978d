/**
 * Vault commits made without `git add` / `git commit` (fastCommit.ts): checked with plain git, which
 * shares no code with them. Every commit must be one git itself accepts (fsck, signatures), the index
 * must match what `git add` would have left (status clean, staged documents shown as staged), and a
 * split index written by git, folded by git or holding replacements must be read and extended right.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { hashObject, SortedTree, serializeTree } from "../../src/vault/gitObjects.ts";
import { findOnPath } from "../../src/vault/sshSigning.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "./vaultTestKit.ts";

const sshKeygen = await findOnPath("ssh-keygen");

describe("Vault commits without a git process per change", () => {
  const tmp = tempDir("fast");
  after(() => tmp.cleanup());
  let n = 0;
  async function seal(vault: Vault, clock: ManualClock): Promise<string> {
    n++;
    await clock.advance(60_000);
    const sealed = await vault.sealRun({
      runId: `f0f0f0${String(n).padStart(2, "0")}-fast`,
      stack: "marketing_ops",
      startedAt: clock.now(),
      files: { ...sampleRunFiles(), "steps/01/output.md": `step ${n}\n` },
      ledger: ledgerState(n),
    });
    return sealed.commit;
  }
  function lastChange(dir: string): string[] {
    return git(dir, "show", "--name-only", "--format=", "HEAD").trim().split("\n").sort();
  }

  it("writes objects and an index git reads as if git had made them", async () => {
    const clock = new ManualClock(new Date("2026-11-21T15:00:00Z"));
    const dir = join(tmp.dir, "vault");
    const vault = await Vault.open({ dir, clock });
    assert.ok(
      readdirSync(join(dir, ".git")).some((f) => f.startsWith("sharedindex.")),
      "a split index",
    );

    await vault.appendFile("wisdom/codex_wisdom_log.md", "- one\n");
    assert.equal(git(dir, "status", "--porcelain"), "A  wisdom/codex_wisdom_log.md\n");
    await vault.stageFiles({ "checkpoints/latest.txt": "note 1\n" });
    const first = await seal(vault, clock);
    assert.equal(git(dir, "rev-parse", "HEAD").trim(), first);
    assert.equal(git(dir, "status", "--porcelain"), "");
    assert.ok(lastChange(dir).includes("wisdom/codex_wisdom_log.md"), "the staged log rode along");
    assert.ok(lastChange(dir).includes("checkpoints/latest.txt"), "the checkpoint rode along");
    assert.equal(git(dir, "ls-files").trim(), git(dir, "ls-tree", "-r", "--name-only", "HEAD").trim());

    // git folds the split index into a new shared one; the wisdom log is then a shared entry, and
    // staging it again is a replacement in the split file.
    git(dir, "update-index", "--split-index");
    await vault.appendFile("wisdom/codex_wisdom_log.md", "- two\n");
    assert.equal(git(dir, "status", "--porcelain"), "M  wisdom/codex_wisdom_log.md\n");
    await seal(vault, clock);
    assert.equal(git(dir, "status", "--porcelain"), "");
    assert.ok(lastChange(dir).includes("wisdom/codex_wisdom_log.md"));

    // Something git staged itself (its own split index write) goes into the next commit, as with git.
    appendFileSync(join(dir, "README.md"), "local note\n");
    git(dir, "add", "README.md");
    await vault.appendFile("wisdom/codex_wisdom_log.md", "- three\n");
    assert.equal(git(dir, "status", "--porcelain"), "M  README.md\nM  wisdom/codex_wisdom_log.md\n");
    const docs = await vault.commitFiles({}, "docs: staged");
    assert.deepEqual(lastChange(dir), ["README.md", "wisdom/codex_wisdom_log.md"]);
    assert.equal(await vault.commitFiles({}, "docs: nothing"), docs, "no empty commit");
    await seal(vault, clock);

    assert.equal(git(dir, "status", "--porcelain"), "");
    assert.equal(git(dir, "fsck", "--strict", "--no-dangling").trim(), "");
    assert.equal(
      git(dir, "log", "-1", "--format=%an <%ae> %at").trim(),
      `MAOS Codex <maos-codex@localhost> ${clock.now().getTime() / 1000}`,
    );
    assert.equal(git(dir, "rev-list", "--count", "HEAD").trim(), "5");
    assert.match(git(dir, "reflog", "-1", "--format=%gs"), /^commit: seal: marketing_ops run f0f0f003/);
    assert.equal((await vault.verify()).ok, true);

    // A second process (the CLI beside the bot) commits from what the first left, and the first
    // notices HEAD moved.
    const other = await Vault.open({ dir, clock });
    await seal(other, clock);
    await seal(vault, clock);
    assert.equal(git(dir, "status", "--porcelain"), "");
    assert.equal(git(dir, "fsck", "--strict", "--no-dangling").trim(), "");
    assert.equal((await vault.verify()).runs.length, 5);
  });

  it("converts the full index of a vault from an older version once, at its first commit", async () => {
    const clock = new ManualClock(new Date("2026-11-21T15:00:00Z"));
    const dir = join(tmp.dir, "old");
    await seal(await Vault.open({ dir, clock }), clock);
    git(dir, "config", "core.splitIndex", "false");
    git(dir, "update-index", "--no-split-index");
    const shared = () => readdirSync(join(dir, ".git")).filter((f) => f.startsWith("sharedindex."));
    const before = new Set(shared());
    const vault = await Vault.open({ dir, clock });
    await seal(vault, clock);
    assert.equal(shared().filter((f) => !before.has(f)).length, 1, "a new shared index");
    assert.equal(git(dir, "status", "--porcelain"), "");
    assert.equal(git(dir, "fsck", "--strict", "--no-dangling").trim(), "");
  });

  it("signs with ssh-keygen as git commit -S does", {
    skip: sshKeygen ? false : "needs environment: ssh-keygen",
  }, async () => {
    const key = join(tmp.dir, "id_ed25519");
    execFileSync(sshKeygen as string, ["-q", "-t", "ed25519", "-N", "", "-C", "fast-test", "-f", key]);
    const clock = new ManualClock(new Date("2026-11-21T15:00:00Z"));
    const dir = join(tmp.dir, "signed");
    const vault = await Vault.open({ dir, clock, signingKey: key });
    await seal(vault, clock);
    await vault.commitFiles({ "checkpoints/latest.txt": "note\n" }, "checkpoint");
    assert.equal(git(dir, "log", "--format=%G?").trim(), "G\nG\nG");
    assert.match(
      git(dir, "log", "-1", "--show-signature", "--format=%s"),
      /Good "git" signature for maos-codex@localhost/,
    );
  });

  it("orders tree entries as git mktree does, and hashes objects as git hash-object", () => {
    const dir = join(tmp.dir, "plain");
    mkdirSync(dir);
    git(dir, "init", "-q");
    writeFileSync(join(dir, "README.md"), "plain\n");
    git(dir, "add", "README.md");
    git(dir, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "one");
    const blob = git(dir, "hash-object", "-w", "README.md").trim();
    const names = ["a", "a.b", "a-b", "a0", "b", "runs", "é", "Z", "a_b"];
    const entries = names.map((name, i) => ({
      mode: i % 2 === 0 ? "40000" : "100644",
      name,
      oid: i % 2 === 0 ? git(dir, "rev-parse", "HEAD^{tree}").trim() : blob,
    }));
    const ours = hashObject("sha1", "tree", serializeTree(entries));
    let sorted = SortedTree.empty();
    for (const e of entries) sorted = sorted.with(e);
    assert.equal(hashObject("sha1", "tree", sorted.serialize()), ours);
    const input = entries
      .map((e) => `${e.mode === "40000" ? "040000 tree" : "100644 blob"} ${e.oid}\t${e.name}`)
      .join("\n");
    const theirs = execFileSync("git", ["mktree"], {
      cwd: dir,
      input: `${input}\n`,
      encoding: "utf8",
    }).trim();
    assert.equal(ours, theirs);
  });
});
