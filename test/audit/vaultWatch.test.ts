/**
 * VaultWatch: the heartbeat's vault custody reads only what changed since the verified mark kept in
 * state.db (also across a restart), and still catches every tamper of issue 10 at the next check.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../commands/run.ts";
import { VAULT_MARK_KEY } from "../../src/audit/vaultWatch.ts";
import { localActor } from "../../src/core/Actor.ts";
import { testApp } from "../helpers/testApp.ts";

function gitIn(dir: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return execFileSync("git", ["-c", "user.name=m", "-c", "user.email=m@x", ...args], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
}

const root = mkdtempSync(join(tmpdir(), "maos-vaultwatch-"));
after(() => rmSync(root, { recursive: true, force: true }));
let home = "";

before(async () => {
  const ta = testApp({ MAOS_HOME: join(root, "shared-home") });
  home = ta.home;
  for (let i = 1; i <= 3; i++) {
    await run({ stack: "marketing_ops", inputs: { event: `Expo ${i}` } }, localActor("cli"), ta.app);
  }
  const first = await ta.app.vaultWatch().check();
  assert.equal(first.mode, "full");
  assert.equal(first.ok, true, JSON.stringify(first.problems));
  assert.equal(first.runs, 3);
  await ta.app.close();
});

function copyHome(name: string): string {
  const dir = join(root, name);
  cpSync(home, dir, { recursive: true });
  return dir;
}

async function checkOn(h: string, full?: string) {
  const ta = testApp({ MAOS_HOME: h });
  try {
    return await ta.app.vaultWatch().check(full ? { full } : {});
  } finally {
    await ta.app.close();
  }
}

function newestRun(vault: string): string {
  return gitIn(vault, "ls-tree", "--name-only", "HEAD", "runs/").trim().split("\n").pop() as string;
}

describe("the vault's verified mark", () => {
  it("a restart goes on from the mark: nothing new reads nothing; a new run is checked alone", async () => {
    const h = copyHome("steady");
    const ta = testApp({ MAOS_HOME: h });
    try {
      const watch = ta.app.vaultWatch();
      const again = await watch.check();
      assert.equal(again.mode, "unchanged");
      assert.equal(again.runs, 3);
      await run({ stack: "marketing_ops", inputs: { event: "Expo 4" } }, localActor("cli"), ta.app);
      const next = await watch.check();
      assert.deepEqual([next.mode, next.ok, next.runs], ["incremental", true, 4]);
      assert.equal((await watch.check()).mode, "unchanged");
      // An hour later on the injected clock: a full pass, in a worker thread.
      await ta.clock.advance(60 * 60_000);
      const hourly = await watch.check();
      assert.deepEqual([hourly.mode, hourly.fullReason, hourly.ok], ["full", "hourly", true]);
    } finally {
      await ta.app.close();
    }
  });

  it("a mark not signed by the ledger key is not trusted: a full pass", async () => {
    const h = copyHome("forged-mark");
    const db = join(h, "state.db");
    const stored = JSON.parse(
      execFileSync("sqlite3", [db, `SELECT value FROM autonomy_kv WHERE key = '${VAULT_MARK_KEY}'`], {
        encoding: "utf8",
      }),
    ) as { note: string };
    const forged = stored.note.replace(/"runs":3/, '"runs":30');
    execFileSync("sqlite3", [
      db,
      `UPDATE autonomy_kv SET value = '${JSON.stringify({ note: forged }).replaceAll("'", "''")}' WHERE key = '${VAULT_MARK_KEY}'`,
    ]);
    const r = await checkOn(h);
    assert.deepEqual([r.mode, r.fullReason, r.ok, r.runs], ["full", "no verified mark yet", true, 3]);
  });
});

const TAMPERS: { name: string; apply: (vault: string) => void; reason: RegExp }[] = [
  {
    name: "the last seal commit amended",
    apply: (v) => gitIn(v, "commit", "-q", "--amend", "-m", "amended"),
    reason: /history rewritten: the last verified commit/,
  },
  {
    name: "git reset --hard HEAD~1",
    apply: (v) => gitIn(v, "reset", "-q", "--hard", "HEAD~1"),
    reason: /history rewritten/,
  },
  {
    name: "a vault file rewritten with a matching SEAL.json, committed",
    apply: (v) => {
      const folder = newestRun(v);
      appendFileSync(join(v, folder, "run.json"), " ");
      const sealPath = join(v, folder, "SEAL.json");
      writeFileSync(sealPath, readFileSync(sealPath, "utf8").replace('"version": 1', '"version": 1 '));
      gitIn(v, "commit", "-qam", "fix typo");
    },
    reason: /sealed run rewritten: runs\/.+\/(run|SEAL)\.json was changed by commit/,
  },
  {
    name: "git rm -r of a run, committed",
    apply: (v) => {
      gitIn(v, "rm", "-rq", newestRun(v));
      gitIn(v, "commit", "-qm", "tidy");
    },
    reason: /sealed run missing from the vault: .* was deleted by commit/,
  },
  {
    name: "a file added to a sealed run, committed",
    apply: (v) => {
      writeFileSync(join(v, newestRun(v), "extra.md"), "more\n");
      gitIn(v, "add", "--all");
      gitIn(v, "commit", "-qm", "add");
    },
    reason: /adds files to runs\//,
  },
];

describe("every tamper is caught by the next incremental check (and a restart's)", () => {
  for (const t of TAMPERS) {
    it(t.name, async () => {
      const h = copyHome(t.name.replace(/\W+/g, "-"));
      t.apply(join(h, "vault"));
      const r = await checkOn(h);
      assert.equal(r.mode, "incremental");
      assert.equal(r.ok, false, `${t.name} went unnoticed`);
      assert.match(r.problems.map((p) => p.reason).join("; "), t.reason);
      // A failed check does not move the mark: the next check is a full pass and fails too.
      const ta = testApp({ MAOS_HOME: h });
      try {
        const watch = ta.app.vaultWatch();
        assert.equal((await watch.check()).ok, false);
        const again = await watch.check();
        assert.deepEqual([again.mode, again.ok], ["full", false]);
      } finally {
        await ta.app.close();
      }
    });
  }

  it("a working-tree edit of a sealed run, never committed: only the full pass sees it (documented)", async () => {
    const h = copyHome("working-tree");
    appendFileSync(join(h, "vault", newestRun(join(h, "vault")), "run.json"), " ");
    assert.equal((await checkOn(h)).ok, true, "the incremental check reads committed state only");
    const full = await checkOn(h, "test");
    assert.equal(full.ok, false);
    assert.match(
      full.problems[0]?.reason ?? "",
      /run\.json differs from its sealed copy in the working tree/,
    );
  });
});
