/**
 * Shared sealing (issue 15, "Vault across replicas"): clones of one bare remote, each its own vault,
 * write under one lock (in-process here; test/vault/vault.sharedProcesses.test.ts uses PostgreSQL's
 * advisory lock across processes). The remote keeps one linear history, every clone verifies every
 * run after sync, and a remote that does not answer fails the write by name, undoes the local commit
 * and leaves nothing divergent.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { isRemoteUnreachable, type SharedSealing, Vault } from "../../src/vault/Vault.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "./vaultTestKit.ts";

/** One lock for the clones of a test: each holder runs alone, in the order they asked. */
function inProcessLock(): SharedSealing & { held: number } {
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const lock = {
    held: 0,
    lock<T>(fn: () => Promise<T>): Promise<T> {
      queued++;
      const next = tail.then(async () => {
        lock.held++;
        try {
          return await fn();
        } finally {
          lock.held--;
          queued--;
        }
      });
      tail = next.catch(() => {});
      return next;
    },
    async tryLock<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
      if (queued > 0) return { ran: false };
      return { ran: true, value: await lock.lock(fn) };
    },
  };
  return lock;
}

function seal(vault: Vault, clock: ManualClock, runId: string, size = 2) {
  return vault.sealRun({
    runId,
    stack: "marketing_ops",
    startedAt: clock.now(),
    files: sampleRunFiles(),
    ledger: ledgerState(size),
  });
}

function linear(bare: string): string[] {
  assert.equal(git(bare, "rev-list", "--merges", "--count", "main").trim(), "0", "no merge commits");
  const parents = git(bare, "rev-list", "--parents", "main").trim().split("\n");
  for (const line of parents) assert.ok(line.split(" ").length <= 2, `one parent each: ${line}`);
  return git(bare, "rev-list", "main").trim().split("\n");
}

describe("a vault shared by replicas through MAOS_VAULT_REMOTE", () => {
  const tmp = tempDir("shared");
  after(() => tmp.cleanup());

  it("refuses shared mode without MAOS_VAULT_REMOTE, by name", async () => {
    await assert.rejects(
      Vault.open({ dir: join(tmp.dir, "noremote"), clock: new ManualClock(), shared: inProcessLock() }),
      (err: unknown) =>
        err instanceof CodexError && err.code === "CONFIG_INVALID" && /MAOS_VAULT_REMOTE/.test(err.message),
    );
    assert.equal(existsSync(join(tmp.dir, "noremote")), false);
  });

  it("concurrent seals from two clones make one linear history; both verify every run after sync", async () => {
    const bare = join(tmp.dir, "linear.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const clock = new ManualClock();
    const a = await Vault.open({ dir: join(tmp.dir, "la"), clock, remote: bare, shared });
    const b = await Vault.open({ dir: join(tmp.dir, "lb"), clock, remote: bare, shared });
    // The second clone took the first's history rather than starting its own.
    assert.equal(await b.headCommit(), await a.headCommit());
    assert.equal(git(bare, "rev-parse", "main").trim(), await a.headCommit());

    const sealed = await Promise.all([
      seal(a, clock, "aaaa0001-run"),
      seal(b, clock, "bbbb0001-run"),
      seal(a, clock, "aaaa0002-run"),
      seal(b, clock, "bbbb0002-run"),
      a.commitFiles({ "notes/a.md": "from a\n" }, "note from a"),
      b.commitFiles({ "notes/b.md": "from b\n" }, "note from b"),
    ]);
    assert.equal(shared.held, 0);
    const history = linear(bare);
    assert.equal(history.length, 7, "the first commit, four seals, two notes");
    for (const s of sealed.slice(0, 4)) {
      const run = s as Awaited<ReturnType<typeof seal>>;
      assert.equal(run.pushed, true);
      assert.ok(history.includes(run.commit), `${run.relPath} is on the remote`);
    }

    for (const v of [a, b]) {
      await v.sync();
      assert.equal(await v.headCommit(), history[0]);
      const report = await v.verify();
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.equal(report.runs.length, 4);
      // The working tree holds every replica's folders, as committed: git status is clean over runs/.
      assert.equal(git(v.dir, "status", "--porcelain", "--", "runs/").trim(), "");
      git(v.dir, "fsck", "--strict", "--no-progress");
    }
    git(bare, "fsck", "--strict", "--no-progress");
  });

  it("carries documents not yet committed across a fast-forward: the larger checkpoint, appended lines after the remote's", async () => {
    const bare = join(tmp.dir, "docs.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const clock = new ManualClock();
    const a = await Vault.open({ dir: join(tmp.dir, "da"), clock, remote: bare, shared });
    const b = await Vault.open({ dir: join(tmp.dir, "db"), clock, remote: bare, shared });
    await a.appendFile("wisdom/log.md", "a1\n");
    await seal(a, clock, "aaaa0003-run");
    await b.sync();
    // Each stages its checkpoint and a wisdom line; b commits first, with the newer checkpoint.
    await a.stageFiles({ "checkpoints/latest.txt": ledgerState(5).checkpoint });
    await a.appendFile("wisdom/log.md", "a2\n");
    await b.stageFiles({ "checkpoints/latest.txt": ledgerState(9).checkpoint });
    await b.appendFile("wisdom/log.md", "b1\n");
    await seal(b, clock, "bbbb0003-run");
    await seal(a, clock, "aaaa0004-run");
    linear(bare);
    assert.equal(git(bare, "show", "main:wisdom/log.md"), "a1\nb1\na2\n");
    assert.equal(git(bare, "show", "main:checkpoints/latest.txt"), ledgerState(9).checkpoint);
    await b.sync();
    assert.equal(readFileSync(join(b.dir, "wisdom/log.md"), "utf8"), "a1\nb1\na2\n");
    assert.equal((await b.verify()).ok, true);
  });

  it("a remote that does not answer: the seal fails naming MAOS_VAULT_REMOTE, nothing is committed, the folder is kept and seals late", async () => {
    const bare = join(tmp.dir, "down.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const clock = new ManualClock();
    const a = await Vault.open({ dir: join(tmp.dir, "xa"), clock, remote: bare, shared, pushAttempts: 2 });
    const b = await Vault.open({ dir: join(tmp.dir, "xb"), clock, remote: bare, shared, pushAttempts: 2 });
    await seal(a, clock, "aaaa0005-run");
    const before = await a.headCommit();

    // Gone (fetch fails): nothing committed, the complete folder kept for a late seal.
    renameSync(bare, `${bare}.away`);
    const down = await seal(a, clock, "aaaa0006-run").then(
      () => assert.fail("sealed without a remote"),
      (err: unknown) => err,
    );
    assert.ok(isRemoteUnreachable(down), String(down));
    assert.match((down as CodexError).message, /MAOS_VAULT_REMOTE/);
    const kept = (down as CodexError & { details: { keptRunFolder?: string } }).details.keptRunFolder;
    assert.ok(kept?.startsWith("runs/"));
    assert.equal(await a.headCommit(), before);
    assert.ok(existsSync(join(a.dir, kept as string, "SEAL.json")));
    assert.equal(git(a.dir, "ls-files", "--", kept as string).trim(), "", "not in the index");
    renameSync(`${bare}.away`, bare);

    // Refused on push (a hook rejects it): the local commit is undone, so no clone can diverge.
    const hook = join(bare, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho refused by the test >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    const refused = await seal(b, clock, "bbbb0006-run").then(
      () => assert.fail("sealed although the push was refused"),
      (err: unknown) => err,
    );
    assert.ok(isRemoteUnreachable(refused), String(refused));
    assert.equal(await b.headCommit(), before, "b's commit was undone");
    assert.equal(git(b.dir, "status", "--porcelain", "--untracked-files=no").trim(), "");
    assert.deepEqual(clock.sleeps, [1000], "pushAttempts 2: one backoff");
    writeFileSync(hook, "#!/bin/sh\nexit 0\n");

    // Back: each kept folder is sealed late through the shared path, on the one history.
    const lateA = await a.withLock(() => a.recoverRun("aaaa0006-run", "marketing_ops"));
    const lateB = await b.withLock(() => b.recoverRun("bbbb0006-run", "marketing_ops"));
    assert.deepEqual([lateA.state, lateB.state], ["sealed-late", "sealed-late"]);
    const history = linear(bare);
    assert.equal(history[0], await b.headCommit());
    await a.sync();
    const report = await a.verify();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.runs.length, 3);
    git(a.dir, "fsck", "--strict", "--no-progress");
  });

  it("a fast-forward cut short by a crash is finished by the next sync; an edit of a sealed run stays visible", async () => {
    const bare = join(tmp.dir, "cut.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const clock = new ManualClock();
    const a = await Vault.open({ dir: join(tmp.dir, "ca"), clock, remote: bare, shared });
    const b = await Vault.open({ dir: join(tmp.dir, "cb"), clock, remote: bare, shared });
    const mine = await seal(b, clock, "bbbb0007-run");
    await a.sync();
    await seal(a, clock, "aaaa0007-run");
    // Someone edits b's sealed folder in the working tree (the full custody pass's git status sees it).
    const edited = join(b.dir, mine.relPath, "run.json");
    writeFileSync(edited, "tampered\n");
    // b's holder died mid fast-forward: trees checked out, branch not moved, and the next holder's
    // recoverIndex unstaged runs/ (what a crashed holder leaves), so a's folder is untracked in b.
    const ours = (await b.headCommit()) as string;
    git(b.dir, "fetch", "--quiet", bare, "+refs/heads/*:refs/remotes/maos-shared/*");
    git(b.dir, "read-tree", "-m", "-u", ours, "refs/remotes/maos-shared/main");
    git(b.dir, "reset", "--quiet", "--", "runs/");
    assert.match(git(b.dir, "status", "--porcelain", "--", "runs/"), /\?\? runs\//);

    await b.sync();
    assert.equal(await b.headCommit(), git(bare, "rev-parse", "main").trim());
    assert.equal(readFileSync(edited, "utf8"), "tampered\n", "the edit is not overwritten");
    assert.equal(git(b.dir, "status", "--porcelain", "--", "runs/").trimEnd(), ` M ${mine.relPath}/run.json`);
    const report = await b.verify();
    assert.equal(report.ok, false, "verify names the edited file");
    git(b.dir, "checkout", "--", mine.relPath);
    assert.equal((await b.verify()).ok, true);
  });

  it("ifFree (a heartbeat's anchoring) does not wait while another replica holds the cluster lock", async () => {
    const bare = join(tmp.dir, "free.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const shared = inProcessLock();
    const clock = new ManualClock();
    const a = await Vault.open({ dir: join(tmp.dir, "fa"), clock, remote: bare, shared });
    let release = () => {};
    const holding = shared.lock(() => new Promise<void>((r) => (release = r)));
    const busy = await a.ifFree(() => a.commitFiles({ "notes/x.md": "x\n" }, "note x"));
    assert.deepEqual(busy, { ran: false });
    assert.equal(git(a.dir, "status", "--porcelain").trim(), "", "nothing written");
    release();
    await holding;
    const free = await a.ifFree(() => a.commitFiles({ "notes/x.md": "x\n" }, "note x"));
    assert.equal(free.ran, true);
    assert.equal(git(bare, "rev-parse", "main").trim(), free.ran ? free.value : "");
  });

  it("a single home's vault is unchanged: no shared option, sync does nothing, pushes are best effort", async () => {
    const clock = new ManualClock();
    const v = await Vault.open({
      dir: join(tmp.dir, "single"),
      clock,
      remote: join(tmp.dir, "nowhere.git"),
      pushAttempts: 1,
    });
    assert.equal(v.shared, false);
    await v.sync();
    const sealed = await seal(v, clock, "cccc0001-run");
    assert.equal(sealed.pushed, false);
    assert.equal(await v.headCommit(), sealed.commit);
  });
});
