import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import type { SnapshotSummary } from "../../src/autonomy/DailySnapshot.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { type AutonomyHarness, startAutonomyHarness } from "./autonomyHarness.ts";

let h: AutonomyHarness;
before(async () => {
  // 09:03 in Chicago: three minutes after the harness's start (15:00Z is 09:00 CST).
  h = await startAutonomyHarness({
    charter: (y) => y.replace('daily_snapshot: "0 18 * * *"', 'daily_snapshot: "3 9 * * *"'),
  });
});
after(() => h.close());

test("the daily snapshot fires at its Chicago time, summarises the day, and is committed to the vault", async () => {
  for (let i = 0; i < 3; i++) await h.beat();
  const taken = h.app.ledger().query({ eventType: "SNAPSHOT_TAKEN" });
  assert.equal(taken.length, 1, "the cron job fired at 09:03 America/Chicago");
  const p = taken[0]?.payload as { source: string; file: string; commit: string; summary: SnapshotSummary };
  assert.equal(p.source, "schedule");
  assert.equal(p.file, "snapshots/2026-11-21.md");
  const s = p.summary;
  assert.equal(s.date, "2026-11-21");
  assert.equal(s.from, "2026-11-21T06:00:00.000Z", "the Chicago day starts at 06:00Z in November");
  // 09:01 and 09:02; the beat falling due with the snapshot at 09:03 counts for the next one.
  assert.deepEqual([s.heartbeats.expected, s.heartbeats.received], [2, 2]);
  assert.deepEqual([s.drift?.min, s.drift?.max], [0, 0]);
  assert.equal(s.drift?.secondsInBand.green, s.heartbeats.received * 60);
  assert.equal(s.seal, null);
  assert.equal(s.ledger.ok, true);
  assert.equal(s.components.srr, "RUNNING");
  assert.match(s.note, /A quiet day: every heartbeat was green\. No MVP seal has been taken yet\./);

  const vault = path.join(h.app.home, "vault");
  const doc = execFileSync("git", ["-C", vault, "show", `${p.commit}:snapshots/2026-11-21.md`], {
    encoding: "utf8",
  });
  assert.match(doc, /# Daily autonomy snapshot 2026-11-21 \(America\/Chicago\)/);
  // Published as evidence with the entry itself: it records the item and where it was queued.
  assert.deepEqual(
    evidenceRecords(taken[0]).map((r) => [r.kind, r.title]),
    [["snapshot", "Daily autonomy snapshot 2026-11-21"]],
    "published as evidence",
  );

  const now = await dispatch("snapshot", { app: h.app, actor: { source: "shell", id: "local:olive" } });
  assert.match(replyToText(now), /Daily autonomy snapshot 2026-11-21 stored as snapshots\/2026-11-21\.md/);
  assert.equal(h.app.ledger().query({ eventType: "SNAPSHOT_TAKEN" }).length, 2);
  assert.equal(h.ledgerVerifies().ok, true);
});
