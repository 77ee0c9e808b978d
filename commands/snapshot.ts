import type { SnapshotResult } from "../src/autonomy/DailySnapshot.ts";
import type { Caller } from "./CommandSpec.ts";
import type { Outcome } from "./governed.ts";

/** Takes the daily autonomy snapshot now. */
export async function snapshotOutcome(ctx: Caller<"autonomy">): Promise<Outcome<SnapshotResult>> {
  const r = await ctx.app.autonomy().snapshots.take(ctx.actor, "command");
  const s = r.summary;
  const text = `Daily autonomy snapshot ${s.date} stored as ${r.file} (vault commit ${r.commit.slice(0, 12)}, ledger seq ${r.seq}).`;
  return {
    ok: true,
    data: r,
    reply: {
      summary: text,
      parts: [
        { kind: "header", text: `Daily autonomy snapshot ${s.date}` },
        { kind: "text", text: s.note },
        {
          kind: "fields",
          fields: [
            {
              label: "Drift",
              value: s.drift
                ? `min ${s.drift.min} · mean ${s.drift.mean} · max ${s.drift.max}`
                : "no heartbeats today",
            },
            {
              label: "Heartbeats",
              value: `${s.heartbeats.received} received of ${s.heartbeats.expected} expected`,
            },
            { label: "Runs", value: `${s.runs.completed} completed, ${s.runs.failed} failed` },
            { label: "Ledger", value: s.ledger.ok ? "verifies" : "BROKEN" },
          ],
        },
        { kind: "context", text },
      ],
    },
  };
}
