/**
 * Two processes, each a replica with its own vault clone, seal at the same time into one bare remote
 * under PostgreSQL's advisory lock (src/state/pg/advisoryLock.ts), commits SSH-signed when ssh-keygen is
 * there. The remote has one linear history holding every seal; both clones and a third that sealed
 * nothing verify every run, and custody against the seals' records passes on the third after sync.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { checkVaultCustody } from "../../src/audit/vaultCustody.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { withAdvisoryLock } from "../../src/state/pg/advisoryLock.ts";
import { findOnPath } from "../../src/vault/sshSigning.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { pgSkip } from "../helpers/pgTestDb.ts";
import { git, tempDir } from "./vaultTestKit.ts";

const SEALER = join(import.meta.dirname, "sharedSealer.ts");
const SEALS_EACH = 4;

interface Sealed {
  runId: string;
  relPath: string;
  commit: string;
  root: string;
}

function startSealer(args: string[]): {
  child: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  done: Promise<number>;
} {
  const child = spawn(process.execPath, [SEALER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = new Promise<void>((resolve, reject) => {
    rl.on("line", (line) => {
      if (line === "ready") resolve();
      else lines.push(line);
    });
    child.once("exit", (code) => reject(new Error(`sealer exited (${code}) before ready: ${stderr}`)));
  });
  const done = new Promise<number>((resolve) =>
    child.once("exit", (code) => {
      if (code !== 0) process.stderr.write(stderr);
      resolve(code ?? 1);
    }),
  );
  return { child, lines, ready, done };
}

describe("two processes sealing into one remote under PostgreSQL's advisory lock", { skip: pgSkip() }, () => {
  const tmp = tempDir("shared-procs");
  after(() => tmp.cleanup());

  it("one linear history; every clone verifies every run; custody holds on a clone that sealed nothing", async () => {
    const url = process.env.MAOS_TEST_DATABASE_URL as string;
    // A key of this test's own: advisory locks are per database, and other test files share it.
    const key = String(randomBytes(4).readUInt32BE(0) & 0x7fffffff);
    const bare = join(tmp.dir, "remote.git");
    git(tmp.dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    const sshKeygen = await findOnPath("ssh-keygen");
    let signingKey = "";
    if (sshKeygen) {
      signingKey = join(tmp.dir, "id_ed25519");
      execFileSync(sshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "vault-test", "-f", signingKey]);
    }

    const a = startSealer([join(tmp.dir, "a"), bare, url, key, signingKey, String(SEALS_EACH), "aaaa"]);
    const b = startSealer([join(tmp.dir, "b"), bare, url, key, signingKey, String(SEALS_EACH), "bbbb"]);
    await Promise.all([a.ready, b.ready]);
    a.child.stdin?.write("go\n");
    b.child.stdin?.write("go\n");
    assert.deepEqual(await Promise.all([a.done, b.done]), [0, 0]);
    const sealed = [...a.lines, ...b.lines].map((l) => JSON.parse(l) as Sealed);
    assert.equal(sealed.length, 2 * SEALS_EACH);

    assert.equal(git(bare, "rev-list", "--merges", "--count", "main").trim(), "0");
    const history = git(bare, "rev-list", "main").trim().split("\n");
    assert.equal(history.length, 1 + 2 * SEALS_EACH, "the first commit and every seal, once");
    for (const s of sealed) assert.ok(history.includes(s.commit), `${s.relPath} is on the remote`);
    git(bare, "fsck", "--strict", "--no-progress");

    // The seals' records as the shared ledger holds them (RUN_SEALED written after each push), in the
    // remote's order, after the signing key's record.
    const order = [...history].reverse();
    const records = [...sealed]
      .sort((x, y) => order.indexOf(x.commit) - order.indexOf(y.commit))
      .map((s, i) => ({
        seq: i + 1,
        runId: s.runId,
        vaultPath: s.relPath,
        commit: s.commit,
        sealRoot: s.root,
      }));
    const publicKey = signingKey
      ? readFileSync(`${signingKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")
      : null;
    const keys = publicKey ? [{ seq: 0, publicKey }] : [];

    const lock = { lock: <T>(fn: () => Promise<T>) => withAdvisoryLock(url, Number(key), fn) };
    const clock = new ManualClock();
    for (const name of ["a", "b", "c"]) {
      // c is a third replica that sealed nothing: it takes the remote's history when it opens.
      const v = await Vault.open({
        dir: join(tmp.dir, name),
        clock,
        remote: bare,
        shared: lock,
        ...(signingKey ? { signingKey } : {}),
      });
      await v.sync();
      assert.equal(await v.headCommit(), history[0], `${name} is at the remote's tip`);
      const report = await v.verify();
      assert.equal(report.ok, true, `${name}: ${JSON.stringify(report)}`);
      assert.equal(report.runs.length, 2 * SEALS_EACH);
      const custody = await checkVaultCustody(v.dir, { sealed: records, keys });
      assert.equal(custody.ok, true, `${name}: ${JSON.stringify(custody.problems)}`);
      assert.equal(custody.runs, 2 * SEALS_EACH);
      if (publicKey) assert.ok(custody.signedCommits >= 2 * SEALS_EACH, "every seal's signature checked");
      assert.equal(git(v.dir, "status", "--porcelain", "--", "runs/").trim(), "");
      git(v.dir, "fsck", "--strict", "--no-progress");
    }
  });
});
