import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../commands/run.ts";
import { verifyVault } from "../../commands/vault.ts";
import type { HeartbeatResult } from "../../src/autonomy/AutonomyKernel.ts";
import { localActor } from "../../src/core/Actor.ts";
import { isCodexError } from "../../src/core/CodexError.ts";
import { testApp } from "../helpers/testApp.ts";
import { editCanonical, rehashFrom, tamper } from "../ledger/helpers.ts";
import { commitSignedBy, gitIn, rewriteNewestSealedRun } from "./auditHelpers.ts";

for (const tool of ["sqlite3", "git", "ssh-keygen"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is not installed: these custody tests need it`);
  }
}

const root = mkdtempSync(join(tmpdir(), "maos-botcustody-"));
after(() => rmSync(root, { recursive: true, force: true }));
const vaultKey = join(root, "vault_ed25519");
const otherKey = join(root, "other_ed25519");
let home = "";
let olderLedger = "";

before(async () => {
  for (const k of [vaultKey, otherKey]) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kit", "-f", k]);
  }
  const ta = testApp({ MAOS_HOME: join(root, "shared-home"), MAOS_VAULT_SIGNING_KEY: vaultKey });
  home = ta.home;
  for (let i = 1; i <= 3; i++) {
    await run({ stack: "marketing_ops", inputs: { event: `Expo ${i}` } }, localActor("cli"), ta.app);
    if (i === 2) {
      olderLedger = join(root, "older-ledger.db");
      execFileSync("sqlite3", [join(home, "ledger.db"), `.backup '${olderLedger}'`]);
    }
  }
  const beat = await ta.app.autonomy().heartbeat("relay");
  assert.equal(beat.signals.ledger.ok && beat.signals.vault.ok, true, JSON.stringify(beat.signals.vault));
  await ta.app.close();
});

/** A copy of the home (ledger.db, state.db, keys, vault), as a restarted bot finds it. */
function copyHome(name: string): string {
  const dir = join(root, name);
  cpSync(home, dir, { recursive: true });
  return dir;
}

function lastSeq(dir: string): number {
  return Number(
    execFileSync("sqlite3", [join(dir, "ledger.db"), "SELECT max(seq) FROM ledger"], { encoding: "utf8" }),
  );
}

function rewriteNewestRun(vault: string): string {
  const folder = rewriteNewestSealedRun(vault);
  // Amend the commit that sealed this run (the newest commit touching runs/).
  gitIn(vault, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "fix typo");
  return folder;
}

interface Case {
  name: string;
  apply: (home: string) => void;
  reason: RegExp;
  /**
   * What the running bot's next heartbeat (and the restart after it) names, when it differs: its writer
   * still appends after the head it wrote last, so rows deleted or rewritten under it also show as a gap
   * or a broken link there.
   */
  running?: RegExp;
  /**
   * What the restart after a tamper under the running bot names, when it differs: the restart continues
   * from the last passing verification the bot kept, so a rewritten head it recorded may show first.
   */
  restarted?: RegExp;
}

const CASES: Case[] = [
  {
    name: "edited row",
    apply: (h) => tamper(join(h, "ledger.db"), (db) => editCanonical(db, 5, '"agent"', '"agenT"')),
    reason: /seq 5: row edited/,
  },
  {
    name: "re-hashed chain",
    apply: (h) =>
      tamper(join(h, "ledger.db"), (db) => {
        editCanonical(db, 5, '"agent"', '"agenT"');
        rehashFrom(db, 5);
      }),
    reason: /checkpoint root mismatch/,
    running: /checkpoint root mismatch|chain broken/,
    restarted: /checkpoint root mismatch|chain broken|is not the one verified earlier/,
  },
  {
    name: "truncated tail",
    apply: (h) => {
      const last = lastSeq(h);
      tamper(join(h, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq > ?").run(last - 3));
    },
    reason: /truncated/,
    running: /truncated|gap: expected seq/,
  },
  {
    name: "deleted middle row",
    apply: (h) => tamper(join(h, "ledger.db"), (db) => db.prepare("DELETE FROM ledger WHERE seq = 7").run()),
    reason: /seq 7: gap/,
  },
  {
    name: "deleted checkpoint rows",
    apply: (h) =>
      tamper(join(h, "ledger.db"), (db) => db.prepare("DELETE FROM checkpoints WHERE id IN (2, 3)").run()),
    reason: /checkpoint rows deleted/,
  },
  {
    name: "deleted newest checkpoint rows and the entries they covered",
    apply: (h) => {
      const last = lastSeq(h);
      tamper(join(h, "ledger.db"), (db) => {
        db.prepare("DELETE FROM ledger WHERE seq > ?").run(last - 2);
        db.prepare("DELETE FROM checkpoints WHERE size > ?").run(last - 1);
      });
    },
    reason: /truncated: checkpoint at size \d+ but ledger has/,
    running: /truncated|gap: expected seq/,
  },
  {
    name: "rollback to an older copy",
    apply: (h) => cpSync(olderLedger, join(h, "ledger.db")),
    reason: /truncated/,
  },
  {
    name: "rewritten vault file with a matching SEAL.json",
    apply: (h) => {
      rewriteNewestRun(join(h, "vault"));
    },
    reason: /sealed run rewritten|SEAL\.json root/,
  },
  {
    name: "git rm -r of a run and a commit",
    apply: (h) => {
      const v = join(h, "vault");
      const first = gitIn(v, "ls-tree", "--name-only", "HEAD", "runs/").trim().split("\n")[0] as string;
      gitIn(v, "rm", "-rq", first);
      gitIn(v, "-c", "commit.gpgsign=false", "commit", "-qm", "tidy");
    },
    reason: /sealed run missing from the vault/,
  },
  {
    name: "git reset --hard HEAD~2",
    apply: (h) => gitIn(join(h, "vault"), "reset", "-q", "--hard", "HEAD~2"),
    reason: /sealed run missing from the vault|history rewritten/,
  },
  {
    name: "a commit signed by another key",
    apply: (h) => commitSignedBy(join(h, "vault"), otherKey),
    reason: /not signed by a vault key the ledger recorded/,
  },
];

function custodyReason(beat: HeartbeatResult): string {
  const s = beat.signals;
  return [
    s.ledger.ok ? "" : `ledger: seq ${s.ledger.firstBad?.seq}: ${s.ledger.firstBad?.reason}`,
    s.vault.ok ? "" : `vault: ${s.vault.problem}`,
  ].join(" ");
}

describe("the running bot catches every tamper case within one heartbeat, also after a restart", () => {
  /** A fresh process on `home`: its first heartbeat must report a custody break naming `reason`. */
  async function restartCatches(env: Record<string, string>, what: string, reason: RegExp): Promise<void> {
    const restarted = testApp(env);
    try {
      const beat = await restarted.app.autonomy().heartbeat("relay");
      assert.equal(beat.signals.ledger.ok && beat.signals.vault.ok, false, `${what} went unnoticed`);
      assert.equal(
        beat.drift.components.some((x) => x.name === "custody"),
        true,
      );
      assert.match(custodyReason(beat), reason);
    } finally {
      await restarted.app.close();
    }
  }

  for (const c of CASES) {
    it(`${c.name}: done while the bot was down, seen by its first heartbeat`, async () => {
      const h = copyHome(`down-${c.name.replace(/\W+/g, "-")}`);
      c.apply(h);
      await restartCatches({ MAOS_HOME: h, MAOS_VAULT_SIGNING_KEY: vaultKey }, c.name, c.reason);
    });
    if (c.name === "rollback to an older copy") continue;
    it(`${c.name}: done while the bot runs, seen by its next heartbeat and after a restart`, async () => {
      const h = copyHome(`up-${c.name.replace(/\W+/g, "-")}`);
      const env = { MAOS_HOME: h, MAOS_VAULT_SIGNING_KEY: vaultKey };
      const running = testApp(env);
      try {
        const ok = await running.app.autonomy().heartbeat("relay");
        assert.equal(ok.signals.ledger.ok && ok.signals.vault.ok, true, custodyReason(ok));
        c.apply(h);
        // A ledger that lost rows under the bot refuses its next write (it would fork over the evidence):
        // the heartbeat then fails with that cause and the loop halts, which is how a running bot says it.
        const next = await running.app
          .autonomy()
          .heartbeat("relay")
          .catch((err: unknown) => {
            if (!isCodexError(err) || err.code !== "LEDGER_BROKEN") throw err;
            return err;
          });
        if (isCodexError(next)) {
          assert.match(next.message, /truncated under this process|changed under this process/);
          assert.equal((await running.app.autonomy().srr()).state, "HALTED");
        } else {
          assert.equal(
            next.signals.ledger.ok && next.signals.vault.ok,
            false,
            `running: ${c.name} went unnoticed`,
          );
          assert.match(custodyReason(next), c.running ?? c.reason);
        }
      } finally {
        await running.app.close();
      }
      // The running bot wrote past the tamper, so the first failure a restart meets may be that; or the
      // head the last passing verification recorded (kept signed in state.db), which the tamper rewrote.
      await restartCatches(env, c.name, c.restarted ?? c.running ?? c.reason);
    });
  }

  it("a restart without MAOS_VAULT_SIGNING_KEY records that signing is off before its heartbeat commits, and keeps custody", async () => {
    const h = copyHome("signing-off");
    const signed = testApp({ MAOS_HOME: h, MAOS_VAULT_SIGNING_KEY: vaultKey });
    try {
      await run({ stack: "marketing_ops", inputs: { event: "Expo 4" } }, localActor("cli"), signed.app);
    } finally {
      await signed.app.close();
    }
    // The last seal is not yet anchored by a committed checkpoint, so this bot's heartbeat commits one, unsigned.
    const unsigned = testApp({ MAOS_HOME: h });
    try {
      const beat = await unsigned.app.autonomy().heartbeat("relay");
      assert.equal(beat.signals.ledger.ok && beat.signals.vault.ok, true, custodyReason(beat));
      assert.match(gitIn(join(h, "vault"), "log", "-1", "--format=%G? %s"), /^N checkpoint: ledger size/);
      const off = unsigned.app
        .ledger()
        .query({ eventType: "VAULT_SIGNING_KEY", newestFirst: true, limit: 1 })[0];
      assert.equal((off?.payload as { publicKey?: unknown } | undefined)?.publicKey, null);
      const again = await unsigned.app.autonomy().heartbeat("relay");
      assert.equal(again.signals.ledger.ok && again.signals.vault.ok, true, custodyReason(again));
      assert.equal((await unsigned.app.autonomy().srr()).state, "RUNNING");
    } finally {
      await unsigned.app.close();
    }
  });

  it("the anchor chain: each RUN_SEALED is covered by a checkpoint committed with the next seal or the heartbeat", () => {
    const rows = execFileSync(
      "sqlite3",
      [
        join(home, "ledger.db"),
        "SELECT seq, json_extract(canonical, '$.payload.commit') FROM ledger WHERE event_type = 'RUN_SEALED' ORDER BY seq",
      ],
      { encoding: "utf8" },
    )
      .trim()
      .split("\n")
      .map((l) => l.split("|") as [string, string]);
    assert.equal(rows.length, 3);
    rows.forEach(([seq], i) => {
      // Run i+1's seal commit carries the checkpoint covering run i's RUN_SEALED; the last one, the heartbeat's.
      const carrier = rows[i + 1]?.[1] ?? "HEAD";
      const note = gitIn(join(home, "vault"), "show", `${carrier}:checkpoints/latest.txt`);
      assert.ok(
        Number(note.split("\n")[1]) > Number(seq),
        `RUN_SEALED at seq ${seq} is not anchored by ${carrier}`,
      );
    });
  });

  it("maos vault verify fails on a consistent rewrite of a file and its SEAL.json, naming the run", async () => {
    const h = copyHome("vault-verify-rewrite");
    const folder = rewriteNewestRun(join(h, "vault"));
    const ta = testApp({ MAOS_HOME: h, MAOS_VAULT_SIGNING_KEY: vaultKey });
    try {
      const report = await verifyVault([], ta.app);
      assert.equal(report.ok, false);
      assert.ok(
        report.custody?.problems.some((p) => p.subject.includes(folder)),
        JSON.stringify(report.custody),
      );
    } finally {
      await ta.app.close();
    }
  });
});
