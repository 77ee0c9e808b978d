import { actorIdentity, SYSTEM_ACTOR } from "../core/Actor.ts";
import type { Reply } from "../core/Reply.ts";
import type { LedgerAppend, LedgerEntry } from "../ledger/Ledger.ts";
import type { EvidencePublisher } from "../relays/EvidencePublisher.ts";
import type { AutonomyDeps } from "./AutonomyDeps.ts";
import { type DriftBand, topComponents } from "./drift.ts";
import type { SrrState } from "./stopResetRealign.ts";
import type { TelemetryReading } from "./Telemetry.ts";

/** The band the last heartbeat recorded (state.db), so only a change of band is announced. */
export const BAND_KEY = "drift.lastBand";

export interface DriftAlertContext {
  deps: Pick<AutonomyDeps, "charter" | "clock" | "state" | "ledger">;
  publisher: EvidencePublisher;
  correlationId: string;
  srr: () => Promise<SrrState>;
}

/** Alerts on a change of band only (no heartbeat spam): green→yellow, yellow→red, and recoveries. */
export async function driftBandAlert(
  ctx: DriftAlertContext,
  reading: TelemetryReading,
  heartbeat: LedgerEntry,
): Promise<string> {
  const { deps } = ctx;
  const from = await deps.state().getValue<DriftBand>(BAND_KEY);
  const to = reading.drift.band;
  if (from === to) return `band unchanged (${to}): nothing posted`;
  await deps.state().setValue(BAND_KEY, to);
  const top = topComponents(reading.drift);
  const changed: LedgerAppend = {
    eventType: "DRIFT_BAND_CHANGED",
    level: to === "green" ? "info" : to === "yellow" ? "warn" : "error",
    actor: actorIdentity(SYSTEM_ACTOR),
    correlationId: ctx.correlationId,
    payload: { from: from ?? null, to, score: reading.drift.score, heartbeatSeq: heartbeat.seq, top },
  };
  if (from === undefined) {
    await deps.ledger().append(changed);
    return `first band recorded (${to}): nothing posted`;
  }
  const rank = { green: 0, yellow: 1, red: 2 } as const;
  const recovery = rank[to] < rank[from];
  const title = recovery
    ? `Drift recovery: ${from} → ${to} (${reading.drift.score})`
    : `Drift alert: ${from} → ${to} (${reading.drift.score})`;
  const icon = to === "green" ? "🟢" : to === "yellow" ? "🟡" : "🔴";
  const lines = top.map(
    (c) => `• ${c.name}: ${c.points} points (${Math.round(c.share * 100)}%): ${c.detail}`,
  );
  const reply: Reply = {
    summary: title,
    parts: [
      { kind: "header", text: `${icon} ${title}` },
      {
        kind: "text",
        text: lines.length > 0 ? `*Top components*\n${lines.join("\n")}` : "Every component is at 0.",
      },
      {
        kind: "context",
        text: `heartbeat seq ${heartbeat.seq} · ${heartbeat.timestampCt} · bands: green ≤ ${deps.charter().drift.bands.greenMax}, yellow ≤ ${deps.charter().drift.bands.yellowMax}, red above (halts)`,
      },
    ],
  };
  await ctx.publisher.publish(
    {
      kind: "drift",
      title,
      reply,
      markdown: `# ${title}\n\n${reading.drift.components.map((c) => `- ${c.name}: ${c.points} (${c.detail})`).join("\n")}\n\nHeartbeat seq ${heartbeat.seq}.\n`,
      correlationId: ctx.correlationId,
      drift: reading.drift.score,
      governanceStatus: await ctx.srr(),
      occurredAt: deps.clock.now(),
      channel: "signals",
    },
    changed,
  );
  return `${recovery ? "recovery" : "alert"} posted (${from} → ${to})`;
}
