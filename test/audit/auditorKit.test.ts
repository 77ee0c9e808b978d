import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { run } from "../../commands/run.ts";
import { auditVerify } from "../../src/audit/auditVerify.ts";
import { localActor } from "../../src/core/Actor.ts";
import { REPO, testApp } from "../helpers/testApp.ts";
import { editCanonical, rehashFrom, tamper } from "../ledger/helpers.ts";
import { backup, checksums, commitSignedBy, gitIn, lastSeq, rewriteNewestSealedRun } from "./auditHelpers.ts";

/** The consistent rewrite of the newest sealed run, amended into the commit that sealed it. */
function amendRewrite(vault: string): void {
  rewriteNewestSealedRun(vault);
  gitIn(vault, "-c", "commit.gpgsign=false", "commit", "-q", "--amend", "--no-edit");
}

const exec = promisify(execFile);
const VERIFY_SH = join(REPO, "scripts", "audit", "verify.sh");
const MAOS = join(REPO, "bin", "maos.js");

// The shell verifier is the point of these tests: a missing tool is a failure, not a skip.
for (const tool of ["sqlite3", "sha256sum", "openssl", "git", "ssh-keygen"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(
      `${tool} is not installed: the auditor's kit tests need it (Debian: apt-get install sqlite3 openssl coreutils git openssh-client)`,
    );
  }
}

const root = mkdtempSync(join(tmpdir(), "maos-auditkit-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A home where three runs happened, with a signed vault; and a copy of ledger.db taken after run 2. */
let home = "";
let olderLedger = "";
const otherKey = join(root, "other_ed25519");

before(async () => {
  const vaultKey = join(root, "vault_ed25519");
  for (const k of [vaultKey, otherKey]) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kit", "-f", k]);
  }
  const ta = testApp({ MAOS_HOME: join(root, "shared-home"), MAOS_VAULT_SIGNING_KEY: vaultKey });
  home = ta.home;
  for (let i = 1; i <= 3; i++) {
    const r = await run(
      { stack: "marketing_ops", inputs: { event: `Expo ${i}` } },
      localActor("cli"),
      ta.app,
    );
    assert.equal(r.status, "completed");
    if (i === 2) {
      olderLedger = join(root, "older-ledger.db");
      backup(join(home, "ledger.db"), olderLedger);
    }
  }
  await ta.app.close();
});

/** A fresh auditor's folder: ledger.db (by .backup), vault/ and ledger.vkey, nothing else. */
function auditorFolder(name: string): string {
  const dir = join(root, name);
  cpSync(join(home, "vault"), join(dir, "vault"), { recursive: true });
  backup(join(home, "ledger.db"), join(dir, "ledger.db"));
  cpSync(join(home, "keys", "ledger.vkey"), join(dir, "ledger.vkey"));
  return dir;
}

async function shell(dir: string): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(
      "bash",
      [VERIFY_SH, "--key", "ledger.vkey", "--db", "ledger.db", "--vault", "vault"],
      {
        cwd: dir,
      },
    );
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

async function app(dir: string) {
  return auditVerify({
    verifierKey: readFileSync(join(dir, "ledger.vkey"), "utf8"),
    keySource: "ledger.vkey",
    db: join(dir, "ledger.db"),
    vault: join(dir, "vault"),
  });
}

interface Case {
  name: string;
  apply: (dir: string) => void;
  /** What both verifiers must name. */
  app: RegExp;
  shell: RegExp;
}

const CASES: Case[] = [
  {
    name: "edited row",
    apply: (d) => tamper(join(d, "ledger.db"), (db) => editCanonical(db, 5, '"agent"', '"agenT"')),
    app: /seq 5: row edited/,
    shell: /FAIL: ledger: seq 5: row edited/,
  },
  {
    name: "re-hashed chain",
    apply: (d) =>
      tamper(join(d, "ledger.db"), (db) => {
        editCanonical(db, 5, '"agent"', '"agenT"');
        rehashFrom(db, 5);
      }),
    app: /checkpoint root mismatch at size/,
    shell: /root mismatch at size/,
  },
  {
    name: "truncated tail",
    apply: (d) => {
      const last = lastSeq(d);
      tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq > ?").run(last - 3));
    },
    app: /truncated: checkpoint at size \d+ but ledger has \d+ entries/,
    shell: /truncated: it covers \d+ entries but the ledger holds/,
  },
  {
    name: "deleted middle row",
    apply: (d) => tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq = 7").run()),
    app: /seq 7: gap: expected seq 7, found 8/,
    shell: /seq 7: gap/,
  },
  {
    name: "deleted checkpoint rows (middle)",
    apply: (d) =>
      tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM checkpoints WHERE id IN (2, 3)").run()),
    app: /checkpoint rows deleted: checkpoints id 2\.\.3 missing/,
    shell: /checkpoint rows deleted: id 2 missing/,
  },
  {
    name: "deleted checkpoint rows (all)",
    apply: (d) => tamper(join(d, "ledger.db"), (db) => db.prepare("DELETE FROM checkpoints").run()),
    app: /checkpoint rows deleted: the entry at seq \d+ names the signed checkpoint at size/,
    shell: /checkpoint rows deleted: seq \d+ names the checkpoint at size/,
  },
  {
    name: "rollback to an older copy",
    apply: (d) => cpSync(olderLedger, join(d, "ledger.db")),
    app: /truncated: checkpoint at size/,
    shell: /truncated: it covers/,
  },
  {
    // A clone carries no staged checkpoints/latest.txt: the newest run's SEAL.json must catch it.
    name: "rollback to an older copy, with a git clone of the vault",
    apply: (d) => {
      cpSync(olderLedger, join(d, "ledger.db"));
      rmSync(join(d, "vault"), { recursive: true, force: true });
      gitIn(root, "clone", "-q", join(home, "vault"), join(d, "vault"));
    },
    app: /truncated: checkpoint at size/,
    shell: /truncated: it covers/,
  },
  {
    name: "rewritten vault file with a matching SEAL.json (amended commit)",
    apply: (d) => amendRewrite(join(d, "vault")),
    app: /sealed run rewritten|SEAL\.json root .* is not the seal root/,
    shell: /sealed run rewritten|SEAL\.json root .* is not the seal root/,
  },
  {
    name: "git rm -r of a run and a commit",
    apply: (d) => {
      const v = join(d, "vault");
      const first = gitIn(v, "ls-tree", "--name-only", "HEAD", "runs/").trim().split("\n")[0] as string;
      gitIn(v, "rm", "-rq", first);
      gitIn(v, "-c", "commit.gpgsign=false", "commit", "-qm", "tidy");
    },
    app: /sealed run missing from the vault/,
    shell: /sealed run missing from the vault/,
  },
  {
    name: "git reset --hard HEAD~1",
    apply: (d) => gitIn(join(d, "vault"), "reset", "-q", "--hard", "HEAD~1"),
    app: /sealed run missing from the vault|history rewritten/,
    shell: /sealed run missing from the vault|history rewritten/,
  },
  {
    name: "a commit signed by another key",
    apply: (d) => commitSignedBy(join(d, "vault"), otherKey),
    app: /not signed by a vault key the ledger recorded/,
    shell: /not signed by a vault key the ledger recorded/,
  },
];

describe("the auditor's kit", () => {
  it("maos ledger verify --key/--db/--vault and verify.sh pass on copies, writing nothing", async () => {
    const dir = auditorFolder("intact");
    const before = checksums(dir);
    const cli = await exec(
      process.execPath,
      [MAOS, "ledger", "verify", "--key", "ledger.vkey", "--db", "ledger.db", "--vault", "vault"],
      {
        cwd: dir,
        env: { ...process.env, MAOS_HOME: join(dir, "no-home") },
      },
    );
    assert.match(cli.stdout, /ledger intact/);
    assert.match(cli.stdout, /vault intact: 3 sealed runs/);
    const sh = await shell(dir);
    assert.equal(sh.code, 0, sh.out);
    assert.match(sh.out, /VERIFIED/);
    assert.match(sh.out, /3 sealed runs match RUN_SEALED .*[1-9]\d* signed commits checked/);
    assert.deepEqual(checksums(dir), before, "the folder is byte-for-byte as it was");
    assert.deepEqual(readdirSync(dir).sort(), ["ledger.db", "ledger.vkey", "vault"]);
  });

  for (const c of CASES) {
    it(`both verifiers catch: ${c.name}`, async () => {
      const dir = auditorFolder(c.name.replace(/\W+/g, "-"));
      c.apply(dir);
      const [a, s] = await Promise.all([app(dir), shell(dir)]);
      assert.equal(a.ok, false, `maos ledger verify passed ${c.name}`);
      assert.match(a.failures.join("\n"), c.app);
      assert.equal(s.code, 1, s.out);
      assert.match(s.out, c.shell);
    });
  }
});
