import { utcIso } from "../../core/timestamps.ts";
import { payloadOf } from "../../ledger/events.ts";
import type { LedgerEntry } from "../../ledger/Ledger.ts";
import type { AutonomyDeps } from "../AutonomyDeps.ts";
import { autonomyInWords } from "../autonomyWords.ts";
import type { LoopStatus } from "../loopLease.ts";
import type { SrrRecord } from "../stopResetRealign.ts";
import type { RelayStatus } from "../Telemetry.ts";

/** What the views read of the kernel. */
export interface AutonomySource {
  srr(): Promise<SrrRecord>;
  loopStatus(): Promise<LoopStatus>;
  relayStatus(): Promise<RelayStatus>;
  lastHeartbeat(): LedgerEntry | undefined;
  governanceCheck(): Promise<{ ok: boolean; detail: string }>;
}

export type ViewDeps = Pick<AutonomyDeps, "clock" | "state" | "ledger">;

/** The full state as JSON (GET /status, `maos status --json`, the MCP status resource). */
export async function autonomyStateJson(
  kernel: AutonomySource,
  deps: ViewDeps,
): Promise<Record<string, unknown>> {
  const srr = await kernel.srr();
  const last = kernel.lastHeartbeat();
  const seal = await deps.state().latestSeal<{ commit: string; file: string }>();
  const open = await deps.state().listIncidents({ status: "open" });
  const ledger = deps.ledger();
  return {
    status: "ok",
    at: utcIso(deps.clock.now()),
    environment: ledger.environment,
    srr: { state: srr.state, since: srr.since, ...(srr.reason ? { reason: srr.reason } : {}) },
    loop: await kernel.loopStatus(),
    relay: await kernel.relayStatus(),
    drift: last ? (payloadOf(last, "HEARTBEAT").drift ?? null) : null,
    lastHeartbeat: last
      ? {
          seq: last.seq,
          at: last.timestampUtc,
          atCt: last.timestampCt,
          ageSeconds: Math.round((deps.clock.now().getTime() - Date.parse(last.timestampUtc)) / 1000),
          signals: payloadOf(last, "HEARTBEAT"),
        }
      : null,
    incidents: open.map((i) => ({
      id: i.id,
      trigger: i.trigger,
      summary: i.summary,
      openedAt: i.openedAt,
      approvalId: i.approvalId ?? null,
    })),
    seal: seal
      ? {
          version: seal.version,
          sealedAt: seal.sealedAt,
          commit: seal.record.commit,
          file: seal.record.file,
        }
      : null,
    governance: await kernel.governanceCheck(),
    ledger: { size: ledger.size(), head: ledger.head().hash },
  };
}

/** The App Home's autonomy section, as lines of mrkdwn. */
export async function autonomyHomeSummary(
  kernel: AutonomySource,
  deps: Pick<ViewDeps, "state">,
): Promise<string> {
  const loop = await kernel.loopStatus();
  const srr = await kernel.srr();
  const last = kernel.lastHeartbeat();
  if (!loop.running && !last) return "not running yet (start it with `/codex activate`)";
  const lines: string[] = [];
  const words = autonomyInWords(srr, loop);
  lines.push(`${words.state === "halted" ? "🛑" : words.state === "on" ? "▶️" : "⏸️"} ${words.text}`);
  if (last) {
    const d = payloadOf(last, "HEARTBEAT").drift;
    lines.push(
      `Last heartbeat ${last.timestampCt} (seq ${last.seq}) · drift ${d?.score ?? "?"} (${d?.band ?? "?"})`,
    );
  }
  const open = await deps.state().listIncidents({ status: "open" });
  lines.push(open.length > 0 ? `Open incidents: ${open.map((i) => i.id).join(", ")}` : "No open incidents");
  const seal = await deps.state().latestSeal();
  lines.push(seal ? `Last seal MVP_${seal.version} (${seal.sealedAt})` : "No MVP seal yet");
  return lines.join("\n");
}
