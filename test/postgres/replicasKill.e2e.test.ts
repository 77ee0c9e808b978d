/**
 * 20 runs acked across two real bot replicas on one PostgreSQL, one replica killed -9 while its worker
 * holds runs half-way (MAOS_TEST_PAUSE_AT: its runs stop at RUN_COMPLETED, before their seal): every
 * run the queue took is sealed exactly once or marked aborted exactly once, no job runs twice to
 * completion, the survivor leads, and the vault and the ledger agree (`maos vault verify`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pgConnect, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { slashCommand } from "../slack/slackTestKit.ts";
import { command, rows as ledgerRows, logged, maos, skip, startBot, until } from "./botReplicas.ts";

const RUNS = 20;

test("20 runs across two replicas, one killed mid-run: each sealed or aborted exactly once, none run twice", {
  skip,
  timeout: 360_000,
}, async (t) => {
  const url = await pgTestDatabase(t, { ownDatabase: true });
  const db = await pgConnect(t, url);
  const rows = (type: string) => ledgerRows(db, type);
  // codex-a's run worker holds every run it takes at RUN_COMPLETED, as if its machine died there.
  const a = await startBot("codex-a", url, { MAOS_TEST_PAUSE_AT: "run:completed" });
  t.after(() => a.child.kill("SIGKILL"));
  await logged(a, /elected leader/);
  const b = await startBot("codex-b", url);
  t.after(() => b.child.kill("SIGKILL"));
  await logged(b, /standing by/);

  for (let i = 0; i < RUNS; i++) {
    const res = await command(i % 2 === 0 ? a : b, slashCommand(`run marketing_ops event=Run-${i}`));
    assert.equal(res.status, 200);
  }
  await logged(a, /MAOS_PAUSED run:completed/);
  a.child.kill("SIGKILL");
  await a.exited;

  // The survivor leads, takes the dead replica's jobs when their heartbeat lapses, and seals every run.
  await logged(b, /elected leader/);
  // What the queue and the ledger hold, for a failure's message.
  const where = async () =>
    JSON.stringify({
      sealed: (await rows("RUN_SEALED")).length,
      aborted: (await rows("RUN_ABORTED")).length,
      failed: (await rows("RUN_FAILED")).length,
      jobs: (
        await db.query(
          "SELECT name, state::text, count(*)::int AS n FROM maos_queue.job GROUP BY 1, 2 ORDER BY 1, 2",
        )
      ).rows,
    });
  const sealed = await until(
    `${RUNS} sealed runs`,
    async () => {
      const s = await rows("RUN_SEALED");
      return s.length >= RUNS ? s : undefined;
    },
    // A dead replica's jobs are retried within 47 s of the kill; then the survivor runs them all.
    240_000,
    where,
  );
  const started = await rows("RUN_STARTED");
  const aborted = await rows("RUN_ABORTED");
  assert.ok(aborted.length >= 1, "the killed replica's runs were aborted");
  assert.equal(started.length, RUNS + aborted.length, "every start is one sealed or one aborted run");
  const settled = [...sealed, ...aborted].map((r) => r.correlation);
  assert.equal(new Set(settled).size, settled.length, "no run is both sealed and aborted, or either twice");
  assert.deepEqual(new Set(settled), new Set(started.map((r) => r.correlation)));
  // Each job ran to completion once: the sealed runs' inputs are the 20 commands, each once.
  const sealedInputs = started
    .filter((s) => sealed.some((x) => x.correlation === s.correlation))
    .map((s) => (s.payload.inputs as { event?: string }).event);
  assert.deepEqual([...sealedInputs].sort(), Array.from({ length: RUNS }, (_, i) => `Run-${i}`).sort());
  // Only the dead replica's runs were aborted, each naming why.
  const pids = new Set(aborted.map((r) => started.find((s) => s.correlation === r.correlation)?.payload.pid));
  assert.equal(pids.size, 1, "one process's runs");
  assert.notEqual([...pids][0], b.child.pid);

  const vault = maos(b, url, ["vault", "verify"]);
  assert.equal(vault.status, 0, `maos vault verify: ${vault.stdout}${vault.stderr}`);
  const ledger = maos(b, url, ["ledger", "verify"]);
  assert.equal(ledger.status, 0, `maos ledger verify: ${ledger.stdout}${ledger.stderr}`);
});
