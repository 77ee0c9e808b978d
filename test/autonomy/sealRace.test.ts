/**
 * The race that halted the system (issue 11): a heartbeat that lands while a run is sealing must never
 * see the seal half made. Before the fix, a seal stopped half-way made the heartbeat report "SEAL.json
 * is not committed in the vault's history" (a custody break: drift 100, halt, every later run refused),
 * or wait on the vault lock for as long as the seal held it.
 *
 * In this process, each seal pause point is held (the injected ManualClock drives the app; nothing
 * waits on real time) while a heartbeat is fired; the heartbeat must be recorded while the seal is
 * still held, with the vault healthy. Across processes, a `maos run` paused half-way through its seal
 * (holding the vault lock) and then killed -9 is a seal that will never finish; the heartbeat beside it
 * must neither wait for it nor call it a custody break.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { holdAt } from "../../src/core/pausePoint.ts";
import type { LedgerEntry } from "../../src/ledger/Ledger.ts";
import { startMaos, waitForStderr } from "../crash/processKit.ts";
import { testApp } from "../helpers/testApp.ts";

const SEAL_POINTS = ["seal:file-written", "seal:seal-written", "seal:staged", "seal:committed"] as const;

function vaultSignal(e: LedgerEntry | undefined): { ok: boolean; problem?: string } {
  return ((e?.payload as { vault?: { ok: boolean; problem?: string } } | undefined)?.vault ?? {
    ok: false,
    problem: "no heartbeat",
  }) as { ok: boolean; problem?: string };
}

describe("a heartbeat during a seal in this process", () => {
  const ta = testApp();
  after(ta.cleanup);

  for (const point of SEAL_POINTS) {
    test(`held at ${point}: the heartbeat is recorded before the seal goes on, and custody holds`, {
      timeout: 120_000,
    }, async () => {
      const { app } = ta;
      const kernel = app.autonomy();
      const warm = await run({ stack: "marketing_ops", inputs: { event: "warm" } }, localActor("cli"), app);
      assert.equal(warm.status, "completed");
      assert.equal((await kernel.heartbeat("relay")).signals.vault.ok, true);

      const seal = holdAt(point);
      const sealing = run(
        { stack: "marketing_ops", inputs: { event: `held at ${point}` } },
        localActor("cli"),
        app,
      );
      await seal.reached;
      const recorded = holdAt("heartbeat:recorded");
      const beat = kernel.heartbeat("relay");
      // Reached only once the heartbeat's reading is written to the ledger: with the seal still held.
      await recorded.reached;
      const entry = app.ledger().query({ eventType: "HEARTBEAT", newestFirst: true, limit: 1 })[0];
      assert.equal(vaultSignal(entry).ok, true, vaultSignal(entry).problem);
      recorded.release();
      seal.release();
      const [summary, result] = await Promise.all([sealing, beat]);
      assert.equal(summary.status, "completed");
      assert.equal(result.signals.vault.ok, true, result.signals.vault.problem);
      assert.equal(
        result.drift.components.some((c) => c.name === "custody"),
        false,
      );
      assert.equal((await kernel.srr()).state, "RUNNING");
      // And after the seal: the new run is verified, custody still holds.
      const next = await kernel.heartbeat("relay");
      assert.equal(next.signals.vault.ok, true, next.signals.vault.problem);
      assert.equal((await kernel.srr()).state, "RUNNING");
    });
  }
});

describe("a heartbeat beside a `maos run` whose seal stopped half-way", () => {
  test("paused holding the vault lock, then killed -9: no wait, no custody break", {
    timeout: 180_000,
  }, async () => {
    const ta = testApp();
    try {
      const { app, home } = ta;
      const kernel = app.autonomy();
      await run({ stack: "marketing_ops", inputs: { event: "warm" } }, localActor("cli"), app);
      assert.equal((await kernel.heartbeat("relay")).signals.vault.ok, true);

      const child = startMaos(
        ["run", "marketing_ops", "--input", "event=cut short"],
        home,
        { MAOS_TEST_PAUSE_AT: "seal:staged" },
        { detached: true },
      );
      await waitForStderr(child, /MAOS_PAUSED seal:staged/);
      // The child holds the vault lock, its run folder written and staged, not committed.
      const during = await kernel.heartbeat("relay");
      assert.equal(during.signals.vault.ok, true, during.signals.vault.problem);
      assert.equal((await kernel.srr()).state, "RUNNING");

      process.kill(-(child.child.pid as number), "SIGKILL");
      await child.done;
      // The folder stays in the working tree, never committed: not custody evidence.
      const after = await kernel.heartbeat("relay");
      assert.equal(after.signals.vault.ok, true, after.signals.vault.problem);
      assert.equal(
        after.drift.components.some((c) => c.name === "custody"),
        false,
      );
      assert.equal((await kernel.srr()).state, "RUNNING");
    } finally {
      await ta.cleanup();
    }
  });
});
