/**
 * A replica cut off from the database mid-run comes back after another replica's worker has aborted
 * its run and run the job again: its seal is refused inside the vault's cluster lock, so the job never
 * completes twice, and the aborted run stays aborted (no RUN_SEALED after its RUN_ABORTED).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { holdAt } from "../../src/core/pausePoint.ts";
import { settleOpenRun } from "../../src/executor/reconcileRuns.ts";
import { generateNoteKey } from "../../src/ledger/signedNote.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { testApp } from "../helpers/testApp.ts";

test("a run another replica settled while this one was cut off is not sealed", {
  skip: pgSkip(),
}, async (t) => {
  const url = await pgTestDatabase(t, { ownDatabase: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-settled-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const remote = path.join(dir, "vault.git");
  spawnSync("git", ["init", "--bare", "--quiet", remote]);
  const shared = {
    DATABASE_URL: url,
    MAOS_LEDGER_KEY: generateNoteKey("maos-codex-settled").signerKey,
    MAOS_VAULT_REMOTE: remote,
  };
  const a = testApp(shared);
  const b = testApp(shared);
  t.after(() => a.cleanup());
  t.after(() => b.cleanup());
  await a.app.connect();
  await b.app.connect();

  // Replica A's run reaches the end of its agents and stops there, as if its network went away.
  const held = holdAt("run:completed");
  const running = run({ stack: "marketing_ops", inputs: { event: "Cut off" } }, localActor("cli"), a.app);
  await held.reached;
  const started = a.app.ledger().query({ eventType: "RUN_STARTED", newestFirst: true, limit: 1 })[0];
  assert.ok(started, "A's run started");
  const runId = (started.payload as { runId: string }).runId;

  // Replica B's worker finds the attempt open (its heartbeat lapsed) and aborts it before a retry.
  const ledgerB = b.app.ledger() as unknown as { refresh(): Promise<number> };
  await settleOpenRun(
    b.app.ledger(),
    () => b.app.vault(),
    runId,
    "test: replica A stopped answering",
    () => ledgerB.refresh(),
  );

  // A comes back and goes on to its seal: refused, saying why.
  held.release();
  await assert.rejects(running, (err: Error & { code?: string; hint?: string }) => {
    assert.equal(err.code, "REFUSED");
    assert.match(err.message, /settled by another replica while this one could not reach the database/);
    assert.match(err.message, /test: replica A stopped answering/);
    return true;
  });
  await ledgerB.refresh();
  const thread = b.app.ledger().byCorrelation(started.correlationId);
  assert.deepEqual(
    thread
      .filter((e) => e.eventType.startsWith("RUN_S") || e.eventType === "RUN_ABORTED")
      .map((e) => e.eventType),
    ["RUN_STARTED", "RUN_ABORTED"],
    "aborted once, never sealed",
  );
  const vault = await b.app.vault();
  await vault.sync();
  assert.equal((await vault.verify()).ok, true);
});
