/**
 * Forty `maos run` processes killed with SIGKILL at chosen and at random points of a run, each followed by
 * a start on the same MAOS_HOME (createApp + reconcileRuns, what `npm start` and `maos run` do first).
 * After every start: no run is in limbo (each RUN_STARTED has RUN_SEALED or RUN_ABORTED), the vault
 * verifies, and no seal commit carries another run's files. Half the trials stop the run at a named
 * point (MAOS_TEST_PAUSE_AT), so the window between RUN_COMPLETED and RUN_SEALED is hit every time;
 * the other half kill at a random moment after RUN_STARTED. Some kill the whole process group (git
 * children too, which can leave a stale index.lock); the others only node (its git child finishes alone).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { testApp } from "../helpers/testApp.ts";
import { maos, startMaos, waitForStderr } from "./processKit.ts";

const TRIALS = Number(process.env.MAOS_KILL_TRIALS ?? 40);
/** Where a paused trial stops; the comment says what a start must make of it. */
const POINTS = [
  "run:started", // aborted
  "run:step-1", // aborted
  "run:completed", // after RUN_COMPLETED, nothing written: aborted
  "seal:file-written", // part of the folder: aborted, folder removed
  "seal:seal-written", // complete folder, not staged: sealed late (committed by the start)
  "seal:staged", // complete folder, staged: sealed late
  "seal:committed", // committed, RUN_SEALED missing: sealed late
  "run:sealed", // RUN_SEALED written: nothing to do
] as const;
const EXPECT: Record<(typeof POINTS)[number], "aborted" | "sealedLate" | "none"> = {
  "run:started": "aborted",
  "run:step-1": "aborted",
  "run:completed": "aborted",
  "seal:file-written": "aborted",
  "seal:seal-written": "sealedLate",
  "seal:staged": "sealedLate",
  "seal:committed": "sealedLate",
  "run:sealed": "none",
};

/** mulberry32: a seeded PRNG, so a failing sequence can be replayed with MAOS_KILL_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function countStarted(home: string): number {
  const db = new Database(path.join(home, "ledger.db"), { readonly: true, fileMustExist: true });
  try {
    return (
      (db.prepare("SELECT count(*) FROM ledger WHERE event_type = 'RUN_STARTED'").pluck().get() as number) ??
      0
    );
  } finally {
    db.close();
  }
}

/** Every seal commit touches one run folder only, and it is the one its subject names. */
function sealCommitsOwnTheirFiles(vaultDir: string): string[] {
  const log = execFileSync("git", ["log", "--name-only", "--format=>%H %s"], {
    cwd: vaultDir,
    encoding: "utf8",
  });
  const problems: string[] = [];
  for (const block of log.split(">").filter((b) => b.trim() !== "")) {
    const [head = "", ...files] = block.split("\n").filter((l) => l !== "");
    const subject = head.slice(41);
    const m = /^seal(?: \(late\))?: \S+ run ([0-9a-f]{8}) /.exec(subject);
    const folders = new Set(files.filter((f) => f.startsWith("runs/")).map((f) => f.split("/")[1]));
    if (!m) {
      if (folders.size > 0) problems.push(`${head}: a non-seal commit carries run folders ${[...folders]}`);
      continue;
    }
    const other = [...folders].filter((f) => !f?.endsWith(`-${m[1]}`));
    if (folders.size !== 1 || other.length > 0) problems.push(`${head}: carries ${[...folders].join(", ")}`);
  }
  return problems;
}

test("40 kill -9 trials at random points of a run, each followed by a start: no limbo, the vault verifies", {
  timeout: 600_000,
}, async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-kill9-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const seed = Number(process.env.MAOS_KILL_SEED ?? 20261207);
  const random = prng(seed);
  t.diagnostic(`seed ${seed}`);
  const warm = await maos(["run", "marketing_ops", "--input", "event=warm-up"], home);
  assert.equal(warm.code, 0, warm.stderr);

  const started = performance.now();
  const tally = { aborted: 0, sealedLate: 0, none: 0, groupKills: 0, randomKills: 0, limbo: 0 };
  for (let i = 0; i < TRIALS; i++) {
    const paused = i % 2 === 0;
    const point = POINTS[(i / 2) % POINTS.length] as (typeof POINTS)[number];
    const group = random() < 0.5;
    const before = countStarted(home);
    const p = startMaos(
      ["run", "marketing_ops", "--input", `event=trial ${i}`],
      home,
      paused ? { MAOS_TEST_PAUSE_AT: point } : {},
      { detached: true },
    );
    if (paused) {
      await waitForStderr(p, new RegExp(`MAOS_PAUSED ${point.replace(":", ":")}`));
    } else {
      // A random moment once the run is under way: its RUN_STARTED is in the ledger.
      while (countStarted(home) === before) {
        const f = await Promise.race([p.done, new Promise((r) => setTimeout(r, 5, undefined))]);
        if (f) assert.fail(`trial ${i} exited before RUN_STARTED: ${JSON.stringify(f)}`);
      }
      await new Promise((r) => setTimeout(r, Math.floor(random() * 250)));
      tally.randomKills++;
    }
    const pid = p.child.pid as number;
    if (group) tally.groupKills++;
    try {
      process.kill(group ? -pid : pid, "SIGKILL");
    } catch {
      // It finished already (a random kill can come after the end): a normal exit.
    }
    const f = await p.done;
    assert.ok(f.signal === "SIGKILL" || f.code === 0, `trial ${i}: ${f.code} ${f.signal} ${f.stderr}`);

    // The start.
    const s = testApp({ MAOS_HOME: home });
    try {
      const settled = await s.app.reconcileRuns();
      const n = settled.aborted.length + settled.sealedLate.length;
      assert.ok(n <= 1, `trial ${i}: one run at most to settle, got ${JSON.stringify(settled)}`);
      const outcome =
        settled.aborted.length === 1 ? "aborted" : settled.sealedLate.length === 1 ? "sealedLate" : "none";
      tally[outcome]++;
      if (paused) assert.equal(outcome, EXPECT[point], `trial ${i} paused at ${point}`);
      const ledger = s.app.ledger();
      const settledIds = new Set(
        [...ledger.query({ eventType: "RUN_SEALED" }), ...ledger.query({ eventType: "RUN_ABORTED" })].map(
          (e) => e.correlationId,
        ),
      );
      const limbo = ledger
        .query({ eventType: "RUN_STARTED" })
        .filter((e) => !settledIds.has(e.correlationId));
      tally.limbo += limbo.length;
      assert.deepEqual(
        limbo.map((e) => e.seq),
        [],
        `trial ${i}: runs in limbo`,
      );
      const report = await (await s.app.vault()).verify();
      assert.equal(report.ok, true, `trial ${i}: ${JSON.stringify(report.runs.filter((r) => !r.ok))}`);
    } finally {
      await s.app.close();
    }
    assert.deepEqual(sealCommitsOwnTheirFiles(path.join(home, "vault")), [], `trial ${i}`);
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  t.diagnostic(`${TRIALS} trials in ${seconds} s: ${JSON.stringify(tally)}`);

  // From outside, as an operator checks: both verifications pass.
  const lv = await maos(["ledger", "verify"], home);
  assert.equal(lv.code, 0, lv.stdout + lv.stderr);
  const vv = await maos(["vault", "verify"], home);
  assert.equal(vv.code, 0, vv.stdout + vv.stderr);
  const after = await maos(["run", "marketing_ops", "--input", "event=after the crashes"], home);
  assert.equal(after.code, 0, after.stderr);
});
