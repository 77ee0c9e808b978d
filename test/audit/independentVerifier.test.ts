/**
 * The second, independent verifier (scripts/audit/independent/verify.py, written from AUDITING.md alone)
 * against a home made by the real `maos` CLI and against tampered copies of it. On every case it must
 * agree with `maos ledger verify` run as a process with the same arguments: both pass the intact copies,
 * both fail every tamper, each naming what failed.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { auditVerify } from "../../src/audit/auditVerify.ts";
import { REPO } from "../helpers/testApp.ts";
import { editCanonical, rehashFrom, tamper } from "../ledger/helpers.ts";
import { backup, checksums, commitSignedBy, gitIn, lastSeq, rewriteNewestSealedRun } from "./auditHelpers.ts";

/** The consistent rewrite of the newest sealed run, amended into the commit that sealed it. */
function amendRewrite(vault: string): void {
  rewriteNewestSealedRun(vault);
  gitIn(vault, "commit", "-q", "--amend", "--no-edit");
}

const VERIFY_PY = join(REPO, "scripts", "audit", "independent", "verify.py");
const MAOS = join(REPO, "bin", "maos.js");

const pythonMissing: string | false =
  spawnSync("python3", ["--version"], { encoding: "utf8" }).status === 0
    ? false
    : "needs environment: python3 (Debian: apt-get install python3) to run scripts/audit/independent/verify.py";

// The other tools are what verify.py and the tampering need; .ci/run installs them, so a missing one fails.
for (const tool of ["sqlite3", "openssl", "git", "ssh-keygen"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
    throw new Error(
      `${tool} is not installed: this test needs it (Debian: apt-get install sqlite3 openssl git openssh-client)`,
    );
  }
}

/** The environment of a child process: ours, without git's per-repository variables. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("GIT_") && !k.startsWith("MAOS_")) env[k] = v;
  return { ...env, ...extra };
}

interface Outcome {
  code: number;
  out: string;
}

function runProcess(file: string, args: string[], cwd: string, env = childEnv()): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const root = mkdtempSync(join(tmpdir(), "maos-independent-"));
after(() => rmSync(root, { recursive: true, force: true }));

const home = join(root, "home");
const otherKey = join(root, "other_ed25519");
const olderLedger = join(root, "older-ledger.db");
const laterCheckpoint = join(root, "later-checkpoint.txt");

/** `maos …` as a user runs it, on the test home. */
function maos(args: string[], extra: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [MAOS, ...args], {
    cwd: REPO,
    env: childEnv({ MAOS_HOME: home, ...extra }),
    encoding: "utf8",
  });
}

/** A fresh auditor's folder: ledger.db (by .backup), the vault (cp -a, or git clone) and ledger.vkey. */
function auditorFolder(name: string, how: "copy" | "clone" = "copy"): string {
  const dir = join(root, "cases", name);
  if (how === "copy") cpSync(join(home, "vault"), join(dir, "vault"), { recursive: true });
  else execFileSync("git", ["clone", "-q", join(home, "vault"), join(dir, "vault")], { env: childEnv() });
  backup(join(home, "ledger.db"), join(dir, "ledger.db"));
  cpSync(join(home, "keys", "ledger.vkey"), join(dir, "ledger.vkey"));
  return dir;
}

interface Case {
  name: string;
  vault?: "copy" | "clone" | "none";
  /** Pass the checkpoint saved after the last run (`maos ledger checkpoint > FILE`) as --checkpoint. */
  laterCheckpoint?: boolean;
  apply: (dir: string) => void;
  /** What each verifier must name. */
  py: RegExp;
  app: RegExp;
}

const CASES: Case[] = [
  {
    name: "edited row",
    apply: (d) => tamper(join(d, "ledger.db"), (db) => editCanonical(db, 5, '"agent"', '"agenT"')),
    py: /FAIL: ledger seq 5: row edited/,
    app: /seq 5: row edited/,
  },
  {
    name: "re-hashed chain",
    apply: (d) =>
      tamper(join(d, "ledger.db"), (db) => {
        editCanonical(db, 5, '"agent"', '"agenT"');
        rehashFrom(db, 5);
      }),
    py: /root mismatch at size \d+: the ledger is not an append-only extension/,
    app: /checkpoint root mismatch at size/,
  },
  {
    name: "truncated tail",
    apply: (d) => {
      const last = lastSeq(d);
      tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq > ?").run(last - 3));
    },
    py: /truncated or rolled back: the checkpoint covers \d+ entries but the ledger holds \d+/,
    app: /truncated: checkpoint at size \d+ but ledger has \d+ entries/,
  },
  {
    name: "deleted middle row",
    apply: (d) => tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq = 7").run()),
    py: /FAIL: ledger seq 8: gap: expected seq 7/,
    app: /seq 7: gap: expected seq 7, found 8/,
  },
  {
    name: "deleted checkpoint rows (middle)",
    apply: (d) =>
      tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM checkpoints WHERE id IN (2, 3)").run()),
    py: /FAIL: checkpoints id 2: checkpoint rows deleted: ids 2\.\.3 are missing/,
    app: /checkpoint rows deleted: checkpoints id 2\.\.3 missing/,
  },
  {
    name: "deleted checkpoint rows (newest)",
    apply: (d) =>
      tamper(join(d, "ledger.db"), (db) =>
        db.prepare("DELETE FROM checkpoints WHERE id > (SELECT max(id) - 2 FROM checkpoints)").run(),
      ),
    py: /checkpoint rows deleted: it names the signed checkpoint at size \d+, which the table lacks/,
    app: /checkpoint rows deleted: the entry at seq \d+ names the signed checkpoint at size/,
  },
  {
    name: "rollback to an older copy, given a later checkpoint",
    vault: "none",
    laterCheckpoint: true,
    apply: (d) => cpSync(olderLedger, join(d, "ledger.db")),
    py: /--checkpoint .*: truncated or rolled back: the checkpoint covers \d+ entries but the ledger holds \d+/,
    app: /the checkpoint covers \d+ entries but the ledger holds \d+: .*truncated or rolled back/,
  },
  {
    name: "rollback to an older copy, with a git clone of the vault",
    vault: "clone",
    apply: (d) => cpSync(olderLedger, join(d, "ledger.db")),
    py: /SEAL\.json ledger\.checkpoint: truncated or rolled back/,
    app: /truncated: checkpoint at size \d+ but ledger has \d+ entries/,
  },
  {
    name: "rewritten vault file with a matching SEAL.json (amended commit)",
    apply: (d) => amendRewrite(join(d, "vault")),
    py: /SEAL\.json root \w+ is not RUN_SEALED's sealRoot/,
    app: /SEAL\.json root .* is not the seal root/,
  },
  {
    name: "git rm -r of a run and a commit",
    apply: (d) => {
      const v = join(d, "vault");
      const first = gitIn(v, "ls-tree", "--name-only", "HEAD", "runs/").trim().split("\n")[0] as string;
      gitIn(v, "rm", "-rq", first);
      gitIn(v, "commit", "-qm", "tidy");
    },
    py: /sealed run missing from the vault/,
    app: /sealed run missing from the vault/,
  },
  {
    name: "git reset --hard HEAD~1",
    apply: (d) => gitIn(join(d, "vault"), "reset", "-q", "--hard", "HEAD~1"),
    py: /history rewritten: seal commit \w+ is not in HEAD's history/,
    app: /history rewritten/,
  },
  {
    name: "a commit signed by another key",
    apply: (d) => commitSignedBy(join(d, "vault"), otherKey),
    py: /vault commit \w+: not signed by a vault key the ledger recorded/,
    app: /not signed by a vault key the ledger recorded/,
  },
];

/** verify.py as a process, and the app's verifier with the same arguments. */
async function both(dir: string, c: Pick<Case, "vault" | "laterCheckpoint">, cli = false) {
  const args = ["--key", "ledger.vkey", "--db", "ledger.db"];
  if (c.vault !== "none") args.push("--vault", "vault");
  if (c.laterCheckpoint) args.push("--checkpoint", laterCheckpoint);
  const py = runProcess("python3", [VERIFY_PY, ...args], dir);
  // The intact homes go through the real CLI; the tamper cases call what `maos ledger verify` runs
  // (auditVerify, the same failures it prints), which keeps this file's time in the suite short.
  const app: Promise<Outcome> = cli
    ? runProcess(
        process.execPath,
        [MAOS, "ledger", "verify", ...args],
        dir,
        childEnv({ MAOS_HOME: join(dir, "no-home") }),
      )
    : auditVerify({
        verifierKey: readFileSync(join(dir, "ledger.vkey"), "utf8"),
        keySource: "ledger.vkey",
        db: join(dir, "ledger.db"),
        ...(c.vault !== "none" ? { vault: join(dir, "vault") } : {}),
        ...(c.laterCheckpoint
          ? { checkpoint: { note: readFileSync(laterCheckpoint, "utf8"), source: laterCheckpoint } }
          : {}),
      }).then((r) => ({ code: r.ok ? 0 : 1, out: r.failures.join("\n") }));
  return { py: await py, app: await app };
}

describe("the independent verifier (verify.py, written from AUDITING.md)", { skip: pythonMissing }, () => {
  before(() => {
    const vaultKey = join(root, "vault_ed25519");
    for (const k of [vaultKey, otherKey]) {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "independent", "-f", k]);
    }
    const signed = { MAOS_VAULT_SIGNING_KEY: vaultKey };
    maos(["run", "marketing_ops", "--input", "event=Expo 1"], signed);
    backup(join(home, "ledger.db"), olderLedger);
    maos(["run", "marketing_ops", "--input", "event=Expo 2"], signed);
    writeFileSync(laterCheckpoint, maos(["ledger", "checkpoint"]));
  });

  for (const how of ["copy", "clone"] as const) {
    it(`passes an untampered home made by the CLI (vault by ${how}), as maos ledger verify does, writing nothing`, async () => {
      const dir = auditorFolder(`intact-${how}`, how);
      const before = checksums(dir);
      const { py, app } = await both(dir, { laterCheckpoint: true }, true);
      assert.equal(app.code, 0, app.out);
      assert.equal(py.code, 0, py.out);
      assert.match(py.out, /ok: \d+ entries, hashes and chain links/);
      assert.match(py.out, /ok: vault: 2 sealed runs/);
      assert.match(py.out, /INTACT/);
      assert.deepEqual(checksums(dir), before, "the folder is byte-for-byte as it was");
    });
  }

  it("accepts unsigned commits after the ledger recorded signing off (publicKey null), as maos ledger verify and verify.sh do", async () => {
    const off = join(root, "home-off");
    const vaultKey = join(root, "vault_ed25519");
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      execFileSync(process.execPath, [MAOS, ...args], {
        cwd: REPO,
        env: childEnv({ MAOS_HOME: off, ...extra }),
        encoding: "utf8",
      });
    cli(["run", "marketing_ops", "--input", "event=Signed"], { MAOS_VAULT_SIGNING_KEY: vaultKey });
    cli(["run", "marketing_ops", "--input", "event=Unsigned"]);
    const dir = join(root, "cases", "signing-off");
    cpSync(join(off, "vault"), join(dir, "vault"), { recursive: true });
    backup(join(off, "ledger.db"), join(dir, "ledger.db"));
    cpSync(join(off, "keys", "ledger.vkey"), join(dir, "ledger.vkey"));
    const records = execFileSync(
      "sqlite3",
      [
        join(dir, "ledger.db"),
        "SELECT payload FROM ledger WHERE event_type = 'VAULT_SIGNING_KEY' ORDER BY seq",
      ],
      { encoding: "utf8" },
    );
    assert.match(records, /"publicKey":null/, "the ledger recorded that signing was turned off");
    assert.match(gitIn(join(dir, "vault"), "log", "-1", "--format=%G?"), /^N/);
    const args = ["--key", "ledger.vkey", "--db", "ledger.db", "--vault", "vault"];
    const verifyAll = () =>
      Promise.all([
        runProcess("python3", [VERIFY_PY, ...args], dir),
        runProcess(
          process.execPath,
          [MAOS, "ledger", "verify", ...args],
          dir,
          childEnv({ MAOS_HOME: join(dir, "no-home") }),
        ),
        runProcess("bash", [join(REPO, "scripts", "audit", "verify.sh"), ...args], dir),
      ]);
    for (const r of await verifyAll()) assert.equal(r.code, 0, r.out);
    // A commit signed by a key the ledger never recorded still fails, signing off or not.
    commitSignedBy(join(dir, "vault"), otherKey);
    for (const r of await verifyAll()) {
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /not signed by a vault key the ledger recorded \((git )?%G\? = U\)/);
    }
  });

  it("agrees with maos ledger verify on: an unsigned commit while signing is on", async () => {
    const dir = auditorFolder("unsigned-commit");
    writeFileSync(join(dir, "vault", "NOTES.md"), "harmless\n");
    gitIn(join(dir, "vault"), "add", "NOTES.md");
    gitIn(join(dir, "vault"), "-c", "commit.gpgsign=false", "commit", "-q", "-m", "notes");
    const { py, app } = await both(dir, {});
    assert.equal(app.code, 1, app.out);
    assert.match(app.out, /not signed by a vault key the ledger recorded \(git %G\? = N\)/);
    assert.equal(py.code, 1, py.out);
    assert.match(py.out, /not signed by a vault key the ledger recorded \(%G\? = N\)/);
  });

  for (const c of CASES) {
    it(`agrees with maos ledger verify on: ${c.name}`, async () => {
      const dir = auditorFolder(c.name.replace(/\W+/g, "-"), c.vault === "clone" ? "clone" : "copy");
      c.apply(dir);
      const { py, app } = await both(dir, c);
      assert.equal(app.code, 1, `maos ledger verify: ${app.out}`);
      assert.match(app.out, c.app);
      assert.equal(py.code, 1, `verify.py: ${py.out}`);
      assert.match(py.out, c.py);
      assert.match(py.out, /BROKEN: \d+ failure/);
    });
  }
});
