import assert from "node:assert/strict";
import { appendFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { ManualClock } from "../../src/core/clock.ts";
import { localLedger } from "../../src/ledger/LedgerHandle.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { Vault } from "../../src/vault/Vault.ts";
import { testApp } from "../helpers/testApp.ts";
import { git, ledgerState, sampleRunFiles, tempDir } from "../vault/vaultTestKit.ts";

test("Vault.verifyChanged re-hashes only new or re-committed folders; a full pass sees the rest", async (t) => {
  const tmp = tempDir("incremental");
  t.after(tmp.cleanup);
  const clock = new ManualClock("2026-11-21T15:00:00.000Z");
  const vault = await Vault.open({ dir: join(tmp.dir, "vault"), clock });
  const seal = (n: number) =>
    vault.sealRun({
      runId: `${n}a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d`,
      stack: "marketing_ops",
      startedAt: new Date(Date.UTC(2026, 10, 21, 14, n)),
      files: sampleRunFiles(),
      ledger: ledgerState(n + 5),
    });
  const [first, second] = [await seal(1), await seal(2)];

  const full = await vault.verifyChanged(new Map());
  assert.deepEqual(full.report, await vault.verify(), "a full pass is verify()");
  assert.equal(full.report.ok, true);
  assert.deepEqual(
    [...full.verified.keys()],
    [first.relPath, second.relPath].map((p) => p.slice(5)),
  );

  // A new seal is verified; the known folders are not re-hashed.
  const third = await seal(3);
  const next = await vault.verifyChanged(full.verified);
  assert.equal(next.report.ok, true);
  assert.equal(next.report.runs.length, 3);
  assert.equal(next.verified.size, 3);

  // A working-tree edit of an old folder: only a full pass re-hashes it.
  appendFileSync(join(first.dir, "run.json"), " ");
  assert.equal((await vault.verifyChanged(next.verified)).report.ok, true, "the documented gap");
  const caught = await vault.verifyChanged(new Map());
  assert.equal(caught.report.ok, false);
  assert.deepEqual(caught.report.runs.find((r) => !r.ok)?.changed, ["run.json"]);
  assert.equal(caught.verified.has(first.relPath.slice(5)), false, "a bad folder is not recorded");
  git(vault.dir, "checkout", "--", first.relPath);

  // Committing an edit to a sealed folder changes its tree in HEAD: caught at once.
  appendFileSync(join(second.dir, "agent_reviewer.md"), "\nforged");
  git(vault.dir, "-c", "user.name=m", "-c", "user.email=m@x", "commit", "-qam", "edit");
  const committed = await vault.verifyChanged(next.verified);
  assert.equal(committed.report.ok, false);
  assert.deepEqual(committed.report.runs.find((r) => !r.ok)?.changed, ["agent_reviewer.md"]);

  // A folder removed from the working tree: caught at once.
  rmSync(third.dir, { recursive: true });
  const gone = await vault.verifyChanged(next.verified);
  assert.match(gone.report.runs.find((r) => r.folder === third.relPath.slice(5))?.sealError ?? "", /gone/);
});

const ta = testApp();
after(ta.cleanup);

test("a heartbeat sees entries lost from the unattested tail, which verifyLedger alone cannot", async () => {
  const { app } = ta;
  const kernel = app.autonomy();
  const first = await kernel.measure();
  assert.equal(first.ledger.ok, true, JSON.stringify(first.ledger));
  for (let i = 0; i < 5; i++) {
    localLedger(app.ledger()).appendSync({
      eventType: "NOTE",
      actor: "test",
      correlationId: "c",
      payload: { i },
    });
  }
  const second = await kernel.measure();
  assert.equal(second.ledger.ok, true);
  const size = second.ledger.size;

  const db = new Database(app.ledgerPath());
  db.exec("DROP TRIGGER ledger_no_delete");
  db.prepare("DELETE FROM ledger WHERE seq >= ?").run(size - 2);
  db.close();
  const alone = verifyLedger({ path: app.ledgerPath(), verifierKey: app.ledgerKey().verifierKey });
  assert.equal(alone.ok, true, "no signed checkpoint covers the lost entries");

  const third = await kernel.measure();
  assert.equal(third.ledger.ok, false);
  assert.deepEqual(third.ledger.firstBad, {
    seq: size - 2,
    reason: `truncated: ${size} entries were verified earlier, the ledger now has ${size - 2}`,
  });
  assert.equal(third.drift.band, "red");
});
